-- 0004 records: the FHIR resource store (docs/decisions/0007-fhir-store.md).
-- Every table leads with (tenant_id, resource_type): each statement filters on both, and every index serves that.

-- The current version of each resource; deleted = 1 keeps the id taken (reads answer 410 Gone).
CREATE TABLE fhir_resources (
    tenant_id      TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    version_id     INTEGER NOT NULL,
    last_updated   INTEGER NOT NULL,
    deleted        INTEGER NOT NULL,
    body           TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, resource_type, id)
);
CREATE INDEX fhir_resources_updated ON fhir_resources (tenant_id, resource_type, last_updated);

-- Every version, the current one included; seq orders type history and pages it.
CREATE TABLE fhir_history (
    seq            INTEGER PRIMARY KEY,
    tenant_id      TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    version_id     INTEGER NOT NULL,
    last_updated   INTEGER NOT NULL,
    deleted        INTEGER NOT NULL,
    body           TEXT    NOT NULL
);
CREATE UNIQUE INDEX fhir_history_version ON fhir_history (tenant_id, resource_type, id, version_id);
CREATE INDEX fhir_history_type ON fhir_history (tenant_id, resource_type, seq);

-- Search index rows of current, non-deleted versions. Each table has a lookup index ending in resource_id (covering
-- for "which resources match") and a (tenant_id, resource_type, resource_id) index to replace a resource's rows.
CREATE TABLE fhir_idx_token (
    tenant_id      TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    param          TEXT NOT NULL,
    system         TEXT NOT NULL,
    code           TEXT NOT NULL,
    resource_id    TEXT NOT NULL
);
CREATE INDEX fhir_idx_token_value ON fhir_idx_token (tenant_id, resource_type, param, code, system, resource_id);
CREATE INDEX fhir_idx_token_owner ON fhir_idx_token (tenant_id, resource_type, resource_id);

CREATE TABLE fhir_idx_string (
    tenant_id      TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    param          TEXT NOT NULL,
    normalized     TEXT NOT NULL,
    exact          TEXT NOT NULL,
    resource_id    TEXT NOT NULL
);
CREATE INDEX fhir_idx_string_value ON fhir_idx_string (tenant_id, resource_type, param, normalized, resource_id);
CREATE INDEX fhir_idx_string_owner ON fhir_idx_string (tenant_id, resource_type, resource_id);

-- Dates as inclusive ranges of UTC Unix milliseconds (a date of day precision covers the whole day).
CREATE TABLE fhir_idx_date (
    tenant_id      TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    param          TEXT    NOT NULL,
    low            INTEGER NOT NULL,
    high           INTEGER NOT NULL,
    resource_id    TEXT    NOT NULL
);
CREATE INDEX fhir_idx_date_low ON fhir_idx_date (tenant_id, resource_type, param, low, high, resource_id);
CREATE INDEX fhir_idx_date_high ON fhir_idx_date (tenant_id, resource_type, param, high, low, resource_id);
CREATE INDEX fhir_idx_date_owner ON fhir_idx_date (tenant_id, resource_type, resource_id);

-- target_type is '' when the reference does not name one (an absolute URL of another server keeps its URL as target_id).
CREATE TABLE fhir_idx_reference (
    tenant_id      TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    param          TEXT NOT NULL,
    target_type    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    resource_id    TEXT NOT NULL
);
CREATE INDEX fhir_idx_reference_value ON fhir_idx_reference (tenant_id, resource_type, param, target_id, target_type, resource_id);
CREATE INDEX fhir_idx_reference_owner ON fhir_idx_reference (tenant_id, resource_type, resource_id);

-- Numbers and quantities; system and code are '' for plain numbers.
CREATE TABLE fhir_idx_quantity (
    tenant_id      TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    param          TEXT NOT NULL,
    system         TEXT NOT NULL,
    code           TEXT NOT NULL,
    value          REAL NOT NULL,
    resource_id    TEXT NOT NULL
);
CREATE INDEX fhir_idx_quantity_value ON fhir_idx_quantity (tenant_id, resource_type, param, value, resource_id);
CREATE INDEX fhir_idx_quantity_owner ON fhir_idx_quantity (tenant_id, resource_type, resource_id);

CREATE TABLE fhir_idx_uri (
    tenant_id      TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    param          TEXT NOT NULL,
    value          TEXT NOT NULL,
    resource_id    TEXT NOT NULL
);
CREATE INDEX fhir_idx_uri_value ON fhir_idx_uri (tenant_id, resource_type, param, value, resource_id);
CREATE INDEX fhir_idx_uri_owner ON fhir_idx_uri (tenant_id, resource_type, resource_id);
