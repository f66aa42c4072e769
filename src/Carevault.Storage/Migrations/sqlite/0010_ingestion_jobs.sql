-- 0010 ingestion jobs: every accepted report file is a row first (its encrypted original already stored), then
-- processed by workers that claim rows with a lease (docs/decisions/0010-ingestion-queue.md).
-- status: pending → in-progress → completed | failed | dead-letter | quarantined | cancelled.
-- next_attempt_at is when the row may be claimed: for a pending row its due time, for an in-progress row the end of
-- its lease (a worker that died leaves a row that becomes claimable again when the lease runs out).
CREATE TABLE ingestion_jobs (
    id                         TEXT    NOT NULL PRIMARY KEY,
    tenant_id                  TEXT    NOT NULL REFERENCES tenants (id),
    submitter                  TEXT    NOT NULL,
    submitter_kind             TEXT    NOT NULL,
    submitter_role             TEXT,
    submitter_scopes           TEXT    NOT NULL,
    status                     TEXT    NOT NULL,
    format                     TEXT    NOT NULL,
    content_type               TEXT    NOT NULL,
    sha256                     TEXT    NOT NULL,
    size_bytes                 INTEGER NOT NULL,
    blob_key                   TEXT    NOT NULL,
    master_key_id              TEXT    NOT NULL,
    idempotency_key            TEXT,
    patient_identifier_system  TEXT,
    patient_identifier_value   TEXT,
    report_type                TEXT,
    report_date                TEXT,
    source                     TEXT,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    started_at                 INTEGER,
    finished_at                INTEGER,
    attempts                   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at            INTEGER NOT NULL,
    lease_owner                TEXT,
    resources                  TEXT,
    patient_ref                TEXT,
    problem_code               TEXT,
    problem_detail             TEXT,
    quarantined                INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ingestion_jobs_due ON ingestion_jobs (next_attempt_at) WHERE status IN ('pending', 'in-progress');
CREATE UNIQUE INDEX ingestion_jobs_idempotency ON ingestion_jobs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ingestion_jobs_tenant ON ingestion_jobs (tenant_id, id);
CREATE INDEX ingestion_jobs_patient ON ingestion_jobs (tenant_id, patient_ref) WHERE patient_ref IS NOT NULL;
