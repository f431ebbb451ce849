//! `/v1/accounts`: the customers a CS team serves.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{
    CurrencyCode, ExternalRefDto, Listing, Object, double_option, present, refs_from,
};
use super::extract::{Caller, Checked, IfMatchHeader, Json, PathId, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{created, no_content, with_etag};
pub use crate::app::views::AccountView;
use crate::app::{App, PageRequest, Upsert, Upserted};
use crate::domain::currency::DEFAULT_CURRENCY;
use crate::domain::filter::AccountFilter;
use crate::domain::time::When;
use crate::domain::{AccountFields, AccountPatch, ExternalRef, Invalid, LifecycleStage};

/// A new account, or the whole of one (PUT by ref).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"[^ \t\n\r\f\v]")]
    pub segment: Option<String>,
    /// The owning CSM's email.
    #[schema(format = Email)]
    pub owner: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub customer_since: Option<NaiveDate>,
    #[schema(minimum = 0)]
    pub original_arr: Option<f64>,
    /// When the customer next decides whether to renew.
    pub renewal_date: Option<NaiveDate>,
    /// When the current contract ends.
    pub contract_end: Option<NaiveDate>,
    /// What the customer pays a year now, in `currency`.
    #[schema(minimum = 0)]
    pub current_arr: Option<f64>,
    /// ISO 4217; `USD` when absent.
    #[schema(value_type = Option<CurrencyCode>)]
    pub currency: Option<String>,
    #[schema(value_type = Option<BTreeMap<String, serde_json::Value>>)]
    pub attributes: Option<Object>,
    pub external_refs: Option<Vec<ExternalRefDto>>,
}

impl Checked for AccountInput {
    fn check(&self) -> Result<(), Invalid> {
        AccountFields::from(self.clone()).validate()
    }
}

impl Checked for AccountPatchInput {}

impl From<AccountInput> for AccountFields {
    fn from(i: AccountInput) -> Self {
        Self {
            name: i.name,
            segment: i.segment,
            owner: i.owner,
            lifecycle_stage: i.lifecycle_stage,
            customer_since: i.customer_since,
            original_arr: i.original_arr,
            renewal_date: i.renewal_date,
            contract_end: i.contract_end,
            current_arr: i.current_arr,
            currency: i.currency.unwrap_or_else(|| DEFAULT_CURRENCY.to_owned()),
            attributes: i.attributes.unwrap_or_default(),
            external_refs: refs_from(i.external_refs.unwrap_or_default()),
        }
    }
}

/// A merge patch: absent fields stay, `null` clears an optional field,
/// `attributes` merge (RFC 7386), `external_refs` replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatchInput {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 100, pattern = r"[^ \t\n\r\f\v]")]
    pub segment: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(format = Email)]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub lifecycle_stage: Option<Option<LifecycleStage>>,
    #[serde(default, deserialize_with = "double_option")]
    pub customer_since: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0)]
    pub original_arr: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub renewal_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contract_end: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0)]
    pub current_arr: Option<Option<f64>>,
    #[schema(value_type = Option<CurrencyCode>)]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub currency: Option<String>,
    #[schema(value_type = Option<BTreeMap<String, serde_json::Value>>)]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub attributes: Option<Object>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub external_refs: Option<Vec<ExternalRefDto>>,
}

