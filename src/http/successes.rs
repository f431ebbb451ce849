//! `/v1/successes`: captured wins and their anatomy.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{ExternalRefDto, Listing, PageQuery};
use super::extract::{Caller, Checked, IfMatchHeader, Json, PathId, PathIds, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{created, no_content, with_etag};
pub use crate::app::views::{RecordedReuseView, SuccessView};
use crate::app::{App, AssessedSuccess, PageRequest, SuccessQuery};
use crate::domain::success::{Part, ReuseScope, SuccessDraft, SuccessPatch};
use crate::domain::success_reuse::{ReuseDraft, ReuseResult};
use crate::domain::time::When;
use crate::domain::{ExternalRef, Invalid, RecordKey};

/// The use cases check these whole, with the plan they name.
impl Checked for SuccessDraft {}
impl Checked for SuccessPatch {}

fn success_reply(status: StatusCode, a: AssessedSuccess) -> Response {
    let version = a.success.version;
    with_etag(status, version, SuccessView::from(a))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuccessListQuery {
    pub account_id: Option<Uuid>,
    /// At least this many parts present at `as_of`.
    #[param(minimum = 0, maximum = 5)]
    pub min_score: Option<i64>,
    /// Only wins missing this part: `story` finds the ones worth telling, `reuse` the ones worth repeating.
    pub missing: Option<Part>,
    /// Only wins with a reuse record of this scope.
    pub reusable_in: Option<ReuseScope>,
    /// When the anatomy is judged (permanence needs 90 days by then); default today. Also a date-time: the day it falls on in the workspace's time zone.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<When>,
    /// Only successes changed after this time. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<When>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// When the anatomy is judged; default today. Also a date-time: the day it falls on in the workspace's time zone.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<When>,
}

/// Capture a success.
///
/// A title and whatever parts of its anatomy are known: outcome, story, reuse, measurable
/// evidence, permanence. Optionally tied to a plan and objective of the same account. Write
/// role.
#[utoipa::path(operation_id = "create_success", post, path = "/v1/successes", tag = "successes",
    request_body = SuccessDraft,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = SuccessView, headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<SuccessDraft>,
) -> Result<Response, Problem> {
    let a = app.create_success(&p, input).await?;
    let location = format!("/v1/successes/{}", a.success.id);
    Ok(created(location, a.success.version, SuccessView::from(a)))
}

/// List successes, with their anatomy at `as_of`.
///
/// Filter by account, minimum anatomy score, a missing part or a reuse scope, to find the wins
/// worth turning into stories. Any role.
#[utoipa::path(operation_id = "list_successes", get, path = "/v1/successes", tag = "successes",
    params(SuccessListQuery),
    responses((status = 200, description = "A page of successes", body = Listing<SuccessView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<SuccessListQuery>,
) -> Result<Response, Problem> {
    let query = SuccessQuery {
        account_id: q.account_id,
        min_score: q.min_score,
        missing: q.missing,
        reusable_in: q.reusable_in,
        as_of: q.as_of.map(|w| w.day(p.zone)),
        updated_since: q.updated_since.map(|w| w.instant(p.zone)),
    };
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app.successes(&p, &query, &page).await?;
    Ok(axum::Json(Listing::from_listed(listed, SuccessView::from)).into_response())
}

/// Get a success.
///
/// With its anatomy score and missing parts at `as_of` (default today). Any role.
#[utoipa::path(operation_id = "get_success", get, path = "/v1/successes/{id}", tag = "successes",
    params(("id" = Uuid, Path), AsOfQuery),
    responses((status = 200, description = "The success", body = SuccessView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, Problem> {
    Ok(success_reply(
        StatusCode::OK,
        app.success(&p, id, q.as_of.map(|w| w.day(p.zone))).await?,
    ))
}

/// Change a success (merge patch; `reuse` replaces the list).
///
/// Fields left out are kept; `reuse`, when given, replaces the list. Write role.
#[utoipa::path(operation_id = "update_success", patch, path = "/v1/successes/{id}", tag = "successes",
    request_body = SuccessPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses((status = 200, description = "The changed success", body = SuccessView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<SuccessPatch>,
) -> Result<Response, Problem> {
    let a = app.update_success(&p, id, input, &if_match).await?;
    Ok(success_reply(StatusCode::OK, a))
}

/// Delete a success.
///
/// `If-Match` makes it conditional. Write role.
#[utoipa::path(operation_id = "delete_success", delete, path = "/v1/successes/{id}", tag = "successes",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_success(&p, id, &if_match).await?;
    Ok(no_content())
}

/// Where a success was reapplied, as a client records it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseInput {
    /// The account it was applied at (this success's, for another team, or another customer);
    /// or name it by `account_ref`.
    pub account_id: Option<Uuid>,
    /// The account by its id in another system, instead of `account_id`.
    pub account_ref: Option<ExternalRefDto>,
    /// A plan of that account the reuse served.
    pub plan_id: Option<Uuid>,
    /// An objective of `plan_id`.
    pub objective_id: Option<Uuid>,
    /// Default today; not before the success's `achieved_on`, not in the future.
    pub applied_on: Option<NaiveDate>,
    /// What it achieved there.
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub outcome: String,
    pub result: Option<ReuseResult>,
}

/// The use case checks the rest whole, against the success.
impl Checked for ReuseInput {}

impl TryFrom<ReuseInput> for ReuseDraft {
    type Error = Invalid;

    fn try_from(i: ReuseInput) -> Result<Self, Invalid> {
        Ok(Self {
            account: RecordKey::one_of(
                i.account_ref.map(ExternalRef::from),
                i.account_id,
                ("account_ref", "account_id"),
            )?,
            plan_id: i.plan_id,
            objective_id: i.objective_id,
            applied_on: i.applied_on,
            outcome: i.outcome,
            result: i.result,
        })
    }
}

/// Record that a success was reapplied.
///
/// At an account — the success's own (another team) or another customer's, by id or by its
/// id in your CRM — optionally for a plan objective there, with what it achieved and the
/// numbers. The success's reuse count and list grow, and a recorded reuse proves its `reuse`
/// part. Write role.
#[utoipa::path(operation_id = "record_success_reuse", post, path = "/v1/successes/{id}/reuses", tag = "successes",
    request_body = ReuseInput,
    params(("id" = Uuid, Path, description = "The success"), ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Recorded", body = RecordedReuseView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn record_reuse(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Json(input): Json<ReuseInput>,
) -> Result<Response, Problem> {
    let reuse = app.record_reuse(&p, id, input.try_into()?).await?;
    let location = format!("/v1/successes/{id}/reuses/{}", reuse.id);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        axum::Json(RecordedReuseView::from(reuse)),
    )
        .into_response())
}

/// List where a success was reapplied, in the order recorded.
///
/// Any role.
#[utoipa::path(operation_id = "list_success_reuses", get, path = "/v1/successes/{id}/reuses", tag = "successes",
    params(("id" = Uuid, Path, description = "The success"), PageQuery),
    responses((status = 200, description = "A page of reuses", body = Listing<RecordedReuseView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list_reuses(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Query(q): Query<PageQuery>,
) -> Result<Response, Problem> {
    let listed = app.success_reuses(&p, id, &q.into()).await?;
    Ok(axum::Json(Listing::from_listed(listed, RecordedReuseView::from)).into_response())
}

/// Remove a recorded reuse.
///
/// Write role.
#[utoipa::path(operation_id = "delete_success_reuse", delete, path = "/v1/successes/{id}/reuses/{reuse_id}", tag = "successes",
    params(("id" = Uuid, Path, description = "The success"), ("reuse_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete_reuse(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([id, reuse_id]): PathIds<2>,
) -> Result<Response, Problem> {
    app.delete_reuse(&p, id, reuse_id).await?;
    Ok(no_content())
}
