//! Twins of the framework catalogue: dimensions, matrices, equations, hierarchies, policies.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::account::LifecycleStage;
use crate::domain::framework::Subject;
use crate::domain::prioritization::AccountField;

/// What a term reads: a dimension's normalised score or another equation's value.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub(super) enum TermSource {
    Dimension(String),
    Equation(String),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Term {
    source: TermSource,
    weight: f64,
    /// Below this the term blocks the equation.
    floor: f64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Equation {
    key: String,
    label: String,
    terms: Vec<Term>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Dimension {
    key: String,
    label: String,
    /// The question a CSM answers with the score.
    question: String,
    scale: Scale,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Framework {
    key: String,
    name: String,
    description: String,
    subject: Subject,
    dimensions: Vec<Dimension>,
    #[serde(default)]
    matrices: Vec<Matrix>,
    #[serde(default)]
    equations: Vec<Equation>,
    #[serde(default)]
    hierarchy: Option<Hierarchy>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Hierarchy {
    key: String,
    label: String,
    /// Dimension keys from base to apex.
    levels: Vec<String>,
    /// A level is met at or above this score.
    cut: f64,
}

/// Which end of an axis success lies at.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum End {
    Low,
    High,
}

/// The corner of the grid where success lies.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Corner {
    x: End,
    y: End,
}

/// One cell of the grid: what it is called and what to do about a customer in it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Cell {
    key: String,
    label: String,
    description: String,
    /// The recommended play for a customer in this cell.
    play: String,
}

/// A grid over dimensions `x` and `y`. `x_cuts`/`y_cuts` split each axis (a
/// score at or above a cut is past it); `cells` run row by row from low y,
/// and within a row from low x, so a 2×2 lists (low x, low y), (high x, low y),
/// (low x, high y), (high x, high y).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Matrix {
    key: String,
    label: String,
    x: String,
    y: String,
    x_cuts: Vec<f64>,
    y_cuts: Vec<f64>,
    cells: Vec<Cell>,
    optimal: Corner,
}

/// The range a dimension is scored in (built-ins: 1–10, decimals allowed).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Scale {
    min: f64,
    max: f64,
}

/// A matrix's weight in a policy.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WeightedMatrix {
    matrix: String,
    weight: f64,
}

/// A weighed term: exactly one of `matrix` (closeness to its optimal corner), `equation`
/// (`framework.equation`: its latest value), `hierarchy` (a framework key: attained level ÷
/// levels) or `account_field` (scored within the accounts ranked), with its weight.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyTerm {
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    matrix: Option<String>,
    #[schema(
        pattern = "^[a-z][a-z0-9_]{0,63}\\.[a-z][a-z0-9_]{0,63}$",
        example = "success_equation.renewal"
    )]
    equation: Option<String>,
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    hierarchy: Option<String>,
    account_field: Option<AccountField>,
    #[schema(exclusive_minimum = 0)]
    weight: f64,
}

/// A score at or above `min_score` earns the tier `key`; cuts are tried from the highest.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TierCut {
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "high_touch")]
    key: String,
    /// Shown with the tier; the key in words when absent.
    #[schema(min_length = 1, max_length = 200)]
    label: Option<String>,
    #[schema(minimum = 0, maximum = 1)]
    min_score: f64,
}

/// Accounts the policy gives no proactive support (tier `no_proactive_support`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Exclude {
    lifecycle_stages: Vec<LifecycleStage>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Policy {
    key: String,
    label: String,
    /// Matrices and their weights (shorthand for `terms` with `matrix`).
    #[serde(default)]
    matrices: Vec<WeightedMatrix>,
    /// Equations, hierarchies, account fields (and matrices) with their weights.
    #[serde(default)]
    terms: Vec<PolicyTerm>,
    /// Highest first; a score below every cut is `low_touch`. Accounts without data are
    /// `unassessed`.
    tiers: Vec<TierCut>,
    /// Default: lifecycle stage `churned`.
    exclude: Option<Exclude>,
}
