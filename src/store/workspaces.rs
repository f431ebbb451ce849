//! Workspaces (tenants) and the keys that open them.

use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::{api_keys as k, workspaces as t};
use super::tx::in_tx;
use super::{Page, Store, StoreError, Tx, from_micros, parse_id, run_read, to_micros};
use crate::domain::{ApiKey, Principal, Reach, Role};

/// A workspace's settings as stored.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct StoredSettings {
    pub fiscal_year_start_month: i32,
    pub rate_limit: Option<String>,
    pub version: i64,
    pub time_zone: String,
    /// The influence weights as JSON; none for the built-in.
    pub influence: Option<String>,
    pub renewal_window_days: i32,
}

/// How a workspace reads its numbers, as stored.
#[derive(Debug, Clone, diesel::Queryable)]
pub struct StoredReading {
    pub fiscal_year_start_month: i32,
    pub time_zone: String,
    /// The influence weights as JSON; none for the built-in.
    pub influence: Option<String>,
    pub renewal_window_days: i32,
}

#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = k)]
struct KeyRow {
    workspace_id: String,
    id: String,
    name: String,
    role: String,
    key_hash: String,
    prefix: String,
    created_at: i64,
    revoked_at: Option<i64>,
    account_ids: Option<String>,
}

impl KeyRow {
    fn new(ws: Uuid, key: &ApiKey, hash: &str) -> Self {
        Self {
            workspace_id: ws.to_string(),
            id: key.id.to_string(),
            name: key.name.clone(),
            role: key.role.as_str().to_owned(),
            key_hash: hash.to_owned(),
            prefix: key.prefix.clone(),
            created_at: to_micros(key.created_at),
            revoked_at: key.revoked_at.map(to_micros),
            account_ids: key
                .reach
                .accounts()
                .map(|ids| serde_json::to_string(&**ids).unwrap_or_else(|_| "[]".to_owned())),
        }
    }

    /// The accounts the key reaches, as stored.
    fn reach(&self) -> Result<Reach, StoreError> {
        let Some(text) = &self.account_ids else {
            return Ok(Reach::Workspace);
        };
        let ids: Vec<Uuid> = serde_json::from_str(text).map_err(|e| {
            StoreError::Internal(format!("stored key {}: bad account_ids: {e}", self.id))
        })?;
        Ok(Reach::Accounts(ids.into()))
    }

    fn role(&self) -> Result<Role, StoreError> {
        self.role
            .parse()
            .map_err(|()| StoreError::Internal(format!("stored key {}: bad role", self.id)))
    }

    fn into_key(self) -> Result<ApiKey, StoreError> {
        Ok(ApiKey {
            id: parse_id(&self.id)?,
            role: self.role()?,
            reach: self.reach()?,
            name: self.name,
            prefix: self.prefix,
            created_at: from_micros(self.created_at),
            revoked_at: self.revoked_at.map(from_micros),
        })
    }
}

