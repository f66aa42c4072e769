-- 0011 audit trail (decision 0012): append-only records, hash-chained per tenant.
-- Each record carries its sequence number in the tenant's chain, the previous record's hash and its own hash over a
-- canonical encoding of every field (AuditHash). The head row holds the last sequence and hash (so deleting the
-- newest records is detected too) and the anchor: the sequence and hash of the last record a retention purge removed.
CREATE TABLE audit_chain_heads (
    tenant_id    TEXT    NOT NULL PRIMARY KEY,
    last_seq     INTEGER  NOT NULL,
    last_hash    TEXT    NOT NULL,
    anchor_seq   INTEGER  NOT NULL,
    anchor_hash  TEXT    NOT NULL
);

CREATE TABLE audit_records (
    tenant_id    TEXT    NOT NULL,
    seq          INTEGER  NOT NULL,
    recorded_at  INTEGER  NOT NULL,
    action       TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    status       INTEGER  NOT NULL,
    actor_kind   TEXT    NOT NULL,
    actor_id     TEXT    NOT NULL,
    actor_role   TEXT    NOT NULL,
    source_ip    TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    entities     TEXT    NOT NULL,
    query        TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_records_actor ON audit_records (tenant_id, actor_id, seq);
CREATE INDEX audit_records_time ON audit_records (tenant_id, recorded_at, seq);

-- One row per touched resource reference, so "who touched Patient/123" is an index range.
CREATE TABLE audit_entities (
    tenant_id    TEXT    NOT NULL,
    entity       TEXT    NOT NULL,
    seq          INTEGER  NOT NULL,
    PRIMARY KEY (tenant_id, entity, seq)
);
