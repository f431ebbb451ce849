-- Segment and owner filters match in any case (`Enterprise` finds
-- `enterprise`), so their indexes hold the lowered text.
DROP INDEX accounts_segment;
DROP INDEX accounts_owner;
CREATE INDEX accounts_segment ON accounts (workspace_id, lower(segment), id);
CREATE INDEX accounts_owner ON accounts (workspace_id, lower(owner), id);
