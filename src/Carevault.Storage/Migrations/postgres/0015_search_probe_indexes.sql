-- Search probes (decision 0007 addendum): a criterion checked for one candidate resource looks its rows up by
-- (tenant, type, resource id, param). With the param in the owner index the probe is an equality seek; without it
-- SQLite's planner preferred the value indexes' (tenant, type) prefix and read a whole parameter's rows per candidate.
DROP INDEX fhir_idx_token_owner;
CREATE INDEX fhir_idx_token_owner ON fhir_idx_token (tenant_id, resource_type, resource_id, param);
DROP INDEX fhir_idx_string_owner;
CREATE INDEX fhir_idx_string_owner ON fhir_idx_string (tenant_id, resource_type, resource_id, param);
DROP INDEX fhir_idx_date_owner;
CREATE INDEX fhir_idx_date_owner ON fhir_idx_date (tenant_id, resource_type, resource_id, param);
DROP INDEX fhir_idx_reference_owner;
CREATE INDEX fhir_idx_reference_owner ON fhir_idx_reference (tenant_id, resource_type, resource_id, param);
DROP INDEX fhir_idx_quantity_owner;
CREATE INDEX fhir_idx_quantity_owner ON fhir_idx_quantity (tenant_id, resource_type, resource_id, param);
DROP INDEX fhir_idx_uri_owner;
CREATE INDEX fhir_idx_uri_owner ON fhir_idx_uri (tenant_id, resource_type, resource_id, param);
