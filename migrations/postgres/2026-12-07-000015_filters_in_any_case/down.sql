DROP INDEX accounts_segment;
DROP INDEX accounts_owner;
CREATE INDEX accounts_segment ON accounts (workspace_id, segment, id);
CREATE INDEX accounts_owner ON accounts (workspace_id, owner, id);
