-- 0002 identity: hospital systems (OAuth clients) and the token-signing key ring.
CREATE TABLE clients (
    id                      TEXT   NOT NULL PRIMARY KEY,
    tenant_id               TEXT   NOT NULL REFERENCES tenants (id),
    name                    TEXT   NOT NULL,
    secret_hash             TEXT   NOT NULL,
    scopes                  TEXT   NOT NULL,
    token_lifetime_seconds  INTEGER NOT NULL,
    status                  TEXT   NOT NULL,
    created_at              INTEGER NOT NULL,
    secret_rotated_at       INTEGER NOT NULL
);
CREATE INDEX clients_tenant ON clients (tenant_id);

-- Private keys are sealed with the master key (Carevault.Crypto envelope format), never stored in the clear.
-- A key signs while it is the newest; after a rotation it still verifies until verify_until.
CREATE TABLE signing_keys (
    kid           TEXT   NOT NULL PRIMARY KEY,
    algorithm     TEXT   NOT NULL,
    public_x      TEXT   NOT NULL,
    public_y      TEXT   NOT NULL,
    private_key   BLOB   NOT NULL,
    created_at    INTEGER NOT NULL,
    verify_until  INTEGER
);
