//! What every REST request passes before its route, as one service: a
//! request id, the request's span and log line, a deadline, a guard against
//! panics, and `Connection: close` on an answer given before the body was
//! read.
//!
//! One service, not a stack of six layers: each layer of a stack clones its
//! inner service and allocates for every request, and together they cost a
//! liveness probe a third of its time. Here a request costs one allocation,
//! and a step with nothing to do (no body to track, a log level that is off,
//! a route that answers before its deadline could matter) costs nothing.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::Service;

use super::problem::Problem;

/// The header naming a request in logs and in its answer.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Puts the [`Door`] in front of the routes.
#[derive(Clone)]
pub struct Door<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Door<S> {
    /// `timeout`: how long a request may take before it is answered 503.
    pub fn new(inner: S, timeout: Duration) -> Self {
        Self { inner, timeout }
    }
}

impl<S, B> Service<Request<B>> for Door<S>
where
    S: Service<Request<Body>, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = Passing<S::Future>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let started = Instant::now();
        let mut req = req.map(Body::new);
        let id = match req.headers().get(REQUEST_ID) {
            Some(given) => given.clone(),
            None => {
                let id = new_request_id();
                req.headers_mut().insert(REQUEST_ID, id.clone());
                id
            }
        };
        let span = tracing::info_span!("request",
            request_id = %id.to_str().unwrap_or("-"), method = %req.method(), path = %req.uri().path());
        let read = track_body(&mut req);
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        // Called inside the guard, so that a panic while calling is caught too.
        let called = span
            .in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(move || inner.call(req))).ok());
        Passing {
            answer: Guarded {
                inner: called,
                deadline: None,
                until: tokio::time::Instant::from_std(started) + self.timeout,
            },
            started,
            timeout: self.timeout,
            id: Some(id),
            span,
            read,
        }
    }
}

pin_project_lite::pin_project! {
    /// One request through the door: its route's answer, guarded, then
    /// logged and marked with the request's id.
    pub struct Passing<F> {
        #[pin]
        answer: Guarded<F>,
        started: Instant,
        timeout: Duration,
        id: Option<HeaderValue>,
        span: tracing::Span,
        read: Option<Arc<AtomicBool>>,
    }
}

impl<F> Future for Passing<F>
where
    F: Future<Output = Result<Response, std::convert::Infallible>>,
{
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let outcome = {
            let _entered = this.span.enter();
            std::task::ready!(this.answer.as_mut().poll(cx))
        };
        let mut res = response(outcome, *this.timeout);
        let (latency, status) = (this.started.elapsed(), res.status().as_u16());
        if res.status().is_server_error() {
            tracing::error!(parent: &*this.span, ?latency, status, "response failed");
        } else {
            tracing::info!(parent: &*this.span, ?latency, status, "finished processing request");
        }
        if this
            .read
            .as_ref()
            .is_some_and(|read| !read.load(Ordering::Acquire))
        {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(id) = this.id.take() {
            res.headers_mut().insert(REQUEST_ID, id);
        }
        Poll::Ready(Ok(res))
    }
}

/// What a guarded answer says to the client.
fn response(
    outcome: Outcome<Result<Response, std::convert::Infallible>>,
    timeout: Duration,
) -> Response {
    match outcome {
        Outcome::Answered(Ok(res)) => res,
        Outcome::Answered(Err(never)) => match never {},
        Outcome::Panicked => {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
        Outcome::TimedOut => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the request took longer than {} s", timeout.as_secs_f64()),
        )
        .into_response(),
    }
}

/// A random UUID, formatted on the stack.
fn new_request_id() -> HeaderValue {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// When the request has a body, wraps it to learn whether it is read to its
/// end: an answer given before that (a 401, 413 or 503 refuses without
/// reading it) must say `Connection: close`, as the unread rest would be
/// taken for the next request.
fn track_body(req: &mut Request<Body>) -> Option<Arc<AtomicBool>> {
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| n.trim() != "0");
    if !has_body {
        return None;
    }
    let read = Arc::new(AtomicBool::new(false));
    let inner = std::mem::take(req.body_mut());
    *req.body_mut() = Body::new(ReadToEnd {
        inner,
        read: Arc::clone(&read),
    });
    Some(read)
}

