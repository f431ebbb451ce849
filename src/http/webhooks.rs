//! `/v1/webhooks`: where the workspace's events are pushed (admin only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::Listing;
use super::extract::{Caller, Checked, Json, PathId, PathIds, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{created_with_secret, located, no_content};
pub use crate::app::views::{DeliveryView, WebhookView};
use crate::app::{App, NewWebhook, PageRequest, WebhookChange, WithSecret};
use crate::domain::webhook::WebhookPatch;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// An https URL on a public address (plain http and private addresses only when the server
    /// runs with `CSAPI_WEBHOOK_ALLOW_PRIVATE=true`).
    #[schema(min_length = 1, max_length = 2000)]
    pub url: String,
    /// Event types (`account.created`), prefixes ending in `*` (`account.*`), or `*` for all.
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Vec<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

impl Checked for WebhookInput {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchInput {
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `false` stops deliveries (pending ones wait); `true` resumes them, also after csapi
    /// disabled the webhook.
    pub enabled: Option<bool>,
    /// `true` makes a new signing secret, answered once in `secret`; the old one keeps signing
    /// beside it (a second `v1,` signature) for 24 hours.
    #[serde(default)]
    pub rotate_secret: bool,
}

impl Checked for WebhookPatchInput {}

/// A webhook with its signing secret, when this answer is the one that shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_…`: verifies deliveries (Standard Webhooks). Shown when made (create, rotation)
    /// and never again; `null` otherwise.
    pub secret: Option<String>,
}

impl From<WithSecret> for WebhookWithSecret {
    fn from(w: WithSecret) -> Self {
        Self {
            webhook: w.webhook.into(),
            secret: w.secret,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WebhookListQuery {
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state.
    #[param(pattern = "^(pending|delivered|failed)$")]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

/// Create a webhook.
///
/// Every event of the workspace from now on whose type matches `event_types` is POSTed to
/// `url`, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
/// Answers the signing secret once. Admin role.
#[utoipa::path(operation_id = "create_webhook", post, path = "/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created; `secret` is shown only now", body = WebhookWithSecret,
        headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<WebhookInput>,
) -> Result<Response, Problem> {
    let created = app
        .create_webhook(
            &p,
            NewWebhook {
                url: input.url,
                event_types: input.event_types,
                description: input.description,
            },
        )
        .await?;
    let location = format!("/v1/webhooks/{}", created.webhook.id);
    let shown_once = WebhookWithSecret {
        webhook: created.webhook.into(),
        secret: None,
    };
    let secret = created.secret;
    Ok(created_with_secret(&location, shown_once, |s| {
        WebhookWithSecret { secret, ..s }
    }))
}

/// List the workspace's webhooks.
///
/// Admin role.
#[utoipa::path(operation_id = "list_webhooks", get, path = "/v1/webhooks", tag = "webhooks", params(WebhookListQuery),
    responses((status = 200, description = "A page of webhooks", body = Listing<WebhookView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<WebhookListQuery>,
) -> Result<Response, Problem> {
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app.webhooks(&p, &page).await?;
    Ok(axum::Json(Listing::from_listed(listed, WebhookView::from)).into_response())
}

/// Get a webhook.
///
/// Admin role.
#[utoipa::path(operation_id = "get_webhook", get, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The webhook", body = WebhookView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let hook = app.webhook(&p, id).await?;
    Ok(axum::Json(WebhookView::from(hook)).into_response())
}

/// Change a webhook: its target, events, description; disable or enable it; rotate its secret.
///
/// Fields left out stay. A rotation answers the new secret once. Admin role.
#[utoipa::path(operation_id = "update_webhook", patch, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    request_body = WebhookPatchInput,
    responses((status = 200, description = "The webhook; `secret` only after a rotation", body = WebhookWithSecret), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Json(input): Json<WebhookPatchInput>,
) -> Result<Response, Problem> {
    let change = WebhookChange {
        patch: WebhookPatch {
            url: input.url,
            event_types: input.event_types,
            description: input.description,
            enabled: input.enabled,
        },
        rotate_secret: input.rotate_secret,
    };
    let updated = app.update_webhook(&p, id, change).await?;
    Ok(axum::Json(WebhookWithSecret::from(updated)).into_response())
}

/// Delete a webhook and its deliveries.
///
/// Pending deliveries are not sent. Admin role.
#[utoipa::path(operation_id = "delete_webhook", delete, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn delete(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    app.delete_webhook(&p, id).await?;
    Ok(no_content())
}

/// Send a test message to a webhook.
///
/// Queues a `webhook.test` delivery, sent and retried like any event; follow it in the
/// webhook's deliveries. Admin role.
#[utoipa::path(operation_id = "test_webhook", post, path = "/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 202, description = "Queued", body = DeliveryView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn test(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let delivery = app.test_webhook(&p, id).await?;
    Ok(queued(delivery))
}

/// List a webhook's deliveries, newest first.
///
/// Each with its event, attempts, last status code, latency and error, and next attempt.
/// Admin role.
#[utoipa::path(operation_id = "list_webhook_deliveries", get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), DeliveryListQuery),
    responses((status = 200, description = "A page of deliveries", body = Listing<DeliveryView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn deliveries(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Query(q): Query<DeliveryListQuery>,
) -> Result<Response, Problem> {
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app
        .webhook_deliveries(&p, id, q.status.as_deref(), &page)
        .await?;
    Ok(axum::Json(Listing::from_listed(listed, DeliveryView::from)).into_response())
}

/// Send a delivery again.
///
/// With its first body and `webhook-id`, whatever became of it; a failed one gets one more
/// attempt. Admin role.
#[utoipa::path(operation_id = "redeliver_webhook_delivery", post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 202, description = "Queued", body = DeliveryView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn redeliver(
    State(app): State<App>,
    Caller(p): Caller,
    PathIds([hook, id]): PathIds<2>,
) -> Result<Response, Problem> {
    let delivery = app.redeliver(&p, hook, id).await?;
    Ok(queued(delivery))
}

/// 202 with the delivery, located among its webhook's deliveries.
fn queued(delivery: crate::domain::webhook::Delivery) -> Response {
    let location = format!("/v1/webhooks/{}/deliveries", delivery.webhook_id);
    let res = (
        StatusCode::ACCEPTED,
        axum::Json(DeliveryView::from(delivery)),
    )
        .into_response();
    located(res, &location)
}
