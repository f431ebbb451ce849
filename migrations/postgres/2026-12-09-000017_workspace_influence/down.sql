ALTER TABLE workspaces DROP COLUMN influence;
