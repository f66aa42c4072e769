-- 0013 FHIR bulk export ($export, Bulk Data Access IG v2; docs/decisions/0014-fhir-bulk-export.md).
-- Every kick-off is a row first; workers claim rows with a lease (next_attempt_at is the lease's end while
-- in-progress), so a killed process' export is redone by another. status: pending → in-progress → completed |
-- failed | cancelled. output is the manifest's file list (JSON) once completed; the files themselves are encrypted
-- blobs under fhir-export/<tenant>/<id>/, deleted on cancel and when expires_at has passed.
CREATE TABLE fhir_export_jobs (
    id                TEXT    NOT NULL PRIMARY KEY,
    tenant_id         TEXT    NOT NULL REFERENCES tenants (id),
    requester         TEXT    NOT NULL,
    level             TEXT    NOT NULL,
    group_id          TEXT,
    types             TEXT    NOT NULL,
    since             INTEGER,
    request_url       TEXT    NOT NULL,
    transaction_time  INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    progress          TEXT,
    output            TEXT,
    error_code        TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    lease_owner       TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    expires_at        INTEGER
);
CREATE INDEX fhir_export_jobs_due ON fhir_export_jobs (next_attempt_at) WHERE status IN ('pending', 'in-progress');
CREATE INDEX fhir_export_jobs_expiry ON fhir_export_jobs (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX fhir_export_jobs_tenant ON fhir_export_jobs (tenant_id, id);

-- A Group export's members (Patient ids), fixed at kick-off so a later change of the Group does not change the export.
CREATE TABLE fhir_export_patients (
    job_id      TEXT NOT NULL REFERENCES fhir_export_jobs (id) ON DELETE CASCADE,
    patient_id  TEXT NOT NULL,
    PRIMARY KEY (job_id, patient_id)
);
