//! Custom prioritisation policies, stored whole (as JSON) by key.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::prioritization_policies as t;
use super::{Store, StoreError, run_read, run_write, to_micros};
use crate::domain::prioritization::Policy;

super::for_each_backend! {
    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, p: &Policy, now: i64) -> Result<(), StoreError> {
        diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(ws.to_string()),
                t::key.eq(&p.key),
                t::definition.eq(serde_json::to_string(p)?),
                t::created_at.eq(now),
                t::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn update(c: &mut Conn, ws: Uuid, p: &Policy, now: i64) -> Result<bool, StoreError> {
        let n = diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::key.eq(&p.key)),
        )
        .set((t::definition.eq(serde_json::to_string(p)?), t::updated_at.eq(now)))
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    pub(crate) async fn delete(c: &mut Conn, ws: Uuid, key: &str) -> Result<bool, StoreError> {
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::key.eq(key)),
        )
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    pub(crate) async fn get(c: &mut Conn, ws: Uuid, key: &str) -> Result<Option<Policy>, StoreError> {
        let row: Option<String> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::key.eq(key))
            .select(t::definition)
            .first(c)
            .await
            .optional()?;
        Ok(row.map(|d| serde_json::from_str(&d)).transpose()?)
    }

    pub(crate) async fn list(c: &mut Conn, ws: Uuid) -> Result<Vec<Policy>, StoreError> {
        let rows: Vec<String> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .order_by(t::key)
            .select(t::definition)
            .load(c)
            .await?;
        Ok(rows.iter().map(|d| serde_json::from_str(d)).collect::<Result<_, _>>()?)
    }
}

impl Store {
    /// Stores a new policy; a key in use is a conflict.
    pub async fn insert_policy(
        &self,
        ws: Uuid,
        p: &Policy,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        run_write!(self, insert(ws, p, to_micros(now)))
    }

    /// `false` when no policy has that key.
    pub async fn update_policy(
        &self,
        ws: Uuid,
        p: &Policy,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        run_write!(self, update(ws, p, to_micros(now)))
    }

    pub async fn delete_policy(&self, ws: Uuid, key: &str) -> Result<bool, StoreError> {
        run_write!(self, delete(ws, key))
    }

    pub async fn policy(&self, ws: Uuid, key: &str) -> Result<Option<Policy>, StoreError> {
        run_read!(self, get(ws, key))
    }

    pub async fn policies(&self, ws: Uuid) -> Result<Vec<Policy>, StoreError> {
        run_read!(self, list(ws))
    }
}
