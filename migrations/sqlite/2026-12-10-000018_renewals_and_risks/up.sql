-- What a renewal rests on: when it is due, when the contract ends and what
-- the customer pays now (in the account's currency).
ALTER TABLE accounts ADD COLUMN renewal_date TEXT;
ALTER TABLE accounts ADD COLUMN contract_end TEXT;
ALTER TABLE accounts ADD COLUMN current_arr DOUBLE;
CREATE INDEX accounts_renewal ON accounts (workspace_id, renewal_date);

-- How many days ahead a renewal counts as near: a red account renewing
-- within them raises a derived risk.
ALTER TABLE workspaces ADD COLUMN renewal_window_days INTEGER NOT NULL DEFAULT 90;

-- Risks raised by people, open until someone resolves them.
CREATE TABLE risks (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    raised_by TEXT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT,
    resolution TEXT,
    version BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX risks_account ON risks (workspace_id, account_id, id);
