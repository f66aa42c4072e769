-- 0006 token revocation (RFC 7009): revoked access tokens by jti, kept only until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti         TEXT NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
