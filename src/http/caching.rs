//! HTTP caching of reads: every successful GET carries a strong ETag (the
//! record's version where it has one, else a hash of what is answered, so
//! QBR packs, health, charts and portfolios get one too) and
//! `Cache-Control: private, no-cache` (a client may keep it but must ask
//! again); a GET whose `If-None-Match` names the current ETag gets 304 and
//! no body. The read still runs: what is saved is the transfer. A streamed
//! answer (the book export) gets no ETag: hashing it would hold it whole.

use std::future::Future;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use sha2::{Digest, Sha256};

/// Answers are per key and change with every write.
const CACHE_CONTROL: &str = "private, no-cache";

/// Adds ETag and Cache-Control to successful GETs, and answers 304 when the
/// client already holds the current representation.
pub async fn conditional_get<N, F>(req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    if req.method() != Method::GET {
        return next(req).await;
    }
    let held = req.headers().get(header::IF_NONE_MATCH).cloned();
    let res = next(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // A streamed answer (an export) has no length known in advance: it goes
    // as it is made, unhashed, rather than held whole in memory.
    let streamed = body.size_hint().exact().is_none();
    let body = match parts.headers.get(header::ETAG) {
        Some(_) => body,
        None if streamed => body,
        None => {
            let Ok(bytes) = to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            parts.headers.insert(header::ETAG, content_etag(&bytes));
            Body::from(bytes)
        }
    };
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    let current = parts.headers.get(header::ETAG).cloned();
    if let (Some(held), Some(current)) = (held, current)
        && matches(&held, &current)
    {
        return not_modified(&parts.headers);
    }
    Response::from_parts(parts, body)
}

/// A strong ETag naming these exact bytes, or an answer that these bytes
/// name exactly (a feed page by its request and where it ends).
pub fn content_etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"h{hex}\"")).unwrap_or(HeaderValue::from_static("\"h\""))
}

/// `If-None-Match` by weak comparison (RFC 9110 §13.1.2): any listed tag,
/// with or without `W/`, equal to the current one; or `*`.
fn matches(held: &HeaderValue, current: &HeaderValue) -> bool {
    let Ok(held) = held.to_str() else {
        return false;
    };
    let current = current.to_str().unwrap_or_default();
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    held.trim() == "*" || held.split(',').any(|tag| opaque(tag) == opaque(current))
}

/// 304: the validators and caching headers of the 200 it stands for, no body.
fn not_modified(of: &HeaderMap) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
        if let Some(v) = of.get(&name) {
            res.headers_mut().insert(name, v.clone());
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &'static str) -> HeaderValue {
        HeaderValue::from_static(s)
    }

    #[test]
    fn if_none_match_compares_weakly_over_a_list() {
        assert!(matches(&v("\"3\""), &v("\"3\"")));
        assert!(matches(&v("\"1\", W/\"3\""), &v("\"3\"")));
        assert!(matches(&v("*"), &v("\"3\"")));
        assert!(!matches(&v("\"2\""), &v("\"3\"")));
        assert!(!matches(&v("\"33\""), &v("\"3\"")));
    }

    #[test]
    fn content_tags_are_strong_and_follow_the_bytes() {
        let a = content_etag(b"{\"health\":80}");
        assert_eq!(a, content_etag(b"{\"health\":80}"));
        assert_ne!(a, content_etag(b"{\"health\":81}"));
        let s = a.to_str().unwrap();
        assert!(
            s.starts_with("\"h") && s.ends_with('"') && s.len() == 27,
            "{s}"
        );
    }
}
