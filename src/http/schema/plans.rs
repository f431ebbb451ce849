//! Twins of success plans, their parts and templates, as read and as written.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::metric::Unit;
use crate::domain::success_plan::{ObjectiveStatus, PlanStatus};

/// A new KPI, as a client writes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct KpiDraft {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    name: String,
    /// An observed metric whose latest observation is the KPI's current value.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    metric_key: Option<String>,
    /// Defaults to the linked metric's unit.
    unit: Option<Unit>,
    baseline: f64,
    /// Must differ from baseline; below it for a KPI that should fall.
    target: f64,
    /// Only for KPIs without a metric.
    current: Option<f64>,
}

/// A merge patch of a KPI.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct KpiPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default)]
    #[schema(nullable = false)]
    name: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    metric_key: Option<Option<String>>,
    #[serde(default)]
    unit: Option<Option<Unit>>,
    #[serde(default)]
    #[schema(nullable = false)]
    baseline: Option<f64>,
    #[serde(default)]
    #[schema(nullable = false)]
    target: Option<f64>,
    #[serde(default)]
    current: Option<Option<f64>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MilestoneDraft {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    title: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    owner: Option<String>,
    /// Not before the plan's start date.
    due_date: Option<NaiveDate>,
    /// Default false.
    done: Option<bool>,
    /// When it was done; default today when `done`.
    done_on: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MilestonePatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default)]
    #[schema(nullable = false)]
    title: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    owner: Option<Option<String>>,
    #[serde(default)]
    due_date: Option<Option<NaiveDate>>,
    #[serde(default)]
    #[schema(nullable = false)]
    done: Option<bool>,
    /// Marking it not done clears it.
    #[serde(default)]
    done_on: Option<Option<NaiveDate>>,
}

/// A new objective, optionally with its KPIs and milestones.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ObjectiveDraft {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    title: String,
    /// The business outcome the customer wants.
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    outcome: Option<String>,
    /// Its share of the plan's progress; default 1.
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    weight: Option<f64>,
    due_date: Option<NaiveDate>,
    /// Default `not_started`.
    status: Option<ObjectiveStatus>,
    #[schema(max_items = 20)]
    kpis: Option<Vec<KpiDraft>>,
    #[schema(max_items = 50)]
    milestones: Option<Vec<MilestoneDraft>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ObjectivePatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default)]
    #[schema(nullable = false)]
    title: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    outcome: Option<Option<String>>,
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    #[serde(default)]
    #[schema(nullable = false)]
    weight: Option<f64>,
    #[serde(default)]
    due_date: Option<Option<NaiveDate>>,
    #[serde(default)]
    #[schema(nullable = false)]
    status: Option<ObjectiveStatus>,
}

/// A merge patch of a plan's own fields (its objectives have their own).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default)]
    #[schema(nullable = false)]
    name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    owner: Option<Option<String>>,
    /// `achieved` needs every objective done, or a `status_reason`.
    #[serde(default)]
    #[schema(nullable = false)]
    status: Option<PlanStatus>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    status_reason: Option<Option<String>>,
    #[serde(default)]
    #[schema(nullable = false)]
    start_date: Option<NaiveDate>,
    #[serde(default)]
    #[schema(nullable = false)]
    target_date: Option<NaiveDate>,
}

/// A new plan: blank, or made from a template.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewPlan {
    account_id: Uuid,
    /// Required without a template; defaults to the template's name.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    name: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    owner: Option<String>,
    /// Default `draft`.
    status: Option<PlanStatus>,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    status_reason: Option<String>,
    /// Default today (UTC).
    start_date: Option<NaiveDate>,
    /// After start_date. Required without a template; defaults to the
    /// start plus the template's duration.
    target_date: Option<NaiveDate>,
    /// A template whose objectives, KPIs and milestones are copied in.
    template_id: Option<Uuid>,
}

/// A measure of an objective, from where the customer started to where it aims.
#[derive(Deserialize, ToSchema)]
pub(super) struct Kpi {
    id: Uuid,
    name: String,
    /// When set, `current` is the account's latest observation of this metric.
    metric_key: Option<String>,
    unit: Option<Unit>,
    baseline: f64,
    target: f64,
    /// Entered by hand; for a KPI linked to a metric, set by the service: the metric's
    /// latest observation, as the plan's progress reads it.
    current: Option<f64>,
    /// Set by the service: when it was added; a progress of an earlier day leaves it out.
    created_at: Option<DateTime<Utc>>,
    /// Set by the service: every value entered by hand, oldest first; a progress of an
    /// earlier day reads the value entered by then.
    history: Option<Vec<KpiValue>>,
}

/// A value of a KPI entered by hand, and when; `value` null when it was cleared.
#[derive(Deserialize, ToSchema)]
pub(super) struct KpiValue {
    value: Option<f64>,
    at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Milestone {
    id: Uuid,
    title: String,
    owner: Option<String>,
    due_date: Option<NaiveDate>,
    done: bool,
    /// When it was done: a past quarter's progress counts it only from then.
    done_on: Option<NaiveDate>,
    /// Set by the service: when it was added; a progress of an earlier day leaves it out.
    created_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Objective {
    id: Uuid,
    title: String,
    /// The business outcome the customer wants.
    outcome: Option<String>,
    weight: f64,
    due_date: Option<NaiveDate>,
    status: ObjectiveStatus,
    kpis: Vec<Kpi>,
    milestones: Vec<Milestone>,
    /// Set by the service: when it was added; a progress of an earlier day leaves it out.
    created_at: Option<DateTime<Utc>>,
}

/// A reusable plan: objectives with KPIs and milestones whose due dates are
/// offsets from the start of the plan made from it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateFields {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    name: String,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    description: Option<String>,
    /// Days from a plan's start to its target date.
    #[schema(minimum = 1, maximum = 3650)]
    duration_days: u32,
    #[serde(default)]
    #[schema(max_items = 50)]
    objectives: Vec<TemplateObjective>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateObjective {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    title: String,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    outcome: Option<String>,
    /// Default 1.
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    weight: Option<f64>,
    /// Days after the plan's start; at most `duration_days`.
    #[schema(minimum = 0, maximum = 3650)]
    due_offset_days: Option<u32>,
    #[serde(default)]
    #[schema(max_items = 20)]
    kpis: Vec<TemplateKpi>,
    #[serde(default)]
    #[schema(max_items = 50)]
    milestones: Vec<TemplateMilestone>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateKpi {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    name: String,
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    metric_key: Option<String>,
    unit: Option<Unit>,
    baseline: f64,
    target: f64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateMilestone {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    title: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    owner: Option<String>,
    #[schema(minimum = 0, maximum = 3650)]
    due_offset_days: Option<u32>,
}

/// A merge patch of a template; `objectives`, when given, replaces the list.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplatePatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default)]
    #[schema(nullable = false)]
    name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    description: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default)]
    #[schema(nullable = false)]
    duration_days: Option<u32>,
    #[schema(max_items = 50)]
    #[serde(default)]
    #[schema(nullable = false)]
    objectives: Option<Vec<TemplateObjective>>,
}
