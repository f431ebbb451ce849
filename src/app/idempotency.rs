//! `Idempotency-Key` (Stripe's semantics): a client retrying a POST after a
//! lost answer gets the first answer again instead of a second record.
//!
//! A key belongs to the workspace and the API key that sent it, so a replay
//! answers only its own caller. It is reserved in a transaction opened before
//! the handler runs; the use case joins that transaction and the answer is
//! saved in the same commit as the write, so a retry after any failure either
//! replays or runs once. A concurrent duplicate waits for the first and
//! replays it. Only successes are kept: a refused request (validation,
//! authorization, conflict) stores nothing and may simply be sent again.

use chrono::Duration;

use super::work::Joinable;
use super::{App, AppError, Principal, now, sha256_hex};
use crate::domain::Invalid;
use crate::store::idempotency::{KeyUse, SavedResponse};

/// How long an answer is kept for replay.
pub const RETENTION: Duration = Duration::hours(48);

/// A validated key: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::single(
                "Idempotency-Key",
                "must be 1-255 visible ASCII characters",
            ))
        }
    }

    /// Fingerprint of the request the key is used with.
    pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
        sha256_hex(&[method.as_bytes(), b" ", path.as_bytes(), b"\n", body])
    }
}

/// An answer as the door gave it, to be replayed to repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// Headers worth replaying (`Location`, `ETag`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What a keyed request is to do.
pub enum Claim {
    /// The key answered this request before: send that answer again.
    Replay(Answer),
    /// The key is reserved for this request: run it inside the reservation.
    Run(Reservation),
}

/// A key reserved in an open transaction, which the request's use case joins.
pub struct Reservation {
    open: Joinable,
    api_key: uuid::Uuid,
    key: IdempotencyKey,
    fingerprint: String,
}

impl App {
    /// Reserves `key` for this request, waiting for a concurrent duplicate
    /// to finish; a key used before with another request is a conflict.
    pub async fn claim(
        &self,
        p: &Principal,
        key: IdempotencyKey,
        fingerprint: String,
    ) -> Result<Claim, AppError> {
        let mut tx = self.store.begin(p.workspace_id).await?;
        let used = KeyUse {
            api_key: p.key_id,
            key: &key.0,
            request_hash: &fingerprint,
        };
        let Some(saved) = tx.reserve_idempotency_key(used, now()).await? else {
            return Ok(Claim::Run(Reservation {
                open: Joinable::new(tx),
                api_key: p.key_id,
                key,
                fingerprint,
            }));
        };
        tx.rollback().await?;
        if saved.request_hash != fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        Ok(Claim::Replay(Answer {
            status: saved.status,
            headers: saved.headers,
            body: saved.body,
        }))
    }

    /// Forgets the answers that created the record at `path`, once deleted,
    /// so a repeat creates anew instead of pointing at nothing.
    pub async fn forget_replays(&self, p: &Principal, path: &str) -> Result<(), AppError> {
        let mut work = self.begin(p).await?;
        let result = work.forget_idempotent_answers(path).await;
        work.finish(result.map(|_| ()).map_err(AppError::from))
            .await
    }

    /// Drops answers past retention; run periodically by the server.
    pub async fn purge_idempotency_keys(&self) -> Result<usize, AppError> {
        Ok(self.store.purge_saved_responses(now() - RETENTION).await?)
    }
}

impl Reservation {
    /// Runs the request (`f`, its handler) inside the reservation's transaction.
    pub async fn run<F: Future>(&self, f: F) -> F::Output {
        self.open.scope(f).await
    }

    /// Saves a success's answer and commits it with the write; any other
    /// answer rolls everything back and leaves the key free.
    pub async fn settle(self, answer: Option<&Answer>) -> Result<(), AppError> {
        let mut tx = self.open.take().ok_or_else(|| {
            AppError::Internal("the idempotent request's transaction was not returned".into())
        })?;
        let Some(answer) = answer else {
            tx.rollback().await?;
            return Ok(());
        };
        let used = KeyUse {
            api_key: self.api_key,
            key: &self.key.0,
            request_hash: &self.fingerprint,
        };
        let saved = SavedResponse {
            request_hash: self.fingerprint.clone(),
            status: answer.status,
            headers: answer.headers.clone(),
            body: answer.body.clone(),
        };
        tx.save_idempotent_response(used, &saved).await?;
        tx.commit().await?;
        Ok(())
    }
}
