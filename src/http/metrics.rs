//! `/v1/metric-definitions`, `/v1/metric-sets` and `/v1/workspace/settings`:
//! what can be measured, what a review looks at, and how the workspace's
//! fiscal year lies (admin to change; built-ins are read-only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::whole_number;
use super::extract::{Caller, Checked, IfMatchHeader, Json};
use super::problem::{Problem, ProblemResponses};
use super::reply::{self, no_content, with_etag};
pub use crate::app::views::{MetricDefinitionView, MetricSetView};
use crate::app::{App, SettingsChange, WorkspaceSettings, etag_of};
use crate::domain::Invalid;
use crate::domain::metric::NewMetric;
use crate::domain::metric_set::MetricSet;
use crate::domain::patch::double_option;
use crate::domain::stakeholder::{Influence, InfluenceChange};

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricDefinitionList {
    pub items: Vec<MetricDefinitionView>,
}

impl Checked for NewMetric {
    fn check(&self) -> Result<(), Invalid> {
        NewMetric::check(self)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricSetList {
    pub items: Vec<MetricSetView>,
}

impl Checked for MetricSet {}

/// List metric definitions: built-ins first, then the workspace's.
///
/// Built-in metrics (observed and derived) and the workspace's own, with unit, aggregation,
/// direction, category and horizon. Any role.
#[utoipa::path(get, path = "/v1/metric-definitions", operation_id = "list_metric_definitions", tag = "metrics",
    responses((status = 200, description = "Every metric the workspace can use", body = MetricDefinitionList), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list_definitions(
    State(app): State<App>,
    Caller(p): Caller,
) -> Result<Response, Problem> {
    let items = app
        .metric_definitions(&p)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(MetricDefinitionList { items }).into_response())
}

/// Get a metric definition.
///
/// How the metric is measured and read, with an `ETag`. Any role.
#[utoipa::path(get, path = "/v1/metric-definitions/{key}", operation_id = "get_metric_definition", tag = "metrics",
    params(("key" = String, Path, description = "e.g. arr")),
    responses((status = 200, description = "The metric", body = MetricDefinitionView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_definition(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
) -> Result<Response, Problem> {
    let metric = app.metric_definition(&p, &key).await?;
    Ok(with_etag(
        StatusCode::OK,
        metric.version,
        MetricDefinitionView::from(metric),
    ))
}

/// Define a custom metric (admin); custom metrics are observed.
///
/// A key, a name and how its values behave: unit, how a quarter aggregates them, which
/// direction is better. Admin role.
#[utoipa::path(post, path = "/v1/metric-definitions", operation_id = "create_metric_definition", tag = "metrics",
    request_body = NewMetric,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = MetricDefinitionView, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_definition(
    State(app): State<App>,
    Caller(p): Caller,
    Json(metric): Json<NewMetric>,
) -> Result<Response, Problem> {
    let created = app.create_metric(&p, metric).await?;
    let location = format!("/v1/metric-definitions/{}", created.definition.key);
    Ok(reply::created(
        location,
        created.version,
        MetricDefinitionView::from(created),
    ))
}

/// Delete a custom metric and every observation of it (admin); refused while a set uses it.
///
/// Built-ins cannot be deleted. A metric a set or a plan's KPI reads is in use (409 `in-use`).
/// Admin role.
#[utoipa::path(delete, path = "/v1/metric-definitions/{key}", operation_id = "delete_metric_definition", tag = "metrics",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_definition(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_metric(&p, &key, &if_match).await?;
    Ok(no_content())
}

/// List metric sets: built-ins first, then the workspace's.
///
/// The built-in `qbr_traditional` and `qbr_future` sets and the workspace's own. Any role.
#[utoipa::path(get, path = "/v1/metric-sets", operation_id = "list_metric_sets", tag = "metrics",
    responses((status = 200, description = "Every metric set", body = MetricSetList), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list_sets(State(app): State<App>, Caller(p): Caller) -> Result<Response, Problem> {
    let items = app
        .metric_sets(&p)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(MetricSetList { items }).into_response())
}

/// Get a metric set.
///
/// Its metrics with their weights, targets and thresholds, with an `ETag`. Any role.
#[utoipa::path(get, path = "/v1/metric-sets/{key}", operation_id = "get_metric_set", tag = "metrics",
    params(("key" = String, Path, description = "e.g. qbr_future")),
    responses((status = 200, description = "The set", body = MetricSetView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_set(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
) -> Result<Response, Problem> {
    let set = app.metric_set(&p, &key).await?;
    Ok(with_etag(
        StatusCode::OK,
        set.version,
        MetricSetView::from(set),
    ))
}

/// Create a metric set (admin).
///
/// An ordered list of metrics with weights, targets and RAG thresholds, read together as a
/// health score. Admin role.
#[utoipa::path(post, path = "/v1/metric-sets", operation_id = "create_metric_set", tag = "metrics",
    request_body = MetricSet,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = MetricSetView, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_set(
    State(app): State<App>,
    Caller(p): Caller,
    Json(set): Json<MetricSet>,
) -> Result<Response, Problem> {
    let created = app.create_metric_set(&p, set).await?;
    let location = format!("/v1/metric-sets/{}", created.definition.key);
    Ok(reply::created(
        location,
        created.version,
        MetricSetView::from(created),
    ))
}

/// Replace a metric set (admin).
///
/// The body replaces the set; `If-Match` guards against concurrent edits. Built-in sets cannot
/// change. Admin role.
#[utoipa::path(put, path = "/v1/metric-sets/{key}", operation_id = "update_metric_set", tag = "metrics",
    request_body = MetricSet,
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the replacement applies to")),
    responses((status = 200, description = "The changed set", body = MetricSetView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update_set(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(set): Json<MetricSet>,
) -> Result<Response, Problem> {
    let set = app.update_metric_set(&p, &key, set, &if_match).await?;
    Ok(with_etag(
        StatusCode::OK,
        set.version,
        MetricSetView::from(set),
    ))
}

/// Delete a metric set (admin).
///
/// Built-in sets cannot be deleted. Admin role.
#[utoipa::path(delete, path = "/v1/metric-sets/{key}", operation_id = "delete_metric_set", tag = "metrics",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_set(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_metric_set(&p, &key, &if_match).await?;
    Ok(no_content())
}

/// How the workspace reads its numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// 1 (January) to 12. Quarters count from this month; a fiscal year is
    /// named after the calendar year it ends in.
    pub fiscal_year_start_month: u32,
    /// An IANA time zone name (default `UTC`). Quarters turn at midnight
    /// here; "today" and the day a bare date (`2026-09-30`) names are its days.
    #[schema(example = "Australia/Sydney")]
    pub time_zone: String,
    /// The workspace's own limit on all its keys' requests together
    /// (`600/min`), in place of the server's default; null when none.
    pub rate_limit: Option<String>,
    /// How much each stakeholder's view weighs in `stakeholder_alignment`.
    pub influence: InfluenceView,
    /// How many days ahead a renewal counts as near (default 90): red health then raises a
    /// `health_near_renewal` risk.
    pub renewal_window_days: u32,
    /// Send back in `If-Match` to change this version only.
    pub etag: String,
}

/// Stakeholder influence: a role's weight, times `purchase_multiplier` for someone involved in
/// the purchase.
#[derive(Debug, Serialize, ToSchema)]
pub struct InfluenceView {
    /// The economic buyer (`decision_maker`) and the executive sponsor; built-in 3.
    pub buyer_and_sponsor: f64,
    /// Built-in 2.
    pub champion: f64,
    /// Everyone else, and anyone without a role; built-in 1.
    pub others: f64,
    /// Built-in 1.5.
    pub purchase_multiplier: f64,
}

impl From<Influence> for InfluenceView {
    fn from(i: Influence) -> Self {
        Self {
            buyer_and_sponsor: i.buyer_and_sponsor,
            champion: i.champion,
            others: i.others,
            purchase_multiplier: i.purchase_multiplier,
        }
    }
}

/// The influence weights to change; absent ones stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfluencePatch {
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub buyer_and_sponsor: Option<f64>,
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub champion: Option<f64>,
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub others: Option<f64>,
    /// Taking part in the purchase never lessens a voice: at least 1.
    #[schema(minimum = 1, maximum = 100)]
    pub purchase_multiplier: Option<f64>,
}

impl From<InfluencePatch> for InfluenceChange {
    fn from(p: InfluencePatch) -> Self {
        Self {
            buyer_and_sponsor: p.buyer_and_sponsor,
            champion: p.champion,
            others: p.others,
            purchase_multiplier: p.purchase_multiplier,
        }
    }
}

impl From<WorkspaceSettings> for SettingsView {
    fn from(s: WorkspaceSettings) -> Self {
        Self {
            fiscal_year_start_month: s.fiscal_year_start_month,
            time_zone: s.time_zone.to_string(),
            rate_limit: s.rate_limit.map(|l| l.to_string()),
            influence: s.influence.into(),
            renewal_window_days: s.renewal_window_days,
            etag: etag_of(s.version),
        }
    }
}

/// A merge patch of the settings: absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 12)]
    pub fiscal_year_start_month: Option<i64>,
    /// An IANA time zone name, as `Europe/Paris` or `Australia/Sydney`.
    #[schema(min_length = 1, max_length = 64, example = "Australia/Sydney")]
    pub time_zone: Option<String>,
    /// A quota per window (`600/min`, `10/s`, `5000/h`) for all the
    /// workspace's keys together; null returns to the server's default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(pattern = "^[1-9][0-9]{0,8}/(s|sec|second|min|minute|h|hour)$")]
    pub rate_limit: Option<Option<String>>,
    /// Stakeholder influence weights to change.
    pub influence: Option<InfluencePatch>,
    /// How many days ahead a renewal counts as near.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 730)]
    pub renewal_window_days: Option<i64>,
}

impl Checked for SettingsPatch {}

/// The workspace's settings.
///
/// The fiscal year's first month, which names quarters across the API, and
/// the time zone its days are drawn in. Any role.
#[utoipa::path(get, path = "/v1/workspace/settings", operation_id = "get_workspace_settings", tag = "workspace",
    responses((status = 200, description = "The settings", body = SettingsView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_settings(State(app): State<App>, Caller(p): Caller) -> Result<Response, Problem> {
    let settings = app.workspace_settings(&p).await?;
    Ok(with_etag(
        StatusCode::OK,
        settings.version,
        SettingsView::from(settings),
    ))
}

/// Change the workspace's settings (admin).
///
/// A merge patch; `If-Match` guards against concurrent edits. Admin role.
#[utoipa::path(patch, path = "/v1/workspace/settings", operation_id = "update_workspace_settings", tag = "workspace",
    request_body = SettingsPatch,
    params(("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses((status = 200, description = "The settings now", body = SettingsView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn patch_settings(
    State(app): State<App>,
    Caller(p): Caller,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(patch): Json<SettingsPatch>,
) -> Result<Response, Problem> {
    let settings = app
        .update_workspace_settings(
            &p,
            SettingsChange {
                fiscal_year_start_month: patch.fiscal_year_start_month,
                time_zone: patch.time_zone,
                rate_limit: patch.rate_limit,
                influence: patch.influence.map(Into::into).unwrap_or_default(),
                renewal_window_days: patch.renewal_window_days,
            },
            &if_match,
        )
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        settings.version,
        SettingsView::from(settings),
    ))
}
