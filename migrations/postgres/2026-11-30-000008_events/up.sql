-- The change feed's outbox: one row per change, written in the transaction
-- of the change it describes. `tx` orders the feed by commit: on PostgreSQL
-- the writing transaction's id (a reader returns only rows of transactions
-- older than every one still running, so a row that commits late is never
-- behind a cursor already handed out); on SQLite, where one writer commits at
-- a time, the row's place in that order. `id` (UUIDv7) orders rows of one
-- transaction.
CREATE TABLE events (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    tx BIGINT NOT NULL,
    type TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    resource TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    account_id TEXT,
    account_refs TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX events_feed ON events (workspace_id, tx, id);
CREATE INDEX events_tx ON events (tx);
CREATE INDEX events_occurred_at ON events (occurred_at);

-- Where retention has cut each workspace's feed: the last pruned position.
-- A cursor at or before it may have missed events and must resync.
CREATE TABLE event_horizons (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    tx BIGINT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (workspace_id)
);
