ALTER TABLE workspaces DROP COLUMN rate_limit;
