-- A workspace's IANA time zone: where its quarters turn, its "today" and
-- the day a bare date names.
ALTER TABLE workspaces ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
