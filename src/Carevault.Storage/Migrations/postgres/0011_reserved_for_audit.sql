-- 0011 is the audit branch's migration. This placeholder only keeps versions gapless on the fhir-access branch
-- (Migrator requires 1, 2, 3…); delete this file when the audit branch's 0011 is merged.
SELECT 1;