/// A request body that records whether it was read to its end.
struct ReadToEnd {
    inner: Body,
    read: Arc<AtomicBool>,
}

impl http_body::Body for ReadToEnd {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// How a route's answer ended.
enum Outcome<T> {
    Answered(T),
    Panicked,
    TimedOut,
}

pin_project_lite::pin_project! {
    /// A route's answer, guarded: a panic ends it (the request answers 500;
    /// the connection and the process live on), and so does its deadline.
    /// The deadline's timer is set only when the route first waits: most
    /// answer at once, and setting a timer touches state all workers share.
    struct Guarded<F> {
        // None: the route panicked when called.
        #[pin]
        inner: Option<F>,
        #[pin]
        deadline: Option<tokio::time::Sleep>,
        until: tokio::time::Instant,
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Outcome<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return Poll::Ready(Outcome::Panicked);
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(out)) => return Poll::Ready(Outcome::Answered(out)),
            Err(_) => return Poll::Ready(Outcome::Panicked),
            Ok(Poll::Pending) => {}
        }
        if this.deadline.is_none() {
            this.deadline
                .set(Some(tokio::time::sleep_until(*this.until)));
        }
        match this.deadline.as_pin_mut() {
            Some(deadline) => deadline.poll(cx).map(|()| Outcome::TimedOut),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn through<F, Fut>(handler: F, req: Request<Body>) -> Response
    where
        F: Fn(Request<Body>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let inner = tower::service_fn(move |req| {
            let answer = handler(req);
            async move { Ok::<_, std::convert::Infallible>(answer.await) }
        });
        Door::new(inner, Duration::from_millis(200))
            .oneshot(req)
            .await
            .unwrap()
    }

    fn get() -> Request<Body> {
        Request::get("/x").body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn a_request_without_an_id_gets_a_new_one_that_its_route_sees_too() {
        let res = through(
            |req: Request<Body>| async move {
                let seen = req.headers()[REQUEST_ID].clone();
                ([(HeaderName::from_static("seen"), seen)], "ok").into_response()
            },
            get(),
        )
        .await;
        let id = res.headers()[REQUEST_ID].to_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
        assert_eq!(res.headers()["seen"], id);
    }

    #[tokio::test]
    async fn a_given_request_id_is_kept() {
        let mut req = get();
        req.headers_mut()
            .insert(REQUEST_ID, HeaderValue::from_static("trace-7"));
        let res = through(|_| async { "ok".into_response() }, req).await;
        assert_eq!(res.headers()[REQUEST_ID], "trace-7");
    }

    #[tokio::test]
    async fn a_panicking_route_answers_a_500_problem() {
        let res = through(
            |req: Request<Body>| async move {
                if req.uri().path() == "/x" {
                    panic!("a bug");
                }
                "unreachable".into_response()
            },
            get(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert!(res.headers().contains_key(REQUEST_ID));
    }

    #[tokio::test]
    async fn a_route_past_its_deadline_answers_503() {
        let res = through(
            |_| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late".into_response()
            },
            get(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn only_an_answer_given_before_the_body_is_read_closes_the_connection() {
        let post = || {
            Request::post("/x")
                .header(header::CONTENT_LENGTH, "5")
                .body(Body::from("hello"))
                .unwrap()
        };
        let refused = through(
            |_| async { StatusCode::UNAUTHORIZED.into_response() },
            post(),
        )
        .await;
        assert_eq!(refused.headers()[header::CONNECTION], "close");
        let read = through(
            |req: Request<Body>| async move {
                let body = axum::body::to_bytes(req.into_body(), 100).await.unwrap();
                body.into_response()
            },
            post(),
        )
        .await;
        assert!(!read.headers().contains_key(header::CONNECTION));
        assert!(
            !through(|_| async { "ok".into_response() }, get())
                .await
                .headers()
                .contains_key(header::CONNECTION)
        );
    }
}
