//! `/v1/accounts/{id}/risks` and `/v1/risks/{id}`: risks people raise against
//! an account's renewal and resolve.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::Listing;
use super::extract::{Caller, Checked, Json, PathId, Query};
use super::problem::{Problem, ProblemResponses};
use crate::app::views::RiskView;
use crate::app::{App, PageRequest};
use crate::domain::Invalid;
use crate::domain::filter::RiskStatus;
use crate::domain::risk::{ResolutionDraft, RiskDraft, RiskKind};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    pub kind: RiskKind,
    /// What threatens the renewal, in a sentence or two.
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub reason: String,
    /// Who raised it; the API key (`api_key:<id>`) when absent.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub raised_by: Option<String>,
}

impl From<RiskInput> for RiskDraft {
    fn from(i: RiskInput) -> Self {
        Self {
            kind: i.kind,
            reason: i.reason,
            raised_by: i.raised_by,
        }
    }
}

impl Checked for RiskInput {
    fn check(&self) -> Result<(), Invalid> {
        RiskDraft::from(self.clone()).validate()
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    /// Who resolved it; the API key (`api_key:<id>`) when absent.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub resolved_by: Option<String>,
    /// How it was resolved.
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub resolution: Option<String>,
}

impl From<ResolutionInput> for ResolutionDraft {
    fn from(i: ResolutionInput) -> Self {
        Self {
            by: i.resolved_by,
            note: i.resolution,
        }
    }
}

impl Checked for ResolutionInput {
    fn check(&self) -> Result<(), Invalid> {
        ResolutionDraft::from(self.clone()).validate()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskListQuery {
    /// `open` (the default), `resolved` or `all`.
    #[param(inline)]
    pub status: Option<RiskStatus>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

/// Raise a risk against an account's renewal.
///
/// A budget cut, a competitor, an executive change: open until resolved, shown with the
/// account's health, its QBR and the portfolio's health. Write role; send an
/// `Idempotency-Key` to make retries safe.
#[utoipa::path(operation_id = "raise_risk", post, path = "/v1/accounts/{id}/risks", tag = "accounts",
    request_body = RiskInput,
    params(("id" = Uuid, Path, description = "The account"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Raised", body = RiskView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn raise(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(account): PathId,
    Json(input): Json<RiskInput>,
) -> Result<Response, Problem> {
    let risk = app.raise_risk(&p, account, input.into()).await?;
    Ok(located_risk(StatusCode::CREATED, RiskView::from(risk)))
}

/// List an account's raised risks.
///
/// Open ones unless `status` says otherwise, oldest first. Any role.
#[utoipa::path(operation_id = "list_risks", get, path = "/v1/accounts/{id}/risks", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), RiskListQuery),
    responses((status = 200, description = "A page of risks", body = Listing<RiskView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(account): PathId,
    Query(q): Query<RiskListQuery>,
) -> Result<Response, Problem> {
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let status = q.status.unwrap_or(RiskStatus::Open);
    let listed = app.risks(&p, account, status, &page).await?;
    Ok(axum::Json(Listing::from_listed(listed, RiskView::from)).into_response())
}

/// Get a raised risk.
///
/// Any role.
#[utoipa::path(operation_id = "get_risk", get, path = "/v1/risks/{id}", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The risk", body = RiskView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let risk = app.risk(&p, id).await?;
    Ok(axum::Json(RiskView::from(risk)).into_response())
}

/// Resolve a raised risk.
///
/// Once resolved it no longer counts as open; resolving it again is a 409, so two people
/// closing the same risk learn that one of them did. Write role.
#[utoipa::path(operation_id = "resolve_risk", post, path = "/v1/risks/{id}/resolve", tag = "accounts",
    request_body = ResolutionInput,
    params(("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 200, description = "Resolved", body = RiskView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn resolve(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Json(input): Json<ResolutionInput>,
) -> Result<Response, Problem> {
    let risk = app.resolve_risk(&p, id, input.into()).await?;
    Ok(axum::Json(RiskView::from(risk)).into_response())
}

fn located_risk(status: StatusCode, view: RiskView) -> Response {
    let location = format!("/v1/risks/{}", view.id);
    (
        status,
        [(axum::http::header::LOCATION, location)],
        axum::Json(view),
    )
        .into_response()
}
