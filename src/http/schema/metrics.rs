//! Twins of custom metrics and metric sets.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::metric::{Aggregation, Category, Direction, Horizon, MetricKind, Unit};

/// What an admin submits for a custom metric: always observed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewMetric {
    /// a-z, 0-9 and _, starting with a letter; unique in the workspace.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    key: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    name: String,
    #[schema(max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    description: Option<String>,
    unit: Unit,
    aggregation: Aggregation,
    /// Default: `stock` when `aggregation` is `last`, `flow` otherwise.
    #[serde(default)]
    kind: Option<MetricKind>,
    direction: Direction,
    category: Category,
    horizon: Horizon,
}

/// One metric of a set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SetMetric {
    /// A metric definition's key.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    metric: String,
    /// What the customer aims for; gives the target attainment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<f64>,
    /// Its weight in the health score (> 0; default 1).
    #[serde(default)]
    #[schema(default = 1.0)]
    weight: f64,
    /// Value at or beyond which the metric scores 100 (green); with `red_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    green_at: Option<f64>,
    /// Value at or beyond which the metric scores 0 (red); with `green_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    red_at: Option<f64>,
}

/// An ordered list of metrics reviewed together.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricSet {
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    key: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    description: Option<String>,
    metrics: Vec<SetMetric>,
}