super::for_each_backend! {
    pub(crate) async fn count(c: &mut Conn) -> Result<i64, StoreError> {
        Ok(t::table.count().get_result(c).await?)
    }

    pub(crate) async fn create(
        c: &mut Conn,
        id: Uuid,
        name: &str,
        now: i64,
        admin: &ApiKey,
        hash: &str,
    ) -> Result<(), StoreError> {
        diesel::insert_into(t::table)
            .values((t::id.eq(id.to_string()), t::name.eq(name), t::created_at.eq(now)))
            .execute(c)
            .await?;
        diesel::insert_into(k::table).values(KeyRow::new(id, admin, hash)).execute(c).await?;
        Ok(())
    }

    pub(crate) async fn reading(c: &mut Conn, ws: Uuid) -> Result<StoredReading, StoreError> {
        Ok(t::table.filter(t::id.eq(ws.to_string())).select((t::fiscal_year_start_month, t::time_zone, t::influence, t::renewal_window_days)).first(c).await?)
    }

    pub(crate) async fn settings(c: &mut Conn, ws: Uuid) -> Result<StoredSettings, StoreError> {
        Ok(t::table.filter(t::id.eq(ws.to_string())).select((t::fiscal_year_start_month, t::rate_limit, t::version, t::time_zone, t::influence, t::renewal_window_days)).first(c).await?)
    }

    pub(crate) async fn set_settings(c: &mut Conn, ws: Uuid, settings: StoredSettings, expected_version: i64) -> Result<bool, StoreError> {
        let s = settings;
        let n = diesel::update(t::table.filter(t::id.eq(ws.to_string())).filter(t::version.eq(expected_version)))
            .set((
                t::fiscal_year_start_month.eq(s.fiscal_year_start_month),
                t::rate_limit.eq(s.rate_limit),
                t::time_zone.eq(s.time_zone),
                t::influence.eq(s.influence),
                t::renewal_window_days.eq(s.renewal_window_days),
                t::version.eq(expected_version + 1),
            ))
            .execute(c)
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn find(c: &mut Conn, name: &str) -> Result<Option<Uuid>, StoreError> {
        let id: Option<String> = t::table.filter(t::name.eq(name)).select(t::id).first(c).await.optional()?;
        id.as_deref().map(parse_id).transpose()
    }

    pub(crate) async fn insert_key(c: &mut Conn, ws: Uuid, key: &ApiKey, hash: &str) -> Result<(), StoreError> {
        diesel::insert_into(k::table).values(KeyRow::new(ws, key, hash)).execute(c).await?;
        Ok(())
    }

    /// The key's principal, with its workspace's own rate limit (one query).
    pub(crate) async fn owner(c: &mut Conn, hash: &str) -> Result<Option<Principal>, StoreError> {
        let row: Option<(KeyRow, Option<String>, String)> = k::table
            .inner_join(t::table.on(t::id.eq(k::workspace_id)))
            .filter(k::key_hash.eq(hash))
            .filter(k::revoked_at.is_null())
            .select((KeyRow::as_select(), t::rate_limit, t::time_zone))
            .first(c)
            .await
            .optional()?;
        row.map(|(r, limit, zone)| {
            Ok(Principal {
                workspace_id: parse_id(&r.workspace_id)?,
                key_id: parse_id(&r.id)?,
                role: r.role()?,
                reach: r.reach()?,
                workspace_rate_limit: limit.and_then(|l| l.parse().ok()),
                zone: zone.parse().unwrap_or_default(),
            })
        })
        .transpose()
    }

    pub(crate) async fn hash_known(c: &mut Conn, hash: &str) -> Result<bool, StoreError> {
        let n: i64 = k::table.filter(k::key_hash.eq(hash)).count().get_result(c).await?;
        Ok(n > 0)
    }

    pub(crate) async fn key(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        let row: Option<KeyRow> = k::table
            .filter(k::workspace_id.eq(ws.to_string()))
            .filter(k::id.eq(id.to_string()))
            .select(KeyRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(KeyRow::into_key).transpose()
    }

    pub(crate) async fn live_admins(c: &mut Conn, ws: Uuid) -> Result<i64, StoreError> {
        Ok(k::table
            .filter(k::workspace_id.eq(ws.to_string()))
            .filter(k::role.eq(Role::Admin.as_str()))
            .filter(k::revoked_at.is_null())
            .count()
            .get_result(c)
            .await?)
    }

    pub(crate) async fn keys(c: &mut Conn, ws: Uuid, page: Page) -> Result<Vec<ApiKey>, StoreError> {
        let mut q = k::table
            .filter(k::workspace_id.eq(ws.to_string()))
            .select(KeyRow::as_select())
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(k::id.gt(after.to_string()));
        }
        let rows: Vec<KeyRow> = q
            .order_by(k::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        rows.into_iter().map(KeyRow::into_key).collect()
    }

    pub(crate) async fn revoke(c: &mut Conn, ws: Uuid, id: Uuid, now: i64) -> Result<bool, StoreError> {
        let exists: i64 = k::table
            .filter(k::workspace_id.eq(ws.to_string()))
            .filter(k::id.eq(id.to_string()))
            .count()
            .get_result(c)
            .await?;
        diesel::update(
            k::table
                .filter(k::workspace_id.eq(ws.to_string()))
                .filter(k::id.eq(id.to_string()))
                .filter(k::revoked_at.is_null()),
        )
        .set(k::revoked_at.eq(now))
        .execute(c)
        .await?;
        Ok(exists == 1)
    }
}

impl Store {
    /// What reads of the workspace's numbers follow: its calendar, influence weights and renewal window.
    pub async fn reading(&self, ws: Uuid) -> Result<StoredReading, StoreError> {
        run_read!(self, reading(ws))
    }

    /// The workspace's settings.
    pub async fn workspace_settings(&self, ws: Uuid) -> Result<StoredSettings, StoreError> {
        run_read!(self, settings(ws))
    }

    pub async fn workspace_count(&self) -> Result<i64, StoreError> {
        run_read!(self, count())
    }

    /// The id of the workspace called `name`.
    pub async fn workspace_named(&self, name: &str) -> Result<Option<Uuid>, StoreError> {
        run_read!(self, find(name))
    }

    /// The live (unrevoked) key with this hash.
    pub async fn key_owner(&self, key_hash: &str) -> Result<Option<Principal>, StoreError> {
        run_read!(self, owner(key_hash))
    }

    /// Whether any key, revoked or not, has this hash.
    pub async fn key_hash_known(&self, key_hash: &str) -> Result<bool, StoreError> {
        run_read!(self, hash_known(key_hash))
    }

    pub async fn api_keys(&self, ws: Uuid, page: Page) -> Result<Vec<ApiKey>, StoreError> {
        run_read!(self, keys(ws, page))
    }
}

impl Tx {
    pub async fn api_key(&mut self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        in_tx!(self, key(id))
    }

    /// How many unrevoked admin keys the workspace has.
    pub async fn live_admin_keys(&mut self) -> Result<i64, StoreError> {
        in_tx!(self, live_admins())
    }

    /// The workspace's settings.
    pub async fn workspace_settings(&mut self) -> Result<StoredSettings, StoreError> {
        in_tx!(self, settings())
    }

    /// Writes every setting; `false` when they are not at `expected_version`.
    pub async fn set_workspace_settings(
        &mut self,
        settings: StoredSettings,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, set_settings(settings, expected_version))
    }

    /// Creates the transaction's workspace together with its first admin key.
    pub async fn create_workspace(
        &mut self,
        name: &str,
        created_at: chrono::DateTime<chrono::Utc>,
        admin: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError> {
        in_tx!(self, create(name, to_micros(created_at), admin, key_hash))
    }

    pub async fn insert_api_key(&mut self, key: &ApiKey, key_hash: &str) -> Result<(), StoreError> {
        in_tx!(self, insert_key(key, key_hash))
    }

    /// Revokes a key; `false` when the workspace has no such key. Revoking twice is harmless.
    pub async fn revoke_api_key(
        &mut self,
        id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        in_tx!(self, revoke(id, to_micros(now)))
    }
}
