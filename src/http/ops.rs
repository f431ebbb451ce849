//! Operational endpoints outside `/v1`: liveness, readiness, metrics.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use super::HttpState;
use crate::app::{App, AppError};
use crate::metrics::Metrics;

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

/// Puts [`Tracked`] around every route.
#[derive(Clone)]
pub struct TrackLayer(pub Metrics);

impl<S> Layer<S> for TrackLayer {
    type Service = Tracked<S>;

    fn layer(&self, route: S) -> Tracked<S> {
        Tracked {
            metrics: self.0.clone(),
            route,
        }
    }
}

/// A route whose requests are counted by route template and status. A
/// service of its own, not a middleware function: those allocate thrice
/// per request, and this sits around every route.
#[derive(Clone)]
pub struct Tracked<S> {
    metrics: Metrics,
    route: S,
}

impl<S: Service<Request, Response = Response>> Service<Request> for Tracked<S> {
    type Response = Response;
    type Error = S::Error;
    type Future = Tracking<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.route.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        Tracking {
            route: req.extensions().get::<MatchedPath>().cloned(),
            metrics: self.metrics.clone(),
            started: Instant::now(),
            answer: self.route.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// A tracked request's answer, observed when it is ready.
    pub struct Tracking<F> {
        route: Option<MatchedPath>,
        metrics: Metrics,
        started: Instant,
        #[pin]
        answer: F,
    }
}

impl<F, E> Future for Tracking<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = ready!(this.answer.poll(cx));
        if let Ok(res) = &out {
            this.metrics.observe(
                "http",
                this.route.as_ref().map_or("unmatched", MatchedPath::as_str),
                res.status().as_str(),
                this.started.elapsed(),
            );
        }
        Poll::Ready(out)
    }
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
