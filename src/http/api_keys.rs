//! `/v1/api-keys`: the workspace's keys (admin only). Secrets are shown once.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Listing, PageQuery};
use super::extract::{Caller, Checked, Json, PathId, Query};
use super::problem::{Problem, ProblemResponses};
use super::reply::{created_with_secret, no_content};
use crate::app::App;
pub use crate::app::views::ApiKeyView;
use crate::domain::Role;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    #[schema(min_length = 1, max_length = 100, pattern = r"[^ \t\n\r\f\v]")]
    pub name: String,
    pub role: Role,
    /// Limits the key to these accounts (role `read` only): lists and
    /// portfolio views then hold only them, and any other account's records
    /// are not found. A key to hand to a customer. Left out: the whole workspace.
    #[schema(min_items = 1, max_items = 100)]
    pub account_ids: Option<Vec<uuid::Uuid>>,
}

impl Checked for ApiKeyInput {
    fn check(&self) -> Result<(), crate::domain::Invalid> {
        crate::domain::api_key::check_new_key(&self.name, self.role, self.account_ids.as_deref())
    }
}

/// A new key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// Use as `Authorization: Bearer <key>`. Shown once: never stored, so
    /// an idempotent replay of this answer has `null` here.
    pub key: Option<String>,
}

/// Create an API key.
///
/// Answers the secret once; a replay of the same `Idempotency-Key` answers the key's metadata
/// with `key: null`. Admin role.
#[utoipa::path(operation_id = "create_api_key", post, path = "/v1/api-keys", tag = "api-keys", request_body = ApiKeyInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created; `key` is shown only now", body = CreatedApiKey,
        headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(input): Json<ApiKeyInput>,
) -> Result<Response, Problem> {
    let created = app
        .create_api_key(&p, &input.name, input.role, input.account_ids)
        .await?;
    let location = format!("/v1/api-keys/{}", created.key.id);
    let shown_once = CreatedApiKey {
        api_key: created.key.into(),
        key: None,
    };
    let secret = created.secret;
    Ok(created_with_secret(&location, shown_once, |s| {
        CreatedApiKey {
            key: Some(secret),
            ..s
        }
    }))
}

/// List the workspace's keys (never their secrets).
///
/// Names, roles, creation and revocation times; a secret is shown only once, when its key is
/// made. Admin role.
#[utoipa::path(operation_id = "list_api_keys", get, path = "/v1/api-keys", tag = "api-keys", params(PageQuery),
    responses((status = 200, description = "A page of keys", body = Listing<ApiKeyView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<PageQuery>,
) -> Result<Response, Problem> {
    let listed = app.api_keys(&p, &q.into()).await?;
    Ok(axum::Json(Listing::from_listed(listed, ApiKeyView::from)).into_response())
}

/// Revoke a key: it stops working at once.
///
/// Requests with the key answer 401 from then on. The workspace's last admin key cannot be
/// revoked (409). Admin role.
#[utoipa::path(operation_id = "revoke_api_key", delete, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn revoke(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    app.revoke_api_key(&p, id).await?;
    Ok(no_content())
}
