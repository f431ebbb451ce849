//! A workspace's own definitions, stored whole (as JSON) by kind and key:
//! prioritisation policies, metric definitions and metric sets. Each is
//! read and replaced as one document, so one table and one set of queries
//! serve them all.

use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::schema::definitions as t;
use super::tx::in_tx;
use super::{Store, StoreError, Tx, run_read, to_micros};

/// Which kind of definition a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PrioritizationPolicy,
    Metric,
    MetricSet,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::PrioritizationPolicy => "prioritization_policy",
            Kind::Metric => "metric",
            Kind::MetricSet => "metric_set",
        }
    }
}

/// A stored definition with its version (its ETag).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub definition: T,
    pub version: i64,
}

/// (document, version).
type Row = (String, i64);

fn decode<T: DeserializeOwned>((json, version): Row) -> Result<Versioned<T>, StoreError> {
    Ok(Versioned {
        definition: serde_json::from_str(&json)?,
        version,
    })
}

super::for_each_backend! {
    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, kind: Kind, key: &str, json: String, now: i64) -> Result<(), StoreError> {
        diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(ws.to_string()),
                t::kind.eq(kind.as_str()),
                t::key.eq(key),
                t::definition.eq(json),
                t::created_at.eq(now),
                t::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn update(c: &mut Conn, ws: Uuid, kind: Kind, key: &str, json: String, expected_version: i64, now: i64) -> Result<bool, StoreError> {
        let n = diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::kind.eq(kind.as_str()))
                .filter(t::key.eq(key))
                .filter(t::version.eq(expected_version)),
        )
        .set((t::definition.eq(json), t::updated_at.eq(now), t::version.eq(expected_version + 1)))
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    /// Locks the rows of `keys` until the transaction ends; returns how many exist.
    pub(crate) async fn lock(c: &mut Conn, ws: Uuid, kind: Kind, keys: &[String]) -> Result<usize, StoreError> {
        Ok(diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::kind.eq(kind.as_str()))
                .filter(t::key.eq_any(keys)),
        )
        .set(t::updated_at.eq(t::updated_at))
        .execute(c)
        .await?)
    }

    pub(crate) async fn delete(c: &mut Conn, ws: Uuid, kind: Kind, key: &str, expected_version: i64) -> Result<bool, StoreError> {
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::kind.eq(kind.as_str()))
                .filter(t::key.eq(key))
                .filter(t::version.eq(expected_version)),
        )
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    pub(crate) async fn get(c: &mut Conn, ws: Uuid, kind: Kind, key: &str) -> Result<Option<Row>, StoreError> {
        Ok(t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::kind.eq(kind.as_str()))
            .filter(t::key.eq(key))
            .select((t::definition, t::version))
            .first(c)
            .await
            .optional()?)
    }

    pub(crate) async fn list(c: &mut Conn, ws: Uuid, kind: Kind) -> Result<Vec<Row>, StoreError> {
        Ok(t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::kind.eq(kind.as_str()))
            .order_by(t::key)
            .select((t::definition, t::version))
            .load(c)
            .await?)
    }
}

impl Store {
    pub async fn definition<T: DeserializeOwned>(
        &self,
        ws: Uuid,
        kind: Kind,
        key: &str,
    ) -> Result<Option<Versioned<T>>, StoreError> {
        let row: Option<Row> = run_read!(self, get(ws, kind, key))?;
        row.map(decode).transpose()
    }

    /// Every definition of a kind, by key.
    pub async fn definitions<T: DeserializeOwned>(
        &self,
        ws: Uuid,
        kind: Kind,
    ) -> Result<Vec<Versioned<T>>, StoreError> {
        let rows: Vec<Row> = run_read!(self, list(ws, kind))?;
        rows.into_iter().map(decode).collect()
    }
}

impl Tx {
    /// Locks the custom definitions `keys` of `kind` until commit, so none is
    /// deleted or replaced while this unit of work relies on it; returns
    /// how many of them exist.
    pub async fn lock_definitions(
        &mut self,
        kind: Kind,
        keys: &[String],
    ) -> Result<usize, StoreError> {
        in_tx!(self, lock(kind, keys))
    }

    pub async fn definition<T: DeserializeOwned>(
        &mut self,
        kind: Kind,
        key: &str,
    ) -> Result<Option<Versioned<T>>, StoreError> {
        let row: Option<Row> = in_tx!(self, get(kind, key))?;
        row.map(decode).transpose()
    }

    pub async fn definitions<T: DeserializeOwned>(
        &mut self,
        kind: Kind,
    ) -> Result<Vec<Versioned<T>>, StoreError> {
        let rows: Vec<Row> = in_tx!(self, list(kind))?;
        rows.into_iter().map(decode).collect()
    }

    /// Stores a new definition at version 1; a key in use for its kind is a conflict.
    pub async fn insert_definition(
        &mut self,
        kind: Kind,
        key: &str,
        definition: &impl Serialize,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(definition)?;
        in_tx!(self, insert(kind, key, json, to_micros(now)))
    }

    /// Writes the next version; `false` when the definition is not at `expected_version`.
    pub async fn update_definition(
        &mut self,
        kind: Kind,
        key: &str,
        definition: &impl Serialize,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(definition)?;
        in_tx!(
            self,
            update(kind, key, json, expected_version, to_micros(now))
        )
    }

    /// `false` when the definition is not at `expected_version`.
    pub async fn delete_definition(
        &mut self,
        kind: Kind,
        key: &str,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, delete(kind, key, expected_version))
    }
}
