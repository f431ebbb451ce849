//! `Idempotency-Key`: a client retrying a POST after a lost answer gets the
//! first answer again instead of a second record. Keys are scoped to the
//! workspace and kept at least 24 hours, or until the record they created is
//! deleted; reusing one for another request is a conflict (409).

use chrono::Duration;

use super::{App, AppError, Principal, now, sha256_hex};
use crate::domain::Invalid;
use crate::store::idempotency::SavedResponse;

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

impl App {
    /// The first answer given under `key`, if any; a conflict when the key was
    /// first used with a different request.
    pub async fn replay(
        &self,
        p: &Principal,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<SavedResponse>, AppError> {
        match self.store.saved_response(p.workspace_id, &key.0).await? {
            Some(saved) if saved.request_hash == fingerprint => Ok(Some(saved)),
            Some(_) => Err(AppError::Conflict(
                "this Idempotency-Key was already used with a different request".into(),
            )),
            None => Ok(None),
        }
    }

    pub async fn remember(
        &self,
        p: &Principal,
        key: &IdempotencyKey,
        saved: &SavedResponse,
    ) -> Result<(), AppError> {
        Ok(self
            .store
            .save_response(p.workspace_id, &key.0, saved, now())
            .await?)
    }

    /// Forgets the answers that created the record at `path` (or under it),
    /// once that record is deleted.
    pub async fn forget_replays(&self, p: &Principal, path: &str) -> Result<(), AppError> {
        self.store
            .forget_saved_responses(p.workspace_id, path)
            .await?;
        Ok(())
    }

    /// Drops answers past retention; run periodically by the server.
    pub async fn purge_idempotency_keys(&self) -> Result<usize, AppError> {
        Ok(self.store.purge_saved_responses(now() - RETENTION).await?)
    }
}
