-- Custom frameworks, one row per version; a change adds version n+1 and
-- assessments keep the version they were made with.
CREATE TABLE frameworks (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key, version)
);
