-- 0007 private_key_jwt (RFC 7523, SMART Backend Services): a client may authenticate with a signed assertion
-- verified by its registered public keys (JWKS) instead of a secret. Assertion ids are kept until they expire so
-- none is accepted twice.
ALTER TABLE clients ADD COLUMN jwks TEXT;

CREATE TABLE used_client_assertions (
    client_id   TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_client_assertions_expiry ON used_client_assertions (expires_at);
