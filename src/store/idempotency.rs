//! Keys of requests that carried an `Idempotency-Key`, with the answer they got.
//!
//! A key is reserved by inserting its row inside the request's transaction and
//! saved in the same commit as the write it guards; nobody else ever sees a
//! reserved row that has no answer. A concurrent duplicate's insert waits on
//! the unique key (PostgreSQL) or on the writer's turn (SQLite) until the
//! first commits, then finds the answer.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::idempotency_keys as t;
use super::tx::in_tx;
use super::{Store, StoreError, Tx, run_write, to_micros};

/// What a keyed request was and the answer it got.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedResponse {
    /// Hash of the method, path and body the key was first used with.
    pub request_hash: String,
    pub status: u16,
    /// Headers worth replaying (`Location`, `ETag`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Who used a key for what: the API key sending it, the key, the request's fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct KeyUse<'a> {
    pub api_key: Uuid,
    pub key: &'a str,
    pub request_hash: &'a str,
}

super::for_each_backend! {
    pub(crate) async fn reserve(c: &mut Conn, ws: Uuid, u: KeyUse<'_>, now: i64) -> Result<bool, StoreError> {
        let n = diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(ws.to_string()),
                t::api_key_id.eq(u.api_key.to_string()),
                t::key.eq(u.key),
                t::request_hash.eq(u.request_hash),
                t::status.eq(0),
                t::headers.eq("[]"),
                t::body.eq(""),
                t::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn get(c: &mut Conn, ws: Uuid, u: KeyUse<'_>) -> Result<Option<SavedResponse>, StoreError> {
        let row: Option<(String, i32, String, String)> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::api_key_id.eq(u.api_key.to_string()))
            .filter(t::key.eq(u.key))
            .select((t::request_hash, t::status, t::headers, t::body))
            .first(c)
            .await
            .optional()?;
        row.map(|(request_hash, status, headers, body)| {
            Ok(SavedResponse {
                request_hash,
                status: u16::try_from(status).map_err(|e| StoreError::Internal(e.to_string()))?,
                headers: serde_json::from_str(&headers)?,
                body,
            })
        })
        .transpose()
    }

    pub(crate) async fn save(c: &mut Conn, ws: Uuid, u: KeyUse<'_>, saved: &SavedResponse) -> Result<(), StoreError> {
        diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::api_key_id.eq(u.api_key.to_string()))
                .filter(t::key.eq(u.key)),
        )
        .set((
            t::status.eq(i32::from(saved.status)),
            t::headers.eq(serde_json::to_string(&saved.headers)?),
            t::body.eq(&saved.body),
        ))
        .execute(c)
        .await?;
        Ok(())
    }

    pub(crate) async fn forget(c: &mut Conn, ws: Uuid, path: &str) -> Result<usize, StoreError> {
        use diesel::{EscapeExpressionMethods, TextExpressionMethods};
        let pattern = format!("%\"location\",\"{}\"]%", crate::store::like_escaped(path));
        Ok(diesel::delete(t::table.filter(t::workspace_id.eq(ws.to_string())).filter(t::headers.like(pattern).escape('\\')))
            .execute(c)
            .await?)
    }

    pub(crate) async fn purge(c: &mut Conn, before: i64) -> Result<usize, StoreError> {
        Ok(diesel::delete(t::table.filter(t::created_at.lt(before))).execute(c).await?)
    }
}

impl Tx {
    /// Reserves the key for this request, or, when it was used before,
    /// returns what it was used for and answered.
    pub async fn reserve_idempotency_key(
        &mut self,
        u: KeyUse<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SavedResponse>, StoreError> {
        if in_tx!(self, reserve(u, to_micros(now)))? {
            return Ok(None);
        }
        let saved = in_tx!(self, get(u))?;
        saved
            .map(Some)
            .ok_or_else(|| StoreError::Internal("a reserved idempotency key has no row".into()))
    }

    /// Records the answer to the reserved key; it commits with the write.
    pub async fn save_idempotent_response(
        &mut self,
        u: KeyUse<'_>,
        saved: &SavedResponse,
    ) -> Result<(), StoreError> {
        in_tx!(self, save(u, saved))
    }
}

impl Tx {
    /// Forgets the answers that created the record at `path`, once it is deleted.
    pub async fn forget_idempotent_answers(&mut self, path: &str) -> Result<usize, StoreError> {
        in_tx!(self, forget(path))
    }
}

impl Store {
    /// Forgets answers older than `before`, in every workspace.
    pub async fn purge_saved_responses(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        run_write!(self, purge(to_micros(before)))
    }
}
