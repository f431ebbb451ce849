//! Cross-cutting steps of every `/v1` request: authentication, then
//! POSTs that carry an `Idempotency-Key` run inside the key's reservation,
//! then conditional GETs and the check of text in the path and query.
//!
//! The steps are one service, [`V1Steps`], not a layer each: a layer per
//! step clones the route and allocates several times per step and request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service, ServiceExt};
use utoipa::openapi::path::ParameterIn;

use super::HttpState;
use super::caching::conditional_get;
use super::problem::Problem;
use crate::app::{Allowance, Answer, App, AppError, Claim, IdempotencyKey, Principal};
use crate::domain::Invalid;
use crate::domain::validation::{CONTROL, UNWRITABLE_DATE, has_control, is_unwritable_date};

const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
pub const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// Headers of a first answer that a replay repeats.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Puts [`V1Steps`] around a route.
#[derive(Clone)]
pub struct V1StepsLayer {
    pub state: HttpState,
    pub queries: Arc<QueryNames>,
}

impl<S> Layer<S> for V1StepsLayer {
    type Service = V1Steps<S>;

    fn layer(&self, route: S) -> V1Steps<S> {
        V1Steps {
            state: self.state.clone(),
            queries: self.queries.clone(),
            route,
        }
    }
}

/// The query parameters each `/v1` operation takes, by method and route
/// template, as the contract names them: a parameter it does not name is a
/// 422, as an unknown body field is, rather than a filter silently ignored.
#[derive(Debug, Default)]
pub struct QueryNames(HashMap<String, Vec<Takes>>);

/// An operation's method and the query parameters it takes.
type Takes = (Method, Box<[String]>);

impl QueryNames {
    /// The names of the operations in `docs`.
    pub fn of(docs: &[&utoipa::openapi::OpenApi]) -> Self {
        let mut names: HashMap<String, Vec<Takes>> = HashMap::new();
        for (path, item) in docs.iter().flat_map(|d| &d.paths.paths) {
            let operations = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                let query = op
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
                    .map(|p| p.name.clone())
                    .collect();
                names.entry(path.clone()).or_default().push((method, query));
            }
        }
        Self(names)
    }

    /// What is wrong with `query` for the operation at `template`: each
    /// parameter the operation does not take, named.
    fn check(&self, method: &Method, template: &str, query: &str, bad: &mut Invalid) {
        if query.is_empty() {
            return;
        }
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let operations = self.0.get(template).map_or(&[][..], Vec::as_slice);
        let Some((_, known)) = operations.iter().find(|(m, _)| m == method) else {
            return;
        };
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if !known.iter().any(|k| *k == name) && !has_control(&name) {
                let takes = if known.is_empty() {
                    String::from("it takes none")
                } else {
                    format!("it takes {}", known.join(", "))
                };
                bad.push(
                    name.into_owned(),
                    format!("is not a query parameter of this operation; {takes}"),
                );
            }
        }
    }
}

/// A `/v1` route behind its steps: authentication and rate limits,
/// idempotency, conditional GET, plain text.
#[derive(Clone)]
pub struct V1Steps<S> {
    state: HttpState,
    queries: Arc<QueryNames>,
    route: S,
}

impl<S> Service<Request> for V1Steps<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let (state, route) = (self.state.clone(), self.route.clone());
        let queries = self.queries.clone();
        Box::pin(async move {
            let route = |req| async move {
                match route.oneshot(req).await {
                    Ok(res) => res,
                    Err(never) => match never {},
                }
            };
            let app = &state.app;
            Ok(authenticate(app, req, |req| {
                idempotency(&state, req, |req| {
                    conditional_get(req, |req| plain_text(&queries, req, route))
                })
            })
            .await)
        })
    }
}

/// Resolves `Authorization: Bearer <key>` to a [`Principal`] in the request
/// extensions, and counts the request against the key's rate limits: every
/// answer says where the caller stands, a spent limit answers 429.
async fn authenticate<N, F>(app: &App, mut req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
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
    let principal = match app.authenticate(key).await {
        Ok(principal) => principal,
        Err(e) => return e.into_response(),
    };
    match app.admit(&principal) {
        Ok(allowance) => {
            req.extensions_mut().insert(principal);
            let mut res = next(req).await;
            if let Some(a) = allowance {
                rate_limit_headers(res.headers_mut(), &a);
            }
            res
        }
        Err(AppError::RateLimited(spent)) => {
            let mut res = AppError::RateLimited(spent).into_response();
            rate_limit_headers(res.headers_mut(), &spent.allowance);
            res
        }
        Err(e) => e.into_response(),
    }
}

