//! `/v1/prioritization-policies`: which matrices weigh how much in a ranking,
//! and where the tiers start (admin to change; built-ins are read-only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Caller, Checked, IfMatchHeader, Json};
use super::problem::{Problem, ProblemResponses};
use super::reply::{self, no_content, with_etag};
use crate::app::App;
pub use crate::app::views::PolicyView;
use crate::domain::prioritization::Policy;

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyView>,
}

impl Checked for Policy {}

/// List prioritisation policies.
///
/// The built-in `default` policy and the workspace's own. Any role.
#[utoipa::path(get, path = "/v1/prioritization-policies", operation_id = "list_policies", tag = "prioritization",
    responses((status = 200, description = "Built-ins first, then the workspace's", body = PolicyList), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(State(app): State<App>, Caller(p): Caller) -> Result<Response, Problem> {
    let items = app
        .policies(&p)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(PolicyList { items }).into_response())
}

/// Get a prioritisation policy.
///
/// Its weights and cuts, with an `ETag`. Any role.
#[utoipa::path(get, path = "/v1/prioritization-policies/{key}", operation_id = "get_policy", tag = "prioritization",
    params(("key" = String, Path, description = "e.g. default")),
    responses((status = 200, description = "The policy", body = PolicyView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
) -> Result<Response, Problem> {
    let policy = app.policy(&p, &key).await?;
    Ok(with_etag(
        StatusCode::OK,
        policy.version,
        PolicyView::from(policy),
    ))
}

/// Create a prioritisation policy (admin).
///
/// Matrices with their weights and the tier cut points. Admin role.
#[utoipa::path(post, path = "/v1/prioritization-policies", operation_id = "create_policy", tag = "prioritization",
    request_body = Policy,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = PolicyView, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(policy): Json<Policy>,
) -> Result<Response, Problem> {
    let created = app.create_policy(&p, policy).await?;
    let location = format!("/v1/prioritization-policies/{}", created.definition.key);
    Ok(reply::created(
        location,
        created.version,
        PolicyView::from(created),
    ))
}

/// Replace a prioritisation policy (admin).
///
/// The body replaces the policy; `If-Match` guards against concurrent edits. The built-in
/// cannot change. Admin role.
#[utoipa::path(put, path = "/v1/prioritization-policies/{key}", operation_id = "update_policy", tag = "prioritization",
    request_body = Policy,
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the replacement applies to")),
    responses((status = 200, description = "The changed policy", body = PolicyView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(policy): Json<Policy>,
) -> Result<Response, Problem> {
    let policy = app.update_policy(&p, &key, policy, &if_match).await?;
    Ok(with_etag(
        StatusCode::OK,
        policy.version,
        PolicyView::from(policy),
    ))
}

/// Delete a prioritisation policy (admin).
///
/// The built-in cannot be deleted. Admin role.
#[utoipa::path(delete, path = "/v1/prioritization-policies/{key}", operation_id = "delete_policy", tag = "prioritization",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_policy(&p, &key, &if_match).await?;
    Ok(no_content())
}
