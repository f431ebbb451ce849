//! `/v1/accounts/{id}/qbr-links` and `/v1/qbr-links/{id}`: links that show a
//! customer their QBR without a key; `/share/qbr/{token}` serves one.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Listing, PageQuery, whole_number};
use super::extract::{Caller, Checked, Json, PathId, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{created_with_secret, no_content};
use crate::app::views::QbrLinkView;
use crate::app::{App, DEFAULT_METRIC_SET, SHARE_PATH};
use crate::domain::qbr_link::ShareRequest;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    /// The metric set the pack shows; defaults to `qbr_traditional`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric_set: Option<String>,
    /// Days until the link stops working; 30 unless given.
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "whole_number")]
    pub expires_in_days: Option<i64>,
}

impl ShareInput {
    fn request(&self) -> Result<ShareRequest, crate::domain::Invalid> {
        let set = self.metric_set.as_deref().unwrap_or(DEFAULT_METRIC_SET);
        ShareRequest::new(set.to_owned(), self.expires_in_days)
    }
}

impl Checked for ShareInput {
    fn check(&self) -> Result<(), crate::domain::Invalid> {
        self.request().map(drop)
    }
}

/// A new link with its address, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedQbrLink {
    #[serde(flatten)]
    pub link: QbrLinkView,
    /// The page's path on this server (`/share/qbr/<token>`), to send the customer. Shown
    /// once: never stored, so an idempotent replay of this answer has `null` here.
    pub url: Option<String>,
}

/// Share an account's QBR with its customer.
///
/// Answers a link that shows the customer's pack (no working notes: see `audience` on the QBR)
/// as HTML without a key, until it expires or is revoked; its address is shown once. Write role.
#[utoipa::path(operation_id = "share_qbr", post, path = "/v1/accounts/{id}/qbr-links", tag = "qbr",
    request_body = ShareInput, params(("id" = Uuid, Path, description = "The account"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created; `url` is shown only now", body = CreatedQbrLink,
        headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(account): PathId,
    Json(input): Json<ShareInput>,
) -> Result<Response, Problem> {
    let request = input.request().map_err(Problem::invalid)?;
    let shared = app.share_qbr(&p, account, request).await?;
    let location = format!("/v1/qbr-links/{}", shared.link.id);
    let shown_once = CreatedQbrLink {
        link: shared.link.into(),
        url: None,
    };
    let url = format!("{SHARE_PATH}{}", shared.token);
    Ok(created_with_secret(&location, shown_once, |s| {
        CreatedQbrLink {
            url: Some(url),
            ..s
        }
    }))
}

/// List the links made to an account's QBR.
///
/// Live, expired and revoked, with how often each was opened; never their addresses. Any
/// role of the whole workspace.
#[utoipa::path(operation_id = "list_qbr_links", get, path = "/v1/accounts/{id}/qbr-links", tag = "qbr",
    params(("id" = Uuid, Path, description = "The account"), PageQuery),
    responses((status = 200, description = "A page of links", body = Listing<QbrLinkView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(account): PathId,
    Query(q): Query<PageQuery>,
) -> Result<Response, Problem> {
    let listed = app.qbr_links(&p, account, &q.into()).await?;
    Ok(axum::Json(Listing::from_listed(listed, QbrLinkView::from)).into_response())
}

/// Revoke a link: it answers 404 from then on.
///
/// Revoking a revoked link changes nothing. Write role.
#[utoipa::path(operation_id = "revoke_qbr_link", delete, path = "/v1/qbr-links/{id}", tag = "qbr", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn revoke(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    app.revoke_qbr_link(&p, id).await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SharedQbrQuery {
    /// `YYYY-Qn` of the workspace's fiscal year; defaults to the current quarter.
    #[param(pattern = "^(1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-Q[1-4]$")]
    pub quarter: Option<String>,
}

/// A shared QBR, as its customer sees it.
///
/// The customer's pack of the link's account as a self-contained HTML page; no key. Each open
/// counts. An unknown, expired or revoked link is 404.
#[utoipa::path(operation_id = "open_shared_qbr", get, path = "/share/qbr/{token}", tag = "qbr",
    params(("token" = String, Path, description = "The token of the link's address"), SharedQbrQuery),
    responses((status = 200, description = "The customer's QBR", content_type = "text/html", body = String),
        (status = 404, description = "No live link has this token", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "A bad quarter", content_type = "application/problem+json", body = Problem)))]
pub async fn open(
    State(app): State<App>,
    Path(token): Path<String>,
    Query(q): Query<SharedQbrQuery>,
) -> Result<Response, Problem> {
    let qbr = app.open_shared_qbr(&token, q.quarter.as_deref()).await?;
    let mut res = crate::present::report::html(&qbr, Utc::now()).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The address is the secret: no caches in between, no referrer onwards.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}
