//! The use-case error: what went wrong in terms a client can act on. The HTTP
//! and gRPC doors each map it in one exhaustive `match`.

use crate::domain::{Invalid, Role};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input, with every bad field.
    #[error("the request has invalid fields: {0}")]
    Invalid(Invalid),
    /// Unknown id, or an id of another workspace.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record exists already (a key, a name, an external ref in use).
    #[error("{0}")]
    Duplicate(String),
    /// Another write changed or removed what this one read; read again and retry.
    #[error("{0}")]
    Concurrent(String),
    /// The record is used by others and cannot go (a metric read by plans).
    #[error("{0}")]
    InUse(String),
    /// An `Idempotency-Key` sent again with a different request.
    #[error("this Idempotency-Key was already used with a different request; use a new key")]
    IdempotencyKeyReused,
    /// `If-Match` / `etag` named another version.
    #[error("the {resource} has changed; its ETag is now {current}")]
    PreconditionFailed {
        resource: &'static str,
        current: String,
    },
    /// What the request names is gone for good (a feed cursor past retention).
    #[error("{0}")]
    Expired(String),
    #[error("missing, unknown or revoked API key")]
    Unauthenticated,
    #[error("this API key's role cannot do that; it needs the {0} role")]
    Forbidden(Role),
    /// A key limited to some accounts asked for what reaches beyond them.
    #[error(
        "this API key is limited to some accounts; this operation reads or changes the whole workspace"
    )]
    BeyondReach,
    /// The record cannot be changed by anyone (a built-in).
    #[error("{0}")]
    ReadOnly(String),
    /// A rate limit is spent; retry after the given seconds.
    #[error("rate limit of this {} ({}) reached; retry in {} s", .0.allowance.policy, .0.allowance.limit, .0.retry_after)]
    RateLimited(super::Exhausted),
    #[error("the store is unavailable; retry later")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::Duplicate(m),
            StoreError::Dangling(_) => AppError::Concurrent(
                "a record this change refers to was deleted meanwhile; read it again and retry"
                    .into(),
            ),
            StoreError::Unstorable(_) => {
                AppError::Invalid(Invalid::single("body", crate::domain::validation::CONTROL))
            }
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Internal(m) => AppError::Internal(m),
        }
    }
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        AppError::Invalid(e)
    }
}
