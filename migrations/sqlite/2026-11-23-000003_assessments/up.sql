-- Assessments: one subject's scores on one framework version, with the
-- results computed when it was made. Immutable; a newer one supersedes.
CREATE TABLE assessments (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    stakeholder_id TEXT,
    framework TEXT NOT NULL,
    framework_version INTEGER NOT NULL,
    scores TEXT NOT NULL,
    notes TEXT NOT NULL,
    assessor TEXT,
    assessed_at BIGINT NOT NULL,
    results TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, stakeholder_id) REFERENCES stakeholders (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX assessments_account ON assessments (workspace_id, account_id, id);
CREATE INDEX assessments_framework ON assessments (workspace_id, framework, id);

-- One row per (assessment, matrix): where the subject sat. `superseded_at`
-- is the assessed_at of the subject's next classification on the matrix, or
-- the largest BIGINT while it is the latest, so "the latest cell as of T" is
-- the rows with superseded_at > T and assessed_at <= T: one range of
-- classifications_as_of, which also carries every column those reads need.
CREATE TABLE classifications (
    workspace_id TEXT NOT NULL,
    assessment_id TEXT NOT NULL,
    matrix TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    stakeholder_id TEXT,
    cell TEXT NOT NULL,
    x DOUBLE PRECISION NOT NULL,
    y DOUBLE PRECISION NOT NULL,
    closeness DOUBLE PRECISION NOT NULL,
    assessed_at BIGINT NOT NULL,
    superseded_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, assessment_id, matrix),
    FOREIGN KEY (workspace_id, assessment_id) REFERENCES assessments (workspace_id, id) ON DELETE CASCADE
);
-- A subject's history in order, covering the lookups that slot a new one in:
-- without statistics a planner must still prefer it to classifications_as_of.
CREATE INDEX classifications_subject ON classifications
    (workspace_id, matrix, subject_id, assessed_at, assessment_id, superseded_at);
CREATE INDEX classifications_as_of ON classifications
    (workspace_id, matrix, superseded_at, assessed_at, subject_id, account_id, cell, x, y);
CREATE INDEX classifications_account ON classifications (workspace_id, account_id, matrix, assessed_at);

-- Custom prioritisation policies, stored whole.
CREATE TABLE prioritization_policies (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
