//! The one place that maps [`AppError`] to a gRPC status.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::app::AppError;
use crate::domain::Invalid;

pub fn status_of(e: AppError) -> Status {
    let message = e.to_string();
    match e {
        AppError::Invalid(invalid) => invalid_argument(invalid),
        AppError::NotFound(_) => Status::not_found(message),
        AppError::Duplicate(_) => Status::already_exists(message),
        AppError::Concurrent(_) | AppError::PreconditionFailed { .. } => Status::aborted(message),
        AppError::InUse(_) | AppError::IdempotencyKeyReused | AppError::Expired(_) => {
            Status::failed_precondition(message)
        }
        AppError::Unauthenticated => Status::unauthenticated(message),
        AppError::Forbidden(_) | AppError::BeyondReach | AppError::ReadOnly(_) => {
            Status::permission_denied(message)
        }
        AppError::RateLimited(exhausted) => Status::with_error_details(
            Code::ResourceExhausted,
            message,
            ErrorDetails::with_retry_info(Some(Duration::from_secs(exhausted.retry_after))),
        ),
        AppError::Unavailable(reason) => {
            tracing::warn!(%reason, "store unavailable");
            Status::unavailable(message)
        }
        AppError::Internal(reason) => {
            tracing::error!(%reason, "internal error");
            Status::internal(message)
        }
    }
}

/// `INVALID_ARGUMENT` with a `google.rpc.BadRequest` naming every bad field.
pub fn invalid_argument(invalid: Invalid) -> Status {
    let violations: Vec<FieldViolation> = invalid
        .0
        .iter()
        .map(|e| FieldViolation::new(e.field.clone(), e.message.clone()))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("the request has invalid fields: {invalid}"),
        ErrorDetails::with_bad_request(violations),
    )
}
