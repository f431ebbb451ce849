-- Success-plan templates, stored whole: a plan copies one when it is made
-- and never looks back, so a template can change freely.
CREATE TABLE success_plan_templates (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

-- Success plans: each one aggregate (objectives, KPIs, milestones) stored
-- whole as a document; the columns beside it are what lists filter on.
CREATE TABLE success_plans (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX success_plans_account ON success_plans (workspace_id, account_id, id);

-- Which metrics a plan's KPIs read, so a metric in use cannot be deleted.
CREATE TABLE success_plan_metrics (
    workspace_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    PRIMARY KEY (workspace_id, plan_id, metric),
    FOREIGN KEY (workspace_id, plan_id) REFERENCES success_plans (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX success_plan_metrics_metric ON success_plan_metrics (workspace_id, metric);

-- Captured successes; achieved_on is a YYYY-MM-DD date (text sorts as dates).
-- The plan and objective a success proves live in columns, outside the
-- document, so deleting either detaches the success in one statement.
CREATE TABLE successes (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    plan_id TEXT,
    objective_id TEXT,
    achieved_on TEXT NOT NULL,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX successes_account ON successes (workspace_id, account_id, achieved_on);
CREATE INDEX successes_plan ON successes (workspace_id, plan_id);
