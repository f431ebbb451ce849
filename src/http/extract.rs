//! Request extractors that turn every kind of bad input into a problem that
//! names the bad fields.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use super::body::field_name;
pub(super) use super::body::{Checked, parse_value};
use super::problem::Problem;
use crate::app::{IfMatch, Principal};
use crate::domain::Invalid;

/// The authenticated caller, put in the request by the auth middleware.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| Problem::new(StatusCode::UNAUTHORIZED, "missing API key"))
    }
}

/// The `If-Match` header, if any: `*` or the ETags the client read.
pub struct IfMatchHeader(pub IfMatch);

impl<S: Send + Sync> FromRequestParts<S> for IfMatchHeader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(IfMatch(None)));
        };
        match v.to_str().ok().filter(|s| is_if_match(s)) {
            Some(s) => Ok(Self(IfMatch(Some(s.to_owned())))),
            None => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "If-Match must be * or the ETag you read, such as \"3\" (visible ASCII)",
            )),
        }
    }
}

/// Visible ASCII, spaces only between other characters, at most 1024
/// characters: exactly the pattern the document states. What it names is
/// judged against the current version (a stale or unknown tag is a 412).
fn is_if_match(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 1024
        && b.iter().all(|c| (b' '..=b'~').contains(c))
        && b[0] != b' '
        && b[b.len() - 1] != b' '
}

/// The path's UUID parameters, in order; each bad one is named in one 422.
pub struct PathIds<const N: usize>(pub [Uuid; N]);

impl<const N: usize, S: Send + Sync> FromRequestParts<S> for PathIds<N> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(params): Path<Vec<(String, String)>> = Path::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
        let mut ids = [Uuid::nil(); N];
        let mut e = Invalid::default();
        if params.len() != N {
            return Err(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "route and handler disagree on the path's parameters",
            ));
        }
        for (slot, (name, raw)) in ids.iter_mut().zip(&params) {
            match Uuid::parse_str(raw) {
                Ok(id) => *slot = id,
                Err(_) => e.push(name.clone(), "must be a UUID"),
            }
        }
        e.into_result().map_err(Problem::invalid)?;
        Ok(Self(ids))
    }
}

/// A path's one UUID parameter.
pub struct PathId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let PathIds([id]) = PathIds::<1>::from_request_parts(parts, state).await?;
        Ok(Self(id))
    }
}

/// Query parameters; a bad value is a 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let raw = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = e.into_inner().to_string();
                Problem::invalid(Invalid::single(field_name(&field, &message), message))
            })
    }
}

/// A JSON body. Malformed JSON is a 400; otherwise every field of the wrong
/// type, unknown to the schema or invalid to the domain is named in one 422.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Checked, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// The bytes of an `application/json` body, for a handler with a faster way
/// to read its common case; [`parse_json`] reads the rest as [`Json`] does.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            ));
        }
        Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(|e| Problem::new(e.status(), e.body_text()))
    }
}

/// A JSON body as its type: the plain path when it can answer, else the one
/// that names every problem.
pub fn parse_json<T: DeserializeOwned + Checked>(bytes: &[u8]) -> Result<T, Problem> {
    if let Some(plain) = super::body::parse_plain(bytes) {
        return Ok(plain);
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))?;
    parse_value(value).map_err(Problem::invalid)
}

#[cfg(test)]
mod tests {
    use super::is_if_match;

    #[test]
    fn if_match_is_visible_ascii_without_outer_spaces() {
        for ok in ["*", "\"3\"", "W/\"3\"", "\"1\", \"3\"", "0", "\"\""] {
            assert!(is_if_match(ok), "{ok}");
        }
        for bad in ["", " \"3\"", "\"3\" ", "\"é\"", "a\tb"] {
            assert!(!is_if_match(bad), "{bad}");
        }
    }
}
