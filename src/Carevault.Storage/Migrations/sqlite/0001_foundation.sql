-- 0001 foundation: tenants, people, and the server's own state.
-- Times are UTC Unix milliseconds (INTEGER): one representation on both engines, sortable, no time-zone drift.
CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id             TEXT    NOT NULL PRIMARY KEY,
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    username       TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, username)
);

CREATE TABLE system_state (
    key    TEXT NOT NULL PRIMARY KEY,
    value  TEXT NOT NULL
);
