//! RFC 9457 problem details: the one shape of every REST error, and the one
//! place that maps [`AppError`] to an HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::app::AppError;
use crate::domain::Invalid;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Dotted path of the field, e.g. `external_refs[0].system`.
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    /// Every bad field of `invalid`, in order.
    pub fn all(invalid: Invalid) -> Vec<Self> {
        invalid
            .0
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message,
            })
            .collect()
    }
}

/// An RFC 9457 problem. `errors` lists every bad field of a 422.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// Seconds to wait before retrying, sent as `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let slug = title.to_lowercase().replace(' ', "-");
        Self {
            kind: format!("https://csapi.dev/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn invalid(invalid: Invalid) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the request has invalid fields",
        );
        p.errors = FieldProblem::all(invalid);
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match status {
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                headers.insert(header::RETRY_AFTER, self.retry_after.unwrap_or(1).into());
            }
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        res
    }
}

impl Problem {
    /// A problem whose `type` names the case more precisely than its status.
    fn typed(status: StatusCode, slug: &str, detail: String) -> Self {
        let mut p = Self::new(status, detail);
        p.kind = format!("https://csapi.dev/problems/{slug}");
        p
    }
}

impl From<crate::domain::Invalid> for Problem {
    fn from(e: crate::domain::Invalid) -> Self {
        AppError::Invalid(e).into()
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        let status = match &e {
            AppError::Invalid(invalid) => return Problem::invalid(invalid.clone()),
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Duplicate(_) => StatusCode::CONFLICT,
            AppError::Concurrent(_) => {
                return Problem::typed(StatusCode::CONFLICT, "concurrent-change", e.to_string());
            }
            AppError::InUse(_) => {
                return Problem::typed(StatusCode::CONFLICT, "in-use", e.to_string());
            }
            AppError::IdempotencyKeyReused => {
                return Problem::typed(
                    StatusCode::CONFLICT,
                    "idempotency-key-reused",
                    e.to_string(),
                );
            }
            AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::RateLimited(exhausted) => {
                let mut p =
                    Problem::typed(StatusCode::TOO_MANY_REQUESTS, "rate-limited", e.to_string());
                p.retry_after = Some(exhausted.retry_after);
                return p;
            }
            AppError::Expired(_) => StatusCode::GONE,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::BeyondReach | AppError::ReadOnly(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::Unavailable(reason) => {
                tracing::warn!(%reason, "store unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(reason) => {
                tracing::error!(%reason, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Problem::new(status, e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// The error answers any `/v1` operation may give, documented once.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum ProblemResponses {
    /// Malformed JSON or a malformed header.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// Missing, unknown or revoked API key.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The key's role does not allow this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// Unknown id, or an id of another workspace.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// A duplicate (`type` …/conflict), a concurrent change (…/concurrent-change), a
    /// record still in use (…/in-use), or an Idempotency-Key reused for another
    /// request (…/idempotency-key-reused).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] Problem),
    /// `If-Match` names another version.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(#[to_schema] Problem),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(#[to_schema] Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(#[to_schema] Problem),
    /// Invalid fields, each named in `errors`.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
    /// A rate limit of the key or its workspace is spent; retry after
    /// `Retry-After` seconds. `RateLimit-Policy` and `RateLimit` say which.
    #[response(status = 429, content_type = "application/problem+json")]
    TooManyRequests(#[to_schema] Problem),
    /// The store is unreachable; retry after `Retry-After` seconds.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(#[to_schema] Problem),
}
