-- Idempotency keys belong to the API key that sent them, not only to the
-- workspace: a replay answers only its own caller. The row is reserved in
-- the request's transaction and holds the answer from the same commit.
-- Saved answers are a 48-hour cache; the old ones (which could not say who
-- sent them) are not carried over.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    api_key_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, api_key_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Custom definitions (metrics, metric sets, policies) and workspace settings
-- carry a version, their ETag: a write names the version it read.
ALTER TABLE definitions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
