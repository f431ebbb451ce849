//! `/v1/accounts/{id}/stakeholders` and `/v1/stakeholders/{id}`: the people at a customer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

use super::dto::{ExternalRefDto, Listing, Object, double_option, present, refs_from};
use super::extract::{Caller, Checked, IfMatchHeader, Json, PathId, Query};
use super::imports::keyed_patch;
use super::problem::{Problem, ProblemResponses};
use super::reply::{created, no_content, with_etag};
pub use crate::app::views::StakeholderView;
use crate::app::{App, PageRequest, Upsert, UpsertedStakeholder};
use crate::domain::time::When;
use crate::domain::{
    ExternalRef, Invalid, RecordKey, StakeholderFields, StakeholderPatch, StakeholderRole,
};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StakeholderInput {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: String,
    #[schema(format = Email)]
    pub email: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub title: Option<String>,
    pub role: Option<StakeholderRole>,
    /// Took part in the purchase decision; default false.
    pub involved_in_purchase: Option<bool>,
    /// The day they left the customer: from then on their view no longer counts in the
    /// account's stakeholder alignment.
    pub left_on: Option<NaiveDate>,
    #[schema(value_type = Option<BTreeMap<String, serde_json::Value>>)]
    pub attributes: Option<Object>,
    pub external_refs: Option<Vec<ExternalRefDto>>,
}

impl Checked for StakeholderInput {
    fn check(&self) -> Result<(), Invalid> {
        StakeholderFields::from(self.clone()).validate()
    }
}

impl Checked for StakeholderPatchInput {}

impl From<StakeholderInput> for StakeholderFields {
    fn from(i: StakeholderInput) -> Self {
        Self {
            name: i.name,
            email: i.email,
            title: i.title,
            role: i.role,
            involved_in_purchase: i.involved_in_purchase.unwrap_or(false),
            left_on: i.left_on,
            attributes: i.attributes.unwrap_or_default(),
            external_refs: refs_from(i.external_refs.unwrap_or_default()),
        }
    }
}

/// A merge patch, as for accounts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StakeholderPatchInput {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(format = Email)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub role: Option<Option<StakeholderRole>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub involved_in_purchase: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    pub left_on: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<BTreeMap<String, serde_json::Value>>)]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub attributes: Option<Object>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub external_refs: Option<Vec<ExternalRefDto>>,
}

impl From<StakeholderPatchInput> for StakeholderPatch {
    fn from(i: StakeholderPatchInput) -> Self {
        Self {
            name: i.name,
            email: i.email,
            title: i.title,
            role: i.role,
            involved_in_purchase: i.involved_in_purchase,
            left_on: i.left_on,
            attributes: i.attributes,
            external_refs: i.external_refs.map(refs_from),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StakeholderListQuery {
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
    /// Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<When>,
}

/// Add a stakeholder to an account.
///
/// Name, email, role in the customer's decisions, whether they took part in the purchase,
/// attributes and external refs. Write role; `Idempotency-Key` makes retries safe.
#[utoipa::path(operation_id = "create_stakeholder", post, path = "/v1/accounts/{id}/stakeholders", tag = "stakeholders",
    request_body = StakeholderInput,
    params(("id" = Uuid, Path, description = "The account"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = StakeholderView,
        headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(account_id): PathId,
    Json(input): Json<StakeholderInput>,
) -> Result<Response, Problem> {
    let s = app.create_stakeholder(&p, account_id, input.into()).await?;
    Ok(created(
        format!("/v1/stakeholders/{}", s.id),
        s.version,
        StakeholderView::from(s),
    ))
}

/// List an account's stakeholders.
///
/// The people at the account, paged, with `updated_since` for incremental syncs. Any role.
#[utoipa::path(operation_id = "list_stakeholders", get, path = "/v1/accounts/{id}/stakeholders", tag = "stakeholders",
    params(("id" = Uuid, Path, description = "The account"), StakeholderListQuery),
    responses((status = 200, description = "A page of stakeholders", body = Listing<StakeholderView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(account_id): PathId,
    Query(q): Query<StakeholderListQuery>,
) -> Result<Response, Problem> {
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app
        .stakeholders(
            &p,
            account_id,
            q.updated_since.map(|w| w.instant(p.zone)),
            &page,
        )
        .await?;
    Ok(axum::Json(Listing::from_listed(listed, StakeholderView::from)).into_response())
}

/// Get a stakeholder.
///
/// The person with their refs and `ETag`. Any role.
#[utoipa::path(operation_id = "get_stakeholder", get, path = "/v1/stakeholders/{id}", tag = "stakeholders", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The stakeholder", body = StakeholderView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let s = app.stakeholder(&p, id).await?;
    Ok(with_etag(
        StatusCode::OK,
        s.version,
        StakeholderView::from(s),
    ))
}

/// Change a stakeholder (JSON merge patch).
///
/// A JSON merge patch, as for accounts; `If-Match` makes it safe against concurrent edits.
/// Write role.
#[utoipa::path(operation_id = "update_stakeholder", patch, path = "/v1/stakeholders/{id}", tag = "stakeholders", request_body = StakeholderPatchInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses((status = 200, description = "The changed stakeholder", body = StakeholderView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<StakeholderPatchInput>,
) -> Result<Response, Problem> {
    let s = app
        .update_stakeholder(&p, id, input.into(), &if_match)
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        s.version,
        StakeholderView::from(s),
    ))
}

/// Delete a stakeholder.
///
/// Their assessments go with them. Write role.
#[utoipa::path(operation_id = "delete_stakeholder", delete, path = "/v1/stakeholders/{id}", tag = "stakeholders",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_stakeholder(&p, id, &if_match).await?;
    Ok(no_content())
}

