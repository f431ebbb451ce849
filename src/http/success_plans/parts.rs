//! A plan's objectives, KPIs and milestones: nested resources of one record.
//! Each write takes the plan's ETag and answers with the part and the plan's
//! recomputed progress.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::super::extract::{Caller, IfMatchHeader, Json, PathId, PathIds};
use super::super::problem::{Problem, ProblemResponses};
use super::super::reply::{created, with_etag};
use super::{IDEMPOTENCY, ProgressView};
use crate::app::{App, AssessedPlan, PlanChange};
use crate::domain::success_plan::{
    Kpi, KpiDraft, KpiPatch, Milestone, MilestoneDraft, MilestonePatch, Objective, ObjectiveDraft,
    ObjectivePatch,
};

/// A part of a plan as it now is, with the plan's recomputed progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartChange<T> {
    pub item: T,
    pub progress: ProgressView,
}

/// The answer to a write of a part: the plan's ETag, 201 + Location for a new part.
fn part_changed<T: Serialize>(change: PlanChange<T>, location: Option<String>) -> Response {
    let version = change.plan.plan.version;
    let body = PartChange {
        progress: ProgressView::from(&change.plan),
        item: change.item,
    };
    match location {
        Some(l) => created(l, version, body),
        None => with_etag(StatusCode::OK, version, body),
    }
}

/// The answer to a removal of a part: the plan's recomputed progress.
fn part_removed(plan: AssessedPlan) -> Response {
    with_etag(StatusCode::OK, plan.plan.version, ProgressView::from(&plan))
}

/// Add an objective (optionally with KPIs and milestones) to a plan.
///
/// Answers the objective and the plan's recomputed progress. Write role.
#[utoipa::path(operation_id = "create_objective", post, path = "/v1/success-plans/{id}/objectives", tag = "success-plans",
    request_body = ObjectiveDraft,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = IDEMPOTENCY, pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Added; the plan's ETag", body = PartChange<Objective>, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_objective(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(plan_id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<ObjectiveDraft>,
) -> Result<Response, Problem> {
    let change = app.add_objective(&p, plan_id, input, &if_match).await?;
    let location = format!("/v1/success-plans/{plan_id}/objectives/{}", change.item.id);
    Ok(part_changed(change, Some(location)))
}

/// Get an objective of a plan.
///
/// With its KPIs and milestones. Any role.
#[utoipa::path(operation_id = "get_objective", get, path = "/v1/success-plans/{id}/objectives/{objective_id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path)),
    responses((status = 200, description = "The objective; the plan's ETag", body = Objective, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_objective(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id]): PathIds<2>,
) -> Result<Response, Problem> {
    let (o, version) = app.objective(&p, plan_id, objective_id).await?;
    Ok(with_etag(StatusCode::OK, version, o))
}

/// Change an objective (merge patch; its KPIs and milestones have their own).
///
/// Title, outcome, weight, due date and status; answers the objective and the plan's recomputed
/// progress. Write role.
#[utoipa::path(operation_id = "update_objective", patch, path = "/v1/success-plans/{id}/objectives/{objective_id}", tag = "success-plans",
    request_body = ObjectivePatch,
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag")),
    responses((status = 200, description = "Changed; the plan's ETag", body = PartChange<Objective>, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update_objective(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id]): PathIds<2>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<ObjectivePatch>,
) -> Result<Response, Problem> {
    let change = app
        .update_objective(&p, plan_id, objective_id, input, &if_match)
        .await?;
    Ok(part_changed(change, None))
}

/// Remove an objective with its KPIs and milestones; its successes stay, detached.
///
/// Answers the plan's recomputed progress. Write role.
#[utoipa::path(operation_id = "delete_objective", delete, path = "/v1/success-plans/{id}/objectives/{objective_id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag")),
    responses((status = 200, description = "Removed; the plan's recomputed progress", body = ProgressView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_objective(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id]): PathIds<2>,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    let plan = app
        .remove_objective(&p, plan_id, objective_id, &if_match)
        .await?;
    Ok(part_removed(plan))
}

/// Add a KPI to an objective.
///
/// A baseline and a target, and either a linked metric (its latest observation is the current
/// value) or a current value entered by hand. Answers the KPI and the plan's progress. Write
/// role.
#[utoipa::path(operation_id = "create_kpi", post, path = "/v1/success-plans/{id}/objectives/{objective_id}/kpis", tag = "success-plans",
    request_body = KpiDraft,
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = IDEMPOTENCY, pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Added; the plan's ETag", body = PartChange<Kpi>, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_kpi(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id]): PathIds<2>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<KpiDraft>,
) -> Result<Response, Problem> {
    let change = app
        .add_part(&p, plan_id, objective_id, input.into_kpi(), &if_match)
        .await?;
    let location = format!(
        "/v1/success-plans/{plan_id}/objectives/{objective_id}/kpis/{}",
        change.item.id
    );
    Ok(part_changed(change, Some(location)))
}

