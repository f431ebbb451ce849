//! `/v1/assessments`: a subject's scores on a framework, stored with what they say.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{ExternalRefDto, Listing};
use super::extract::{Caller, Checked, Json, PathId, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{located, no_content};
pub use crate::app::views::AssessmentView;
use crate::app::{App, PageRequest};
use crate::domain::assessment::AssessmentDraft;
use crate::domain::filter::AssessmentFilter;
use crate::domain::framework::Scores;
use crate::domain::time::When;
use crate::domain::{ExternalRef, Invalid, RecordKey};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// The account assessed; or name it by `account_ref`.
    pub account_id: Option<Uuid>,
    /// The account by its id in another system (`{"system": "salesforce", "id": "001…"}`),
    /// instead of `account_id`.
    pub account_ref: Option<ExternalRefDto>,
    /// Required when the framework scores stakeholders; a stakeholder of the account. Or name
    /// it by `stakeholder_ref`.
    pub stakeholder_id: Option<Uuid>,
    /// The stakeholder by its id in another system, instead of `stakeholder_id`.
    pub stakeholder_ref: Option<ExternalRefDto>,
    /// The framework's key, e.g. `readiness`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub framework: String,
    /// Every dimension of the framework, each within its scale.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub scores: Scores,
    /// Optional notes by dimension key.
    pub notes: Option<BTreeMap<String, String>>,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub assessor: Option<String>,
    /// When the scores held; defaults to now; not in the future.
    pub assessed_at: Option<DateTime<Utc>>,
    /// Its id in the system it came from (unique in the workspace), so that a sync sending it
    /// again finds it: 409 when another assessment has it.
    pub external_ref: Option<ExternalRefDto>,
}

impl Checked for AssessmentInput {}

impl TryFrom<AssessmentInput> for AssessmentDraft {
    type Error = Invalid;

    /// Names every bad field: the account and the stakeholder each by id or by ref.
    fn try_from(i: AssessmentInput) -> Result<Self, Invalid> {
        let account = RecordKey::one_of(
            i.account_ref.map(ExternalRef::from),
            i.account_id,
            ("account_ref", "account_id"),
        );
        let stakeholder = RecordKey::optional_one_of(
            i.stakeholder_ref.map(ExternalRef::from),
            i.stakeholder_id,
            ("stakeholder_ref", "stakeholder_id"),
        );
        match (account, stakeholder) {
            (Ok(account), Ok(stakeholder)) => Ok(Self {
                account,
                stakeholder,
                framework: i.framework,
                scores: i.scores,
                notes: i.notes.unwrap_or_default(),
                assessor: i.assessor,
                assessed_at: i.assessed_at,
                external_ref: i.external_ref.map(ExternalRef::from),
            }),
            (account, stakeholder) => {
                let mut e = Invalid::default();
                e.0.extend(
                    account
                        .err()
                        .into_iter()
                        .chain(stakeholder.err())
                        .flat_map(|b| b.0),
                );
                Err(e)
            }
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentListQuery {
    pub account_id: Option<Uuid>,
    pub stakeholder_id: Option<Uuid>,
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub framework: Option<String>,
    /// Assessed at or after. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<When>,
    /// Assessed before. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<When>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

/// Record an assessment; its results and classifications are computed and stored with it.
///
/// Scores every dimension of a framework for an account or a stakeholder at an instant (default
/// now). Stored with what it concluded: each matrix's cell and closeness, each equation's
/// value, the hierarchy's level. Write role.
#[utoipa::path(post, path = "/v1/assessments", operation_id = "create_assessment", tag = "assessments",
    request_body = AssessmentInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = AssessmentView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<AssessmentInput>,
) -> Result<Response, Problem> {
    let draft = AssessmentDraft::try_from(input)?;
    let a = app.create_assessment(&p, draft).await?;
    let location = format!("/v1/assessments/{}", a.id);
    let res = (StatusCode::CREATED, axum::Json(AssessmentView::from(a))).into_response();
    Ok(located(res, &location))
}

/// List assessments in the order they were recorded, filtered by account, stakeholder, framework and time.
///
/// Oldest first, so a client can follow new ones; filter by account, stakeholder, framework and
/// an `assessed_at` range. Any role.
#[utoipa::path(get, path = "/v1/assessments", operation_id = "list_assessments", tag = "assessments",
    params(AssessmentListQuery),
    responses((status = 200, description = "A page of assessments", body = Listing<AssessmentView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<AssessmentListQuery>,
) -> Result<Response, Problem> {
    let filter = AssessmentFilter {
        account_id: q.account_id,
        stakeholder_id: q.stakeholder_id,
        framework: q.framework,
        from: q.from.map(|w| w.instant(p.zone)),
        to: q.to.map(|w| w.instant(p.zone)),
        within: None,
    };
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app.assessments(&p, &filter, &page).await?;
    Ok(axum::Json(Listing::from_listed(listed, AssessmentView::from)).into_response())
}

/// Get an assessment.
///
/// The scores and what they concluded when recorded. Any role.
#[utoipa::path(get, path = "/v1/assessments/{id}", operation_id = "get_assessment", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The assessment", body = AssessmentView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    Ok(axum::Json(AssessmentView::from(app.assessment(&p, id).await?)).into_response())
}

/// Delete an assessment; the subject's previous classification becomes current again.
///
/// The classifications it made go with it; where it was the latest, the one before becomes
/// current. Write role.
#[utoipa::path(delete, path = "/v1/assessments/{id}", operation_id = "delete_assessment", tag = "assessments",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    app.delete_assessment(&p, id).await?;
    Ok(no_content())
}
