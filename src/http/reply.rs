//! Success responses with the headers REST clients rely on.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::app::etag_of;

/// A JSON body with the record's `ETag`.
pub fn with_etag(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag_of(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// Adds `Location: location` to a response.
pub fn located(mut res: Response, location: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// 201 with `Location` and `ETag`.
pub fn created(location: String, version: i64, body: impl Serialize) -> Response {
    located(with_etag(StatusCode::CREATED, version, body), &location)
}

/// 201 with `Location` for a record whose secret this answer shows once:
/// an idempotent replay answers `shown_once` (the secret is not kept), this
/// answer what `reveal` makes of it.
pub fn created_with_secret<T: Serialize>(
    location: &str,
    shown_once: T,
    reveal: impl FnOnce(T) -> T,
) -> Response {
    let replayed = serde_json::to_string(&shown_once).unwrap_or_default();
    let body = reveal(shown_once);
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    res.extensions_mut()
        .insert(super::middleware::ReplayBody(replayed));
    located(res, location)
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