/// Get a KPI of an objective.
///
/// Its baseline, target and current value. Any role.
#[utoipa::path(operation_id = "get_kpi", get, path = "/v1/success-plans/{id}/objectives/{objective_id}/kpis/{kpi_id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("kpi_id" = Uuid, Path)),
    responses((status = 200, description = "The KPI; the plan's ETag", body = Kpi, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_kpi(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id, kpi_id]): PathIds<3>,
) -> Result<Response, Problem> {
    let (k, version) = app.part::<Kpi>(&p, plan_id, objective_id, kpi_id).await?;
    Ok(with_etag(StatusCode::OK, version, k))
}

/// Change a KPI (merge patch): e.g. enter its `current` value.
///
/// Answers the KPI and the plan's recomputed progress. Write role.
#[utoipa::path(operation_id = "update_kpi", patch, path = "/v1/success-plans/{id}/objectives/{objective_id}/kpis/{kpi_id}", tag = "success-plans",
    request_body = KpiPatch,
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("kpi_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag")),
    responses((status = 200, description = "Changed; the plan's ETag", body = PartChange<Kpi>, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update_kpi(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id, kpi_id]): PathIds<3>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<KpiPatch>,
) -> Result<Response, Problem> {
    let change = app
        .update_part(&p, plan_id, objective_id, kpi_id, input, &if_match)
        .await?;
    Ok(part_changed(change, None))
}

/// Remove a KPI.
///
/// Answers the plan's recomputed progress. Write role.
#[utoipa::path(operation_id = "delete_kpi", delete, path = "/v1/success-plans/{id}/objectives/{objective_id}/kpis/{kpi_id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("kpi_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag")),
    responses((status = 200, description = "Removed; the plan's recomputed progress", body = ProgressView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_kpi(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id, kpi_id]): PathIds<3>,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    let plan = app
        .remove_part::<Kpi>(&p, plan_id, objective_id, kpi_id, &if_match)
        .await?;
    Ok(part_removed(plan))
}

/// Add a milestone to an objective.
///
/// Optionally done already, on a given date. Answers the milestone and the plan's progress.
/// Write role.
#[utoipa::path(operation_id = "create_milestone", post, path = "/v1/success-plans/{id}/objectives/{objective_id}/milestones", tag = "success-plans",
    request_body = MilestoneDraft,
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = IDEMPOTENCY, pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Added; the plan's ETag", body = PartChange<Milestone>, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create_milestone(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id]): PathIds<2>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<MilestoneDraft>,
) -> Result<Response, Problem> {
    let change = app
        .add_part(&p, plan_id, objective_id, input.into_milestone(), &if_match)
        .await?;
    let location = format!(
        "/v1/success-plans/{plan_id}/objectives/{objective_id}/milestones/{}",
        change.item.id
    );
    Ok(part_changed(change, Some(location)))
}

/// Get a milestone of an objective.
///
/// Its due date and whether (and when) it was done. Any role.
#[utoipa::path(operation_id = "get_milestone", get, path = "/v1/success-plans/{id}/objectives/{objective_id}/milestones/{milestone_id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("milestone_id" = Uuid, Path)),
    responses((status = 200, description = "The milestone; the plan's ETag", body = Milestone, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_milestone(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id, milestone_id]): PathIds<3>,
) -> Result<Response, Problem> {
    let (m, version) = app
        .part::<Milestone>(&p, plan_id, objective_id, milestone_id)
        .await?;
    Ok(with_etag(StatusCode::OK, version, m))
}

/// Change a milestone (merge patch): e.g. mark it done.
///
/// Marking it done records the day (default today); marking it not done clears it. Answers the
/// milestone and the plan's progress. Write role.
#[utoipa::path(operation_id = "update_milestone", patch, path = "/v1/success-plans/{id}/objectives/{objective_id}/milestones/{milestone_id}", tag = "success-plans",
    request_body = MilestonePatch,
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag")),
    responses((status = 200, description = "Changed; the plan's ETag", body = PartChange<Milestone>, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update_milestone(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id, milestone_id]): PathIds<3>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<MilestonePatch>,
) -> Result<Response, Problem> {
    let change = app
        .update_part(&p, plan_id, objective_id, milestone_id, input, &if_match)
        .await?;
    Ok(part_changed(change, None))
}

/// Remove a milestone.
///
/// Answers the plan's recomputed progress. Write role.
#[utoipa::path(operation_id = "delete_milestone", delete, path = "/v1/success-plans/{id}/objectives/{objective_id}/milestones/{milestone_id}", tag = "success-plans",
    params(("id" = Uuid, Path), ("objective_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "The plan's ETag")),
    responses((status = 200, description = "Removed; the plan's recomputed progress", body = ProgressView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_milestone(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([plan_id, objective_id, milestone_id]): PathIds<3>,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    let plan = app
        .remove_part::<Milestone>(&p, plan_id, objective_id, milestone_id, &if_match)
        .await?;
    Ok(part_removed(plan))
}