/// `RateLimit-Policy` and `RateLimit` as the IETF httpapi draft writes them:
/// `"key";q=6000;w=60` and `"key";r=5999;t=1` (remaining, seconds to full).
fn rate_limit_headers(headers: &mut axum::http::HeaderMap, a: &Allowance) {
    let policy = format!(
        "\"{}\";q={};w={}",
        a.policy,
        a.limit.quota,
        a.limit.window.as_secs()
    );
    let now = format!("\"{}\";r={};t={}", a.policy, a.remaining, a.reset);
    for (name, value) in [(RATE_LIMIT_POLICY, policy), (RATE_LIMIT, now)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}

/// Refuses control characters in path parameters and query parameters,
/// query dates outside RFC 3339's years and query parameters the operation
/// does not take, with a 422 naming each (bodies are checked by the JSON
/// extractor): nothing csapi stores or filters on may hold one, PostgreSQL
/// cannot hold NUL, an answer could not write such a date back, and a
/// misspelt filter would otherwise answer as if it were not there.
async fn plain_text<N, F>(queries: &QueryNames, req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    let mut bad = Invalid::default();
    let query = req.uri().query().unwrap_or_default();
    if let Some(template) = req.extensions().get::<MatchedPath>() {
        queries.check(req.method(), template.as_str(), query, &mut bad);
        for (name, raw) in template
            .as_str()
            .split('/')
            .zip(req.uri().path().split('/'))
        {
            let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) else {
                continue;
            };
            // A raw path holds no control character; only an escape can.
            if raw.contains('%') && has_control(&percent_decode(raw)) {
                bad.push(name, CONTROL);
            }
        }
    }
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if has_control(&name) {
            bad.push("query", format!("parameter names {CONTROL}"));
        } else if has_control(&value) {
            bad.push(name.into_owned(), CONTROL);
        } else if is_unwritable_date(&value) {
            bad.push(name.into_owned(), UNWRITABLE_DATE);
        }
    }
    match bad.into_result() {
        Ok(()) => next(req).await,
        Err(bad) => Problem::invalid(bad).into_response(),
    }
}

/// A path segment with its `%XX` escapes decoded (lossily: a segment that is
/// not UTF-8 is refused by the routes' own extractors).
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a POST that carries an `Idempotency-Key` inside the key's
/// reservation (see `app::idempotency`): a repeat of an answered request gets
/// the first answer again, a concurrent duplicate waits for it, and a key
/// reused with another request is a 409.
async fn idempotency<N, F>(state: &HttpState, req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    // The rarer paths are boxed: inline, every request's future would carry
    // their state (a keyed POST's, the store's), and be copied with it.
    if req.method() == Method::POST && req.headers().contains_key(IDEMPOTENCY_KEY) {
        let limit = super::body_limit_of(req.uri().path(), state.body_limit);
        return match Box::pin(keyed_post(&state.app, limit, req, next)).await {
            Ok(res) | Err(res) => res,
        };
    }
    let deleting = (req.method() == Method::DELETE)
        .then(|| req.extensions().get::<Principal>().cloned())
        .flatten()
        .map(|p| (p, req.uri().path().to_owned()));
    let res = next(req).await;
    if let Some((p, path)) = deleting
        && res.status().is_success()
        && let Err(e) = Box::pin(state.app.forget_replays(&p, &path)).await
    {
        tracing::warn!(error = %e, "forgetting idempotent answers of a deleted record");
    }
    res
}

async fn keyed_post<N, F>(
    app: &App,
    body_limit: usize,
    req: Request,
    next: N,
) -> Result<Response, Response>
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    let principal = req
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| AppError::Unauthenticated.into_response())?;
    let raw = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = IdempotencyKey::parse(raw).map_err(|e| Problem::invalid(e).into_response())?;
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, body_limit).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {body_limit} bytes"),
        )
        .into_response()
    })?;
    let fingerprint = IdempotencyKey::fingerprint(parts.method.as_str(), parts.uri.path(), &body);
    let reservation = match app.claim(&principal, key, fingerprint).await {
        Ok(Claim::Replay(answer)) => return Ok(replay(answer)),
        Ok(Claim::Run(reservation)) => reservation,
        Err(e) => return Err(e.into_response()),
    };
    let res = reservation
        .run(next(Request::from_parts(parts, Body::from(body))))
        .await;
    if !res.status().is_success() {
        reservation
            .settle(None)
            .await
            .map_err(IntoResponse::into_response)?;
        return Ok(res);
    }
    let (mut parts, body) = res.into_parts();
    let body = to_bytes(body, usize::MAX).await.map_err(|_| {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "buffering the response").into_response()
    })?;
    let kept = parts.extensions.remove::<ReplayBody>();
    let answer = Answer {
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
        body: match kept {
            Some(ReplayBody(replayed)) => replayed,
            None => String::from_utf8_lossy(&body).into_owned(),
        },
    };
    reservation
        .settle(Some(&answer))
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// What a replay answers instead of the first body, set by a handler whose
/// answer holds something that must not be stored (a new key's secret).
#[derive(Debug, Clone)]
pub struct ReplayBody(pub String);

fn replay(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = (status, answer.body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            res.headers_mut().insert(n, v);
        }
    }
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}
