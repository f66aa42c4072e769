-- 0005 outbox and recovery: email leaves through an outbox written in the same transaction as the change that
-- causes it; password-reset tokens; the TOTP second factor.

-- Where a person's mail goes (password reset, security notices). Optional: without one, no reset mail is sent.
ALTER TABLE users ADD COLUMN email TEXT;
-- RFC 6238 secrets, sealed with the master key. totp_pending_secret waits for the first code (enrolment);
-- totp_last_step is the last time step accepted, so a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_pending_secret BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Body sealed with the master key (it can hold a reset link or health data); emptied once sent.
-- Delivery is at least once: a message is claimed by moving next_attempt_at forward (a lease), then marked sent.
CREATE TABLE outbox_messages (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    kind             TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT
);
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE sent_at IS NULL;

-- The emailed token is random (256 bits); only its SHA-256 is stored, so a copy of the database resets nothing.
CREATE TABLE password_reset_tokens (
    token_hash   TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    user_id      TEXT    NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX password_reset_tokens_user ON password_reset_tokens (user_id);