/// A merge by ref: the patch's fields, and the account a new stakeholder
/// goes under (by `account_ref` or `account_id`; needed only to create).
#[derive(Debug, Deserialize)]
pub struct StakeholderMergeInput {
    pub account_ref: Option<ExternalRefDto>,
    pub account_id: Option<Uuid>,
    #[serde(flatten)]
    pub fields: StakeholderPatchInput,
    /// What no field takes (a flattened struct does not refuse it itself).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl PartialSchema for StakeholderMergeInput {
    fn schema() -> RefOr<Schema> {
        keyed_patch(
            StakeholderPatchInput::schema(),
            (
                "account_ref",
                "The account a new stakeholder goes under, by its id in another system; or give \
                 `account_id`.",
            ),
            ("account_id", "Or the account's csapi id."),
            "The fields to merge into the stakeholder as `PATCH /v1/stakeholders/{id}` takes them \
             (a new stakeholder needs a `name` and an account).",
        )
    }
}

impl ToSchema for StakeholderMergeInput {}

impl StakeholderMergeInput {
    pub(super) fn account(&self) -> Result<Option<RecordKey>, Invalid> {
        account_named(self.account_ref.clone(), self.account_id)
    }
}

impl Checked for StakeholderMergeInput {
    fn check(&self) -> Result<(), Invalid> {
        no_unknown(&self.unknown, self.account())
    }
}

/// A replace by ref: the stakeholder's fields as a create takes them, and
/// the account a new stakeholder goes under (needed only to create).
#[derive(Debug, Deserialize)]
pub struct StakeholderReplaceInput {
    pub account_ref: Option<ExternalRefDto>,
    pub account_id: Option<Uuid>,
    #[serde(flatten)]
    pub fields: StakeholderInput,
    /// What no field takes (a flattened struct does not refuse it itself).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl PartialSchema for StakeholderReplaceInput {
    fn schema() -> RefOr<Schema> {
        keyed_patch(
            StakeholderInput::schema(),
            (
                "account_ref",
                "The account a new stakeholder goes under, by its id in another system; or give \
                 `account_id`.",
            ),
            ("account_id", "Or the account's csapi id."),
            "The stakeholder's fields as a create takes them (left out, they return to their \
             defaults), and the account a new stakeholder goes under.",
        )
    }
}

impl ToSchema for StakeholderReplaceInput {}

impl StakeholderReplaceInput {
    fn account(&self) -> Result<Option<RecordKey>, Invalid> {
        account_named(self.account_ref.clone(), self.account_id)
    }
}

impl Checked for StakeholderReplaceInput {
    fn check(&self) -> Result<(), Invalid> {
        no_unknown(&self.unknown, self.account())
    }
}

/// The account a body names by `account_ref` or `account_id`, if any.
fn account_named(
    reference: Option<ExternalRefDto>,
    id: Option<Uuid>,
) -> Result<Option<RecordKey>, Invalid> {
    RecordKey::optional_one_of(
        reference.map(ExternalRef::from),
        id,
        ("account_ref", "account_id"),
    )
}

/// Names the fields no field of a stakeholder takes, beside what naming
/// the account found.
fn no_unknown(
    unknown: &serde_json::Map<String, serde_json::Value>,
    account: Result<Option<RecordKey>, Invalid>,
) -> Result<(), Invalid> {
    let mut e = Invalid::default();
    for field in unknown.keys() {
        e.push(field.clone(), "is not a field of a stakeholder");
    }
    if let Err(bad) = account {
        e.0.extend(bad.0);
    }
    e.into_result()
}

