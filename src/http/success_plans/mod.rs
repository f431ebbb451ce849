//! `/v1/success-plan-templates` and `/v1/success-plans`, with a plan's
//! objectives, KPIs and milestones as nested resources. A plan is one
//! record: its ETag covers its parts, and every write to a part answers
//! with the plan's recomputed progress.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::Listing;
use super::extract::{Caller, Checked, IfMatchHeader, Json, PathId, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{created, no_content, with_etag};
use crate::app::{App, AssessedPlan, PageRequest, PlanQuery, etag_of};
use crate::domain::filter::PlanFilter;
use crate::domain::time::When;
mod parts;

pub use parts::*;

pub use crate::app::views::{PlanView, ProgressSummary, TemplateView};
use crate::domain::success_plan::{
    KpiDraft, KpiPatch, MilestoneDraft, MilestonePatch, NewPlan, ObjectiveDraft, ObjectivePatch,
    PlanHealth, PlanPatch, PlanStatus, TemplateFields, TemplatePatch,
};

/// The use cases check these whole (with the plan they join), so parsing
/// adds no check of its own.
impl Checked for TemplateFields {}
impl Checked for TemplatePatch {}
impl Checked for NewPlan {}
impl Checked for PlanPatch {}
impl Checked for ObjectiveDraft {}
impl Checked for ObjectivePatch {}
impl Checked for KpiDraft {}
impl Checked for KpiPatch {}
impl Checked for MilestoneDraft {}
impl Checked for MilestonePatch {}

#[derive(Debug, Serialize, ToSchema)]
pub struct KpiProgressView {
    pub kpi_id: Uuid,
    pub name: String,
    pub metric_key: Option<String>,
    pub baseline: f64,
    pub target: f64,
    /// The linked metric's latest observation by `as_of`, or the value entered.
    pub current: Option<f64>,
    /// When the linked metric's value was observed.
    pub observed_at: Option<DateTime<Utc>>,
    /// clamp((current − baseline) / (target − baseline), 0, 1).
    pub attainment: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectiveProgressView {
    pub objective_id: Uuid,
    pub title: String,
    pub weight: f64,
    /// Mean of (mean KPI attainment, share of milestones done) over the parts it has.
    pub progress: f64,
    pub kpis: Vec<KpiProgressView>,
    pub milestones_done: usize,
    pub milestones_total: usize,
}

/// A plan's progress, KPI by KPI and objective by objective.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub plan_id: Uuid,
    #[serde(flatten)]
    pub summary: ProgressSummary,
    pub objectives: Vec<ObjectiveProgressView>,
    /// The plan's ETag, for a following write.
    pub etag: String,
}

impl From<&AssessedPlan> for ProgressView {
    fn from(a: &AssessedPlan) -> Self {
        let objectives = a
            .progress
            .objectives_of(&a.plan)
            .map(|(o, op)| ObjectiveProgressView {
                objective_id: o.id,
                title: o.title.clone(),
                weight: o.weight,
                progress: op.progress,
                kpis: op
                    .kpis_of(o)
                    .map(|(k, kp)| KpiProgressView {
                        kpi_id: k.id,
                        name: k.name.clone(),
                        metric_key: k.metric_key.clone(),
                        baseline: k.baseline,
                        target: k.target,
                        current: kp.current,
                        observed_at: kp.observed_at,
                        attainment: kp.attainment,
                    })
                    .collect(),
                milestones_done: op.milestones_done,
                milestones_total: op.milestones_total,
            })
            .collect();
        Self {
            plan_id: a.plan.id,
            summary: ProgressSummary::from(&a.progress),
            objectives,
            etag: etag_of(a.plan.version),
        }
    }
}

fn plan_reply(status: StatusCode, a: AssessedPlan) -> Response {
    let version = a.plan.version;
    with_etag(status, version, PlanView::from(a))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateListQuery {
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
    /// Only templates changed after this time. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<When>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanListQuery {
    pub account_id: Option<Uuid>,
    pub status: Option<PlanStatus>,
    /// Only plans of this owner (email), matched in any case.
    pub owner: Option<String>,
    /// Health today.
    pub health: Option<PlanHealth>,
    /// Only plans changed after this time. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<When>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// Default today in the workspace's time zone. Also a date-time: the day it falls on in the workspace's time zone.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<When>,
}

/// How a POST with an `Idempotency-Key` behaves (shared by the parts).
const IDEMPOTENCY: &str = "Replays the first answer to a repeated POST";

/// Create a success-plan template.
///
/// Objectives with KPIs and milestones whose due dates are offsets from a plan's start. Write
/// role.
#[utoipa::path(operation_id = "create_success_plan_template", post, path = "/v1/success-plan-templates", tag = "success-plans",
    request_body = TemplateFields,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = IDEMPOTENCY, pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = TemplateView, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_template(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<TemplateFields>,
) -> Result<Response, Problem> {
    let t = app.create_template(&p, input).await?;
    Ok(created(
        format!("/v1/success-plan-templates/{}", t.id),
        t.version,
        TemplateView::from(t),
    ))
}

/// List success-plan templates.
///
/// Reusable plans, paged, with `updated_since`. Any role.
#[utoipa::path(operation_id = "list_success_plan_templates", get, path = "/v1/success-plan-templates", tag = "success-plans",
    params(TemplateListQuery),
    responses((status = 200, description = "A page of templates", body = Listing<TemplateView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list_templates(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<TemplateListQuery>,
) -> Result<Response, Problem> {
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app
        .templates(&p, q.updated_since.map(|w| w.instant(p.zone)), &page)
        .await?;
    Ok(axum::Json(Listing::from_listed(listed, TemplateView::from)).into_response())
}

/// Get a success-plan template.
///
/// Its objectives, KPIs and milestones, with an `ETag`. Any role.
#[utoipa::path(operation_id = "get_success_plan_template", get, path = "/v1/success-plan-templates/{id}", tag = "success-plans",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The template", body = TemplateView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_template(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let t = app.template(&p, id).await?;
    Ok(with_etag(StatusCode::OK, t.version, TemplateView::from(t)))
}

/// Change a template (merge patch; `objectives` replaces the list). Plans made from it keep their copy.
///
/// Fields left out are kept; `objectives`, when given, replaces the list. Write role.
#[utoipa::path(operation_id = "update_success_plan_template", patch, path = "/v1/success-plan-templates/{id}", tag = "success-plans",
    request_body = TemplatePatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses((status = 200, description = "The changed template", body = TemplateView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update_template(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<TemplatePatch>,
) -> Result<Response, Problem> {
    let t = app.update_template(&p, id, input, &if_match).await?;
    Ok(with_etag(StatusCode::OK, t.version, TemplateView::from(t)))
}

/// Delete a template; plans made from it are not touched.
///
/// Plans made from it keep their copy. Write role.
#[utoipa::path(operation_id = "delete_success_plan_template", delete, path = "/v1/success-plan-templates/{id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_template(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_template(&p, id, &if_match).await?;
    Ok(no_content())
}

/// Create a success plan for an account: blank, or from a template
/// (its objectives, KPIs and milestones copied, due dates at start + offset).
///
/// Name and target date are required without a template; with one they default to its name and
/// the start plus its duration. Write role.
#[utoipa::path(operation_id = "create_success_plan", post, path = "/v1/success-plans", tag = "success-plans",
    request_body = NewPlan,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = IDEMPOTENCY, pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = PlanView, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_plan(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<NewPlan>,
) -> Result<Response, Problem> {
    let a = app.create_plan(&p, input).await?;
    let location = format!("/v1/success-plans/{}", a.plan.id);
    Ok(created(location, a.plan.version, PlanView::from(a)))
}

/// List success plans, with today's progress.
///
/// Filter by account, status, owner, health (on track, at risk, off track) and `updated_since`;
/// each plan carries today's progress. Any role.
#[utoipa::path(operation_id = "list_success_plans", get, path = "/v1/success-plans", tag = "success-plans",
    params(PlanListQuery),
    responses((status = 200, description = "A page of plans", body = Listing<PlanView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list_plans(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<PlanListQuery>,
) -> Result<Response, Problem> {
    let query = PlanQuery {
        filter: PlanFilter {
            account_id: q.account_id,
            status: q.status,
            owner: q.owner,
            updated_since: q.updated_since.map(|w| w.instant(p.zone)),
            ..PlanFilter::default()
        },
        health: q.health,
    };
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app.plans(&p, &query, &page).await?;
    Ok(axum::Json(Listing::from_listed(listed, PlanView::from)).into_response())
}

/// Get a success plan with today's progress.
///
/// The plan with its objectives, KPIs and milestones, today's progress and its `ETag`. Any
/// role.
#[utoipa::path(operation_id = "get_success_plan", get, path = "/v1/success-plans/{id}", tag = "success-plans",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The plan", body = PlanView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_plan(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    Ok(plan_reply(StatusCode::OK, app.plan(&p, id).await?))
}

/// Change a plan's own fields (merge patch). `achieved` needs every
/// objective done, or a `status_reason`.
///
/// Name, owner, status and reason, start and target dates; objectives have their own
/// operations. Write role.
#[utoipa::path(operation_id = "update_success_plan", patch, path = "/v1/success-plans/{id}", tag = "success-plans",
    request_body = PlanPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses((status = 200, description = "The changed plan", body = PlanView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update_plan(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<PlanPatch>,
) -> Result<Response, Problem> {
    let a = app.update_plan(&p, id, input, &if_match).await?;
    Ok(plan_reply(StatusCode::OK, a))
}

/// Delete a plan; successes that proved it stay, detached.
///
/// Its objectives, KPIs and milestones go with it; successes that proved it stay, detached.
/// Write role.
#[utoipa::path(operation_id = "delete_success_plan", delete, path = "/v1/success-plans/{id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_plan(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_plan(&p, id, &if_match).await?;
    Ok(no_content())
}

/// A plan's progress at a date: per-KPI attainment (linked KPIs read the
/// account's latest observation by then), per-objective and plan progress,
/// the expected share and health.
///
/// Progress as it stood on `as_of` (default today): KPI values as observed by then, milestones
/// done by then. Any role.
#[utoipa::path(operation_id = "get_success_plan_progress", get, path = "/v1/success-plans/{id}/progress", tag = "success-plans",
    params(("id" = Uuid, Path), ProgressQuery),
    responses((status = 200, description = "The plan's progress", body = ProgressView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn progress(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Query(q): Query<ProgressQuery>,
) -> Result<Response, Problem> {
    let a = app
        .plan_progress(&p, id, q.as_of.map(|w| w.day(p.zone)))
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        a.plan.version,
        ProgressView::from(&a),
    ))
}
