//! Cross-cutting steps of every `/v1` request: authentication, then
//! idempotent replay of POSTs that carry an `Idempotency-Key`.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::HttpState;
use super::problem::Problem;
use crate::app::{App, AppError, IdempotencyKey, Principal};
use crate::store::idempotency::SavedResponse;

const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Headers of a first answer that a replay repeats.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Resolves `Authorization: Bearer <key>` to a [`Principal`] in the request extensions.
pub async fn authenticate(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(key) = key else {
        return AppError::Unauthenticated.into_response();
    };
    match app.authenticate(key).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Replays the first answer to a repeated POST with the same `Idempotency-Key`
/// and body; a key reused with another request is a 409.
/// A successful DELETE (204, or 200 where it answers with what remains)
/// forgets the answers that created the deleted record.
pub async fn idempotency(State(state): State<HttpState>, req: Request, next: Next) -> Response {
    let principal = req.extensions().get::<Principal>().copied();
    match (req.method().clone(), principal) {
        (Method::POST, _) if req.headers().contains_key(IDEMPOTENCY_KEY) => {
            let limit = super::body_limit_of(req.uri().path(), state.body_limit);
            match keyed_post(&state.app, limit, req, next).await {
                Ok(res) | Err(res) => res,
            }
        }
        (Method::DELETE, Some(p)) => {
            let path = req.uri().path().to_owned();
            let res = next.run(req).await;
            if res.status().is_success()
                && let Err(e) = state.app.forget_replays(&p, &path).await
            {
                tracing::warn!(error = %e, "forgetting idempotent answers of a deleted record");
            }
            res
        }
        _ => next.run(req).await,
    }
}

async fn keyed_post(
    app: &App,
    body_limit: usize,
    req: Request,
    next: Next,
) -> Result<Response, Response> {
    let principal = *req
        .extensions()
        .get::<Principal>()
        .ok_or_else(|| AppError::Unauthenticated.into_response())?;
    let raw = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = IdempotencyKey::parse(raw).map_err(|e| Problem::invalid(e).into_response())?;
    let (parts, body) = req.into_parts();
    let request_path = parts.uri.path().to_owned();
    let body = to_bytes(body, body_limit).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {body_limit} bytes"),
        )
        .into_response()
    })?;
    let fingerprint = IdempotencyKey::fingerprint(parts.method.as_str(), parts.uri.path(), &body);
    if let Some(saved) = app
        .replay(&principal, &key, &fingerprint)
        .await
        .map_err(IntoResponse::into_response)?
    {
        return Ok(replay(saved));
    }
    let res = next.run(Request::from_parts(parts, Body::from(body))).await;
    if res.status().is_server_error() {
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let body = to_bytes(body, usize::MAX).await.map_err(|_| {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "buffering the response").into_response()
    })?;
    let saved = SavedResponse {
        request_hash: fingerprint,
        request_path: request_path.clone(),
        status: parts.status.as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|h| {
                Some((
                    h.as_str().to_owned(),
                    parts.headers.get(h)?.to_str().ok()?.to_owned(),
                ))
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    app.remember(&principal, &key, &saved)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(saved: SavedResponse) -> Response {
    let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
    let mut res = (status, saved.body).into_response();
    for (name, value) in saved.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            res.headers_mut().insert(n, v);
        }
    }
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}
