ALTER TABLE workspaces DROP COLUMN version;
ALTER TABLE definitions DROP COLUMN version;
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    request_path TEXT NOT NULL,
    location TEXT,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
CREATE INDEX idempotency_keys_location ON idempotency_keys (workspace_id, location);
