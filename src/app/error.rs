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
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` / `etag` named another version.
    #[error("the {resource} has changed; its ETag is now {current}")]
    PreconditionFailed {
        resource: &'static str,
        current: String,
    },
    #[error("missing, unknown or revoked API key")]
    Unauthenticated,
    #[error("this API key's role cannot do that; it needs the {0} role")]
    Forbidden(Role),
    /// The record cannot be changed by anyone (a built-in).
    #[error("{0}")]
    ReadOnly(String),
    #[error("the store is unavailable; retry later")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::Conflict(m),
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
