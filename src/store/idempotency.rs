//! Stored answers to POST requests that carried an `Idempotency-Key`.

use diesel::{
    BoolExpressionMethods, EscapeExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl,
    TextExpressionMethods,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::idempotency_keys as t;
use super::{Store, StoreError, like_escaped, run_read, run_write, to_micros};

/// The first answer to a keyed request, replayed to its repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedResponse {
    /// Hash of the method, path and body the key was first used with.
    pub request_hash: String,
    /// The path the key was first used on.
    pub request_path: String,
    pub status: u16,
    /// Headers worth replaying (`Location`, `ETag`, `Content-Type`), as JSON pairs.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl SavedResponse {
    /// The `Location` of the record the first answer created.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| name == "location")
            .map(|(_, v)| v.as_str())
    }
}

super::for_each_backend! {
    pub(crate) async fn get(c: &mut Conn, ws: Uuid, key: &str) -> Result<Option<SavedResponse>, StoreError> {
        let row: Option<(String, String, i32, String, String)> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::key.eq(key))
            .select((t::request_hash, t::request_path, t::status, t::headers, t::body))
            .first(c)
            .await
            .optional()?;
        row.map(|(request_hash, request_path, status, headers, body)| {
            Ok(SavedResponse {
                request_hash,
                request_path,
                status: u16::try_from(status).map_err(|e| StoreError::Internal(e.to_string()))?,
                headers: serde_json::from_str(&headers)?,
                body,
            })
        })
        .transpose()
    }

    pub(crate) async fn put(
        c: &mut Conn,
        ws: Uuid,
        key: &str,
        saved: &SavedResponse,
        now: i64,
    ) -> Result<(), StoreError> {
        diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(ws.to_string()),
                t::key.eq(key),
                t::request_hash.eq(&saved.request_hash),
                t::request_path.eq(&saved.request_path),
                t::location.eq(saved.location()),
                t::status.eq(i32::from(saved.status)),
                t::headers.eq(serde_json::to_string(&saved.headers)?),
                t::body.eq(&saved.body),
                t::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        Ok(())
    }

    /// Forgets the answers that created `path` or anything under it.
    pub(crate) async fn forget(c: &mut Conn, ws: Uuid, path: &str) -> Result<usize, StoreError> {
        let under = format!("{}/%", like_escaped(path));
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::location.eq(path).or(t::request_path.like(under).escape('\\'))),
        )
        .execute(c)
        .await?;
        Ok(n)
    }

    pub(crate) async fn purge(c: &mut Conn, before: i64) -> Result<usize, StoreError> {
        Ok(diesel::delete(t::table.filter(t::created_at.lt(before))).execute(c).await?)
    }
}

impl Store {
    pub async fn saved_response(
        &self,
        ws: Uuid,
        key: &str,
    ) -> Result<Option<SavedResponse>, StoreError> {
        run_read!(self, get(ws, key))
    }

    /// Keeps the first answer; a concurrent second save of the same key is ignored.
    pub async fn save_response(
        &self,
        ws: Uuid,
        key: &str,
        saved: &SavedResponse,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        run_write!(self, put(ws, key, saved, to_micros(now)))
    }

    /// Forgets the answers whose record at `path` (or under it) was deleted,
    /// so a repeat creates anew instead of pointing at nothing.
    pub async fn forget_saved_responses(&self, ws: Uuid, path: &str) -> Result<usize, StoreError> {
        run_write!(self, forget(ws, path))
    }

    /// Forgets answers older than `before`.
    pub async fn purge_saved_responses(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        run_write!(self, purge(to_micros(before)))
    }
}
