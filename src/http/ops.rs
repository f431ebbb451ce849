//! Operational endpoints outside `/v1`: liveness, readiness, metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::app::{App, AppError};

/// The process is up.
///
/// Answers 200 while the process runs, whatever the store's state: a liveness probe. Needs no
/// key.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations",
    responses((status = 200, description = "Up", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The store is reachable.
///
/// Answers 200 when the store answers, 503 when it does not: a readiness probe for a balancer.
/// Needs no key.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "The store is unreachable", body = super::problem::Problem,
            content_type = "application/problem+json")))]
pub async fn readyz(State(app): State<App>) -> Result<&'static str, AppError> {
    app.ready().await.map(|()| "ready")
}

/// Prometheus metrics.
///
/// Request counts and latencies per route and gRPC method, in the Prometheus text format, for a
/// scraper. Needs no key.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<HttpState>) -> Response {
    let mut res = state.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

/// Counts every request by route template and status.
pub async fn track(State(state): State<HttpState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let res = next.run(req).await;
    state.metrics.observe(
        "http",
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        res.status().as_str(),
        started.elapsed(),
    );
    res
}

/// A known path asked with a method it does not take: a problem too.
pub async fn method_not_allowed() -> Response {
    super::problem::Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this path does not take that method; the API docs at /docs list the ones it does",
    )
    .into_response()
}

/// Unknown paths get a problem, like every other error.
pub async fn not_found() -> Response {
    super::problem::Problem::new(StatusCode::NOT_FOUND, "no such path").into_response()
}
