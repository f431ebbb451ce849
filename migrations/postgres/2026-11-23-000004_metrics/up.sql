-- Where the workspace's fiscal year starts (1 = January): QBR quarters follow it.
ALTER TABLE workspaces ADD COLUMN fiscal_year_start_month INTEGER NOT NULL DEFAULT 1;

-- Custom definitions, stored whole by kind and key: prioritisation policies
-- (moved here from their own table), metric definitions and metric sets.
CREATE TABLE definitions (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, key)
);
INSERT INTO definitions (workspace_id, kind, key, definition, created_at, updated_at)
    SELECT workspace_id, 'prioritization_policy', key, definition, created_at, updated_at
    FROM prioritization_policies;
DROP TABLE prioritization_policies;

-- One value per (account, metric, instant); writing the triple again
-- replaces it. The key serves one account's QBR (one range per account);
-- observations_metric serves a quarter across the book of business and
-- carries every column that read needs.
CREATE TABLE observations (
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (workspace_id, account_id, metric, observed_at),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX observations_metric ON observations (workspace_id, metric, observed_at, account_id, value);

-- An account's assessments on one framework in time order (the latest
-- success equation behind expansion_readiness).
CREATE INDEX assessments_account_framework ON assessments (workspace_id, account_id, framework, assessed_at);
