//! The unit of work: every write use case runs its checks, its writes and the
//! history it keeps in one transaction on one workspace, opened by
//! [`App::begin`] and closed by [`Work::finish`] (commit on `Ok`, roll back on
//! `Err`). A request carrying an `Idempotency-Key` opens that transaction
//! before its handler runs (the key's reservation is its first write); the
//! use case then joins it, and the door commits it with the saved answer.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use uuid::Uuid;

use super::{App, AppError, Principal};
use crate::store::Tx;

tokio::task_local! {
    static OPEN: Joinable;
}

/// A transaction opened for a request, which the request's use case joins
/// instead of opening its own.
#[derive(Clone)]
pub struct Joinable(Arc<Mutex<Option<Tx>>>);

impl Joinable {
    pub(super) fn new(tx: Tx) -> Self {
        Self(Arc::new(Mutex::new(Some(tx))))
    }

    /// Runs `f` (the request's handler) with this transaction open to join.
    pub async fn scope<F: Future>(&self, f: F) -> F::Output {
        OPEN.scope(self.clone(), f).await
    }

    pub(super) fn take(&self) -> Option<Tx> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn put_back(&self, tx: Tx) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
    }

    /// The open transaction of the current request on workspace `ws`, if any.
    fn join(ws: Uuid) -> Option<(Tx, Joinable)> {
        let open = OPEN.try_with(Joinable::clone).ok()?;
        let tx = open.take()?;
        if tx.workspace() == ws {
            Some((tx, open))
        } else {
            open.put_back(tx);
            None
        }
    }
}

/// An open unit of work; derefs to the store's [`Tx`].
pub(super) struct Work {
    tx: Tx,
    /// Set when the unit joined a request's transaction: its owner commits.
    joined: Option<Joinable>,
}

impl App {
    /// Opens the unit of work of a write use case in the caller's workspace.
    pub(super) async fn begin(&self, p: &Principal) -> Result<Work, AppError> {
        if let Some((tx, joined)) = Joinable::join(p.workspace_id) {
            return Ok(Work {
                tx,
                joined: Some(joined),
            });
        }
        Ok(Work {
            tx: self.store.begin(p.workspace_id).await?,
            joined: None,
        })
    }

    /// Passes a bulk write's outcome on, first letting the store bring its
    /// planner statistics up with what the write may have grown (see
    /// `store::statistics`): the next batch of a sync is planned for the
    /// tables as they now are.
    pub(super) fn after_bulk_write<T>(&self, done: Result<T, AppError>) -> Result<T, AppError> {
        if done.is_ok() {
            self.store.refresh_statistics_soon();
        }
        done
    }
}

impl Work {
    /// Commits when `result` is `Ok`, rolls back when it is `Err`, and returns
    /// `result` (or the commit's failure).
    pub(super) async fn finish<T>(self, result: Result<T, AppError>) -> Result<T, AppError> {
        let Work { tx, joined } = self;
        if let Some(owner) = joined {
            owner.put_back(tx);
            return result;
        }
        match result {
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(e) => {
                if let Err(failed) = tx.rollback().await {
                    tracing::warn!(error = %failed, "rolling back a failed use case");
                }
                Err(e)
            }
        }
    }
}

impl Deref for Work {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for Work {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}
