-- 0008 per-tenant setting: may patients create their own accounts? Off unless a tenant administrator opens it.
ALTER TABLE tenants ADD COLUMN allow_patient_registration INTEGER NOT NULL DEFAULT 0;
