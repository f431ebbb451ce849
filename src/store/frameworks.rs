//! Custom frameworks, stored whole (as JSON) per version.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::frameworks as t;
use super::tx::in_tx;
use super::{Store, StoreError, Tx, run_read, to_micros};
use crate::domain::framework::Framework;

/// A stored framework version.
#[derive(Debug, Clone)]
pub struct StoredFramework {
    pub framework: Framework,
    pub version: i32,
}

fn parse(version: i32, definition: &str) -> Result<StoredFramework, StoreError> {
    Ok(StoredFramework {
        framework: serde_json::from_str(definition)?,
        version,
    })
}

super::for_each_backend! {
    pub(crate) async fn insert(
        c: &mut Conn,
        ws: Uuid,
        f: &Framework,
        version: i32,
        now: i64,
    ) -> Result<(), StoreError> {
        diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(ws.to_string()),
                t::key.eq(&f.key),
                t::version.eq(version),
                t::definition.eq(serde_json::to_string(f)?),
                t::created_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn get(
        c: &mut Conn,
        ws: Uuid,
        key: &str,
        version: Option<i32>,
    ) -> Result<Option<StoredFramework>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::key.eq(key))
            .select((t::version, t::definition))
            .into_boxed();
        if let Some(v) = version {
            q = q.filter(t::version.eq(v));
        }
        let row: Option<(i32, String)> = q.order_by(t::version.desc()).first(c).await.optional()?;
        row.map(|(v, d)| parse(v, &d)).transpose()
    }

    /// The latest version of every custom framework, by key.
    pub(crate) async fn latest(c: &mut Conn, ws: Uuid) -> Result<Vec<StoredFramework>, StoreError> {
        let rows: Vec<(String, i32, String)> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .select((t::key, t::version, t::definition))
            .order_by((t::key, t::version.desc()))
            .load(c)
            .await?;
        let mut out: Vec<StoredFramework> = Vec::new();
        let mut last_key: Option<String> = None;
        for (key, v, d) in rows {
            if last_key.as_deref() != Some(key.as_str()) {
                out.push(parse(v, &d)?);
                last_key = Some(key);
            }
        }
        Ok(out)
    }
}

impl Store {
    /// A custom framework at `version`, or at its latest when `None`.
    pub async fn framework(
        &self,
        ws: Uuid,
        key: &str,
        version: Option<i32>,
    ) -> Result<Option<StoredFramework>, StoreError> {
        run_read!(self, get(ws, key, version))
    }

    pub async fn latest_frameworks(&self, ws: Uuid) -> Result<Vec<StoredFramework>, StoreError> {
        run_read!(self, latest(ws))
    }
}

impl Tx {
    /// The latest version of a custom framework.
    pub async fn framework(&mut self, key: &str) -> Result<Option<StoredFramework>, StoreError> {
        in_tx!(self, get(key, None))
    }

    /// Stores version `version` of `f`; a version that exists is a conflict.
    pub async fn insert_framework(
        &mut self,
        f: &Framework,
        version: i32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, insert(f, version, to_micros(now)))
    }
}
