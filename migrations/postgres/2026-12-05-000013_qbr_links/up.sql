-- Links that show an account's customer QBR without a key: the token is
-- kept only as its SHA-256 hash; each open counts in one UPDATE.
CREATE TABLE qbr_links (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    metric_set TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_opened_at BIGINT,
    open_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX qbr_links_account ON qbr_links (workspace_id, account_id, id);
