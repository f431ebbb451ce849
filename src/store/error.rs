//! The store's one error type. It says what a caller can act on: a conflict,
//! an outage worth retrying, or a bug.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. an external ref in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A foreign key refused the write: what it refers to went meanwhile.
    #[error("a record this change refers to no longer exists: {0}")]
    Dangling(String),
    /// The database refused a value it cannot hold (text with NUL): the
    /// request's fault, though the edge should have caught it first.
    #[error("the database cannot store a value of this request: {0}")]
    Unstorable(String),
    /// The database cannot be reached right now; retrying later may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data.
    #[error("store error: {0}")]
    Internal(String),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Conflict(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                StoreError::Dangling(info.message().to_owned())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            DieselError::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence") =>
            {
                StoreError::Unstorable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_outage(info.message()) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            DieselError::BrokenTransactionManager => {
                StoreError::Unavailable("connection lost inside a transaction".into())
            }
            other => StoreError::Internal(other.to_string()),
        }
    }
}

/// PostgreSQL and SQLite report shutdown, lost connections and lock time-outs
/// without a kind of their own; their messages are stable.
fn is_outage(message: &str) -> bool {
    const MARKERS: [&str; 5] = [
        "terminating connection",
        "connection closed",
        "the database system is",
        "database is locked",
        "server closed the connection",
    ];
    MARKERS.iter().any(|m| message.contains(m))
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("stored JSON: {e}"))
    }
}
