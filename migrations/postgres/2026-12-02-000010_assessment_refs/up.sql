-- An assessment may carry its id in the system it came from, so a sync that
-- sends it again finds it instead of recording it twice.
ALTER TABLE assessments ADD COLUMN ref_system TEXT;
ALTER TABLE assessments ADD COLUMN ref_id TEXT;
CREATE UNIQUE INDEX assessments_ref ON assessments (workspace_id, ref_system, ref_id);