impl From<AccountPatchInput> for AccountPatch {
    fn from(i: AccountPatchInput) -> Self {
        Self {
            name: i.name,
            segment: i.segment,
            owner: i.owner,
            lifecycle_stage: i.lifecycle_stage,
            customer_since: i.customer_since,
            original_arr: i.original_arr,
            renewal_date: i.renewal_date,
            contract_end: i.contract_end,
            current_arr: i.current_arr,
            currency: i.currency,
            attributes: i.attributes,
            external_refs: i.external_refs.map(refs_from),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountListQuery {
    /// 1–1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    /// Only accounts changed after this time (RFC 3339).
    /// Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<When>,
    /// Only accounts renewing on this day or later.
    pub renewal_from: Option<NaiveDate>,
    /// Only accounts renewing on this day or earlier.
    pub renewal_to: Option<NaiveDate>,
}

/// Create an account.
///
/// Takes the account's fields and optional external refs (its ids in a CRM); answers 201 with a
/// `Location` and the account's `ETag`. A ref already used by another account is a 409. Write
/// role; send an `Idempotency-Key` to make retries safe.
#[utoipa::path(operation_id = "create_account", post, path = "/v1/accounts", tag = "accounts", request_body = AccountInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = AccountView,
        headers(("Location" = String), ("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<AccountInput>,
) -> Result<Response, Problem> {
    let account = app.create_account(&p, input.into()).await?;
    Ok(created(
        format!("/v1/accounts/{}", account.id),
        account.version,
        AccountView::from(account),
    ))
}

/// List accounts, filtered and paged.
///
/// Filters combine (segment, owner, lifecycle stage, a name search, `updated_since` for
/// incremental syncs); pages follow `next_page_token`. Any role.
#[utoipa::path(operation_id = "list_accounts", get, path = "/v1/accounts", tag = "accounts", params(AccountListQuery),
    responses((status = 200, description = "A page of accounts", body = Listing<AccountView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<AccountListQuery>,
) -> Result<Response, Problem> {
    let filter = AccountFilter {
        segment: q.segment,
        owner: q.owner,
        lifecycle_stage: q.lifecycle_stage,
        q: q.q,
        updated_since: q.updated_since.map(|w| w.instant(p.zone)),
        renewal_from: q.renewal_from,
        renewal_to: q.renewal_to,
        within: None,
    };
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app.accounts(&p, &filter, &page).await?;
    Ok(axum::Json(Listing::from_listed(listed, AccountView::from)).into_response())
}

/// Get an account.
///
/// The account with its external refs and its `ETag`; `If-None-Match` with that ETag answers
/// 304. Any role.
#[utoipa::path(operation_id = "get_account", get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The account", body = AccountView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let account = app.account(&p, id).await?;
    Ok(with_etag(
        StatusCode::OK,
        account.version,
        AccountView::from(account),
    ))
}

/// Change an account (JSON merge patch).
///
/// A JSON merge patch: fields left out are kept, `null` clears an optional field (a required
/// one cannot be cleared). `If-Match` with the ETag you read makes it safe against concurrent
/// edits (412 when stale). Write role.
#[utoipa::path(operation_id = "update_account", patch, path = "/v1/accounts/{id}", tag = "accounts", request_body = AccountPatchInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses((status = 200, description = "The changed account", body = AccountView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<AccountPatchInput>,
) -> Result<Response, Problem> {
    let account = app.update_account(&p, id, input.into(), &if_match).await?;
    Ok(with_etag(
        StatusCode::OK,
        account.version,
        AccountView::from(account),
    ))
}

/// Delete an account with its stakeholders.
///
/// Removes the account with its stakeholders, assessments, observations, plans and successes,
/// in one transaction. `If-Match` makes it conditional. Write role.
#[utoipa::path(operation_id = "delete_account", delete, path = "/v1/accounts/{id}", tag = "accounts",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the deletion applies to")),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, Problem> {
    app.delete_account(&p, id, &if_match).await?;
    Ok(no_content())
}

/// Get the account another system knows by `external_id`.
///
/// Looks an account up by the id another system (`salesforce`, `hubspot`, …) gives it, so a
/// sync needs no mapping table. Any role.
#[utoipa::path(operation_id = "get_account_by_ref", get, path = "/v1/accounts/by-ref/{system}/{external_id}", tag = "accounts",
    params(("system" = String, Path, description = "e.g. salesforce", pattern = "^[a-z0-9_-]{1,64}$"), ("external_id" = String, Path, min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")),
    responses((status = 200, description = "The account", body = AccountView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_by_ref(
    State(app): State<App>,
    Caller(p): Caller,
    Path((system, external_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let account = app.account_by_ref(&p, &system, &external_id).await?;
    Ok(with_etag(
        StatusCode::OK,
        account.version,
        AccountView::from(account),
    ))
}

/// Create or replace the account another system knows by `external_id`.
///
/// 201 when no account has the ref yet, 200 when one does (its fields replaced; its version
/// moves when anything changed). Fields left out are reset to their defaults: to change only
/// what you send, PATCH instead. Concurrent upserts of one new ref create it once. Write role.
#[utoipa::path(operation_id = "upsert_account_by_ref", put, path = "/v1/accounts/by-ref/{system}/{external_id}", tag = "accounts",
    request_body = AccountInput,
    params(("system" = String, Path, description = "e.g. salesforce", pattern = "^[a-z0-9_-]{1,64}$"), ("external_id" = String, Path, min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag a replacement applies to")),
    responses(
        (status = 200, description = "Replaced, or already as sent", body = AccountView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = AccountView, headers(("Location" = String), ("ETag" = String))),
        ProblemResponses),
    security(("bearer" = [])))]
pub async fn put_by_ref(
    State(app): State<App>,
    Caller(p): Caller,
    Path((system, external_id)): Path<(String, String)>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<AccountInput>,
) -> Result<Response, Problem> {
    let reference = ExternalRef::new(system, external_id);
    let up = app
        .upsert_account_by_ref(&p, reference, input.into(), &if_match)
        .await?;
    Ok(upserted(up))
}

/// Create or merge into the account another system knows by `external_id`.
///
/// The upsert a CRM sync should use: fields left out stay as they are, `null` clears an
/// optional field, and `attributes` merge key by key (`null` removes a key), so what the CS
/// team keeps on the account survives the sync. 201 when no account has the ref yet (the body
/// must then have a `name`), 200 when one does; nothing is written (and no event recorded)
/// when the account already is as sent. Concurrent upserts of one new ref create it once.
/// Write role.
#[utoipa::path(operation_id = "merge_account_by_ref", patch, path = "/v1/accounts/by-ref/{system}/{external_id}", tag = "accounts",
    request_body = AccountPatchInput,
    params(("system" = String, Path, description = "e.g. salesforce", pattern = "^[a-z0-9_-]{1,64}$"), ("external_id" = String, Path, min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]"),
        ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag the change applies to")),
    responses(
        (status = 200, description = "Merged, or already as sent", body = AccountView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = AccountView, headers(("Location" = String), ("ETag" = String))),
        ProblemResponses),
    security(("bearer" = [])))]
pub async fn patch_by_ref(
    State(app): State<App>,
    Caller(p): Caller,
    Path((system, external_id)): Path<(String, String)>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(input): Json<AccountPatchInput>,
) -> Result<Response, Problem> {
    let reference = ExternalRef::new(system, external_id);
    let up = app
        .merge_account_by_ref(&p, reference, input.into(), &if_match)
        .await?;
    Ok(upserted(up))
}

/// 201 with its Location for a created account, else 200.
fn upserted(up: Upserted) -> Response {
    let (id, version) = (up.account.id, up.account.version);
    let view = AccountView::from(up.account);
    match up.outcome {
        Upsert::Created => created(format!("/v1/accounts/{id}"), version, view),
        Upsert::Updated | Upsert::Unchanged => with_etag(StatusCode::OK, version, view),
    }
}
