-- 0010 is the ingestion branch's migration. This placeholder only keeps versions gapless on the audit branch
-- (Migrator requires 1, 2, 3…); delete this file when the ingestion branch's 0010 is merged.
SELECT 1;
