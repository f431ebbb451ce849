DROP INDEX assessments_account_framework;
DROP TABLE observations;
CREATE TABLE prioritization_policies (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
INSERT INTO prioritization_policies (workspace_id, key, definition, created_at, updated_at)
    SELECT workspace_id, key, definition, created_at, updated_at
    FROM definitions WHERE kind = 'prioritization_policy';
DROP TABLE definitions;
ALTER TABLE workspaces DROP COLUMN fiscal_year_start_month;
