DROP INDEX assessments_ref;
ALTER TABLE assessments DROP COLUMN ref_id;
ALTER TABLE assessments DROP COLUMN ref_system;
