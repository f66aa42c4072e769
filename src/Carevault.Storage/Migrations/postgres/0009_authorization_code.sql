-- 0009 apps acting for a signed-in person (SMART App Launch, standalone): authorization codes with PKCE and
-- rotating refresh tokens. Codes and refresh tokens are stored only as SHA-256 hashes.
ALTER TABLE clients ADD COLUMN redirect_uris TEXT;
ALTER TABLE clients ADD COLUMN public_client BIGINT NOT NULL DEFAULT 0;

CREATE TABLE authorization_codes (
    code_hash       TEXT NOT NULL PRIMARY KEY,
    client_id       TEXT NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);

-- One family per authorization; each use rotates the token, and presenting a spent one revokes the family
-- (OAuth 2.0 Security BCP, refresh token rotation).
CREATE TABLE refresh_tokens (
    token_hash   TEXT NOT NULL PRIMARY KEY,
    family_id    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    scopes       TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
