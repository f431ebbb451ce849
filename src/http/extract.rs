//! Request extractors that turn every kind of bad input into a problem that
//! names the bad fields.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

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
            .copied()
            .map(Caller)
            .ok_or_else(|| Problem::new(StatusCode::UNAUTHORIZED, "missing API key"))
    }
}

/// The `If-Match` header, if any.
pub struct IfMatchHeader(pub IfMatch);

impl<S: Send + Sync> FromRequestParts<S> for IfMatchHeader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(Self(IfMatch(None))),
            Some(v) => v
                .to_str()
                .map(|s| Self(IfMatch(Some(s.to_owned()))))
                .map_err(|_| {
                    Problem::new(StatusCode::BAD_REQUEST, "If-Match is not visible ASCII")
                }),
        }
    }
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

/// A request body that can name its own invalid fields, so that a body with
/// both structural and semantic errors gets them all in one answer.
pub trait Checked {
    /// The domain's verdict on the parsed body alone.
    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// A JSON body. Malformed JSON is a 400; otherwise every field of the wrong
/// type, unknown to the schema or invalid to the domain is named in one 422.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Checked, S: Send + Sync> FromRequest<S> for Json<T> {
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
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::new(e.status(), e.body_text()))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))?;
        parse_value(value).map(Json).map_err(Problem::invalid)
    }
}

/// Deserialises `value`, and on failure keeps removing the offending member and
/// retrying, so that one answer names every bad field; what remains is then
/// checked by the domain too.
pub fn parse_value<T: DeserializeOwned + Checked>(mut value: Value) -> Result<T, Invalid> {
    if !value.is_object() {
        return Err(Invalid::single("body", "must be a JSON object"));
    }
    let mut invalid = Invalid::default();
    for _ in 0..64 {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(v) if invalid.0.is_empty() => return Ok(v),
            Ok(rest) => {
                if let Err(more) = rest.check() {
                    invalid.0.extend(more.0);
                }
                return Err(invalid);
            }
            Err(e) => e,
        };
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = field_name(&path, &message);
        if invalid.0.iter().any(|e| e.field == field) {
            break;
        }
        invalid.push(field.clone(), message);
        let top = field
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_owned();
        let removed = value.as_object_mut().and_then(|o| o.remove(&top)).is_some();
        if !removed {
            break;
        }
    }
    Err(invalid)
}

/// The field an error is about: serde names a missing or unknown field only
/// in its message (`missing field \`name\``), the path names the others.
fn field_name(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))
        .and_then(|rest| rest.split('`').next());
    match (named, path) {
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), parent) if !parent.ends_with(name) => format!("{parent}.{name}"),
        _ if path.is_empty() || path == "." => "body".to_owned(),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        size: Option<u32>,
        tags: Option<Vec<String>>,
    }

    impl Checked for Sample {
        fn check(&self) -> Result<(), Invalid> {
            if self.name.is_empty() {
                Err(Invalid::single("name", "must not be empty"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn every_structural_error_is_named() {
        let err =
            parse_value::<Sample>(json!({"name": 1, "size": "big", "extra": true})).unwrap_err();
        let mut fields: Vec<_> = err.0.iter().map(|e| e.field.clone()).collect();
        fields.sort();
        assert_eq!(fields, ["extra", "name", "size"]);
    }

    #[test]
    fn missing_and_nested_fields() {
        let err = parse_value::<Sample>(json!({"tags": ["a", 2]})).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tags[1]", "name"]);
        let err = parse_value::<Sample>(json!({"name": 1})).unwrap_err();
        assert_eq!(err.0.len(), 1, "a bad type is not also reported missing");
        let err = parse_value::<Sample>(json!([1])).unwrap_err();
        assert_eq!(err.0[0].field, "body");
    }

    #[test]
    fn structural_and_semantic_errors_come_together() {
        let err = parse_value::<Sample>(json!({"name": "", "extra": 1})).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["extra", "name"]);
    }
}
