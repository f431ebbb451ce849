//! Twins of a success's anatomy, as read and as written.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::success::ReuseScope;

/// The achieved business outcome.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Outcome {
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    description: String,
    /// Whether it was planned (an objective's outcome) rather than a lucky side effect.
    purposeful: bool,
}

/// Where the win was, or can be, repeated.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reuse {
    scope: ReuseScope,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    description: String,
}

/// The evidence in numbers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Measurable {
    /// What was measured: a metric key or a plain name.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    metric: String,
    baseline: f64,
    /// Must differ from the baseline.
    result: f64,
    /// What was aimed for; needed unless `kpi_id` names the aim.
    target: Option<f64>,
    /// A KPI of the success's objective, whose target is the aim.
    kpi_id: Option<Uuid>,
}

/// The behaviour change that makes the win last.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Permanence {
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    behaviour_change: String,
    /// Counts once at least 90 days before `as_of`.
    sustained_since: NaiveDate,
}

/// The numbers a reuse reached where it was applied.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReuseResult {
    baseline: f64,
    /// What was aimed for there, if anything.
    target: Option<f64>,
    value: f64,
}

/// A new success, as a client writes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SuccessDraft {
    account_id: Uuid,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    title: String,
    /// A plan of the same account.
    plan_id: Option<Uuid>,
    /// An objective of `plan_id`.
    objective_id: Option<Uuid>,
    /// Default today.
    achieved_on: Option<NaiveDate>,
    outcome: Option<Outcome>,
    #[schema(min_length = 1, max_length = 20000, pattern = r"[^ \t\n\r\f\v]")]
    story: Option<String>,
    #[schema(max_items = 20)]
    reuse: Option<Vec<Reuse>>,
    measurable: Option<Measurable>,
    permanence: Option<Permanence>,
}

/// A merge patch of a success; `reuse`, when given, replaces the list.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SuccessPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default)]
    #[schema(nullable = false)]
    title: Option<String>,
    #[serde(default)]
    plan_id: Option<Option<Uuid>>,
    #[serde(default)]
    objective_id: Option<Option<Uuid>>,
    #[serde(default)]
    #[schema(nullable = false)]
    achieved_on: Option<NaiveDate>,
    #[serde(default)]
    outcome: Option<Option<Outcome>>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 20000, pattern = r"[^ \t\n\r\f\v]")]
    story: Option<Option<String>>,
    #[schema(max_items = 20)]
    #[serde(default)]
    #[schema(nullable = false)]
    reuse: Option<Vec<Reuse>>,
    #[serde(default)]
    measurable: Option<Option<Measurable>>,
    #[serde(default)]
    permanence: Option<Option<Permanence>>,
}