/// Create or replace the stakeholder another system knows by `external_id`.
///
/// 201 when no stakeholder has the ref yet (the body must then name the account by
/// `account_ref` or `account_id`), 200 when one does (their fields replaced; fields left out
/// return to their defaults: to change only what you send, PATCH instead). Stakeholders do not
/// move between accounts. Concurrent upserts of one new ref create it once. Write role.
#[utoipa::path(operation_id = "upsert_stakeholder_by_ref", put, path = "/v1/stakeholders/by-ref/{system}/{external_id}", tag = "stakeholders",
    request_body = StakeholderReplaceInput,
    params(("system" = String, Path, description = "e.g. hubspot", pattern = "^[a-z0-9_-]{1,64}$"), ("external_id" = String, Path, min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag a replacement applies to")),
    responses(
        (status = 200, description = "Replaced, or already as sent", body = StakeholderView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = StakeholderView, headers(("Location" = String), ("ETag" = String))),
        ProblemResponses),
    security(("bearer" = [])))]
pub async fn put_by_ref(
    State(app): State<App>,
    Caller(p): Caller,
    Path((system, external_id)): Path<(String, String)>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<StakeholderReplaceInput>,
) -> Result<Response, Problem> {
    // A plain body is parsed without the check that names unknown fields.
    input.check()?;
    let account = input.account()?;
    let reference = ExternalRef::new(system, external_id);
    let up = app
        .upsert_stakeholder_by_ref(&p, reference, account, input.fields.into(), &if_match)
        .await?;
    Ok(upserted(up))
}

/// 201 with its Location for a created stakeholder, else 200.
fn upserted(up: UpsertedStakeholder) -> Response {
    let (id, version) = (up.stakeholder.id, up.stakeholder.version);
    let view = StakeholderView::from(up.stakeholder);
    match up.outcome {
        Upsert::Created => created(format!("/v1/stakeholders/{id}"), version, view),
        Upsert::Updated | Upsert::Unchanged => with_etag(StatusCode::OK, version, view),
    }
}

/// Get the stakeholder another system knows by `external_id`.
///
/// Looks a stakeholder up by the id another system (`salesforce`, `hubspot`, …) gives them.
/// Any role.
#[utoipa::path(operation_id = "get_stakeholder_by_ref", get, path = "/v1/stakeholders/by-ref/{system}/{external_id}", tag = "stakeholders",
    params(("system" = String, Path, description = "e.g. hubspot", pattern = "^[a-z0-9_-]{1,64}$"), ("external_id" = String, Path, min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")),
    responses((status = 200, description = "The stakeholder", body = StakeholderView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_by_ref(
    State(app): State<App>,
    Caller(p): Caller,
    Path((system, external_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let s = app
        .stakeholder_by_ref(&p, &ExternalRef::new(system, external_id))
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        s.version,
        StakeholderView::from(s),
    ))
}

/// Merge into the stakeholder another system knows by `external_id`, or create them.
///
/// Salesforce's upsert: fields left out stay, `attributes` merge key by key (`null` removes a
/// key). 201 when no stakeholder has the ref yet (the body must then have a `name` and name
/// the account by `account_ref` or `account_id`), 200 when one does; nothing is written when
/// the stakeholder already is as sent. Stakeholders do not move between accounts. Write role.
#[utoipa::path(operation_id = "merge_stakeholder_by_ref", patch, path = "/v1/stakeholders/by-ref/{system}/{external_id}", tag = "stakeholders",
    request_body = StakeholderMergeInput,
    params(("system" = String, Path, description = "e.g. hubspot", pattern = "^[a-z0-9_-]{1,64}$"), ("external_id" = String, Path, min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses(
        (status = 200, description = "Merged, or already as sent", body = StakeholderView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = StakeholderView, headers(("Location" = String), ("ETag" = String))),
        ProblemResponses),
    security(("bearer" = [])))]
pub async fn patch_by_ref(
    State(app): State<App>,
    Caller(p): Caller,
    Path((system, external_id)): Path<(String, String)>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<StakeholderMergeInput>,
) -> Result<Response, Problem> {
    // A plain body is parsed without the check that names unknown fields.
    input.check()?;
    let account = input.account()?;
    let reference = ExternalRef::new(system, external_id);
    let up = app
        .merge_stakeholder_by_ref(&p, reference, account, input.fields.into(), &if_match)
        .await?;
    Ok(upserted(up))
}
