ALTER TABLE workspaces DROP COLUMN time_zone;
