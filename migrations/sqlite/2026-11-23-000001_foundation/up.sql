-- Tenancy: every tenant table leads its keys with workspace_id.
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE accounts (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    segment TEXT,
    owner TEXT,
    lifecycle_stage TEXT,
    customer_since TEXT,
    original_arr DOUBLE,
    currency TEXT NOT NULL,
    attributes TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX accounts_updated_at ON accounts (workspace_id, updated_at);
CREATE INDEX accounts_segment ON accounts (workspace_id, segment, id);
CREATE INDEX accounts_owner ON accounts (workspace_id, owner, id);

CREATE TABLE stakeholders (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    title TEXT,
    role TEXT,
    involved_in_purchase BOOLEAN NOT NULL,
    attributes TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX stakeholders_account ON stakeholders (workspace_id, account_id, id);

-- An external system's id for an account or a stakeholder: one owner per (system, id).
CREATE TABLE external_refs (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    entity TEXT NOT NULL,
    system TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, entity, system, external_id)
);
CREATE INDEX external_refs_entity ON external_refs (workspace_id, entity, entity_id);

-- Answers to POST requests that carried an Idempotency-Key, replayed on repeats
-- until they expire or the record they created is deleted.
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
