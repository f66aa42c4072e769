-- 0012 a person's FHIR identity (SMART fhirUser): 'Patient/{id}' for a patient, 'Practitioner/{id}' for a doctor,
-- NULL for everyone else. The access policy reads it: a patient's compartment, the entries a doctor authored.
ALTER TABLE users ADD COLUMN fhir_user TEXT;
