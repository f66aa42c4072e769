-- 0014 timed email (docs/decisions/0021-blood-requests-live.md): a message may wait until a due time (an appointment
-- reminder the day before); the sender skips rows whose not_before is still ahead. 0 means "at once" (every row
-- queued before this migration). user_id names the account the message was for (the portal's notifications list);
-- topic names what it is about (e.g. 'Appointment/{id}'), so a pending reminder can be withdrawn when that changes.
ALTER TABLE outbox_messages ADD COLUMN not_before BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox_messages ADD COLUMN user_id TEXT;
ALTER TABLE outbox_messages ADD COLUMN topic TEXT;
CREATE INDEX outbox_messages_not_before ON outbox_messages (not_before) WHERE sent_at IS NULL;
CREATE INDEX outbox_messages_user ON outbox_messages (tenant_id, user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX outbox_messages_topic ON outbox_messages (tenant_id, topic) WHERE topic IS NOT NULL AND sent_at IS NULL;
