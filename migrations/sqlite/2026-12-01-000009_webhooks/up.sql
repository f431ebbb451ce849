-- Webhooks: where a workspace's events are pushed. `secret` signs each
-- delivery (HMAC needs the key itself, so it is kept, never shown again);
-- `previous_secret` signs beside it until `previous_secret_until`, after a
-- rotation. `cursor_tx`/`cursor_id` is the feed position up to which events
-- have been turned into deliveries: the fan-out reads the feed after it, as
-- any reader does, so no event is skipped.
CREATE TABLE webhooks (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    description TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until BIGINT,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since BIGINT,
    cursor_tx BIGINT NOT NULL,
    cursor_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

-- One event (or test message) to one webhook, with the exact body every
-- attempt sends. A pending delivery is due at `next_attempt_at`; a worker
-- claims it by moving that past its own attempt, so no other replica sends
-- it meanwhile.
CREATE TABLE webhook_deliveries (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status_code INTEGER,
    last_latency_ms INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE,
    UNIQUE (workspace_id, webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (workspace_id, webhook_id, id);
