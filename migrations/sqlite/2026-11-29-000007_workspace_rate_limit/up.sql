-- A workspace may set its own rate limit (`600/min`), applied to all of its
-- keys together in place of the replica's CSAPI_WORKSPACE_RATE_LIMIT.
ALTER TABLE workspaces ADD COLUMN rate_limit TEXT;
