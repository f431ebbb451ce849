//! Share links of customer QBRs: kept by the hash of their token; an open
//! counts in one `UPDATE`, so opens at once all count.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::qbr_links as l;
use super::tx::in_tx;
use super::{Page, Store, StoreError, Tx, from_micros, parse_id, run_read, run_write, to_micros};
use crate::domain::qbr_link::QbrLink;

#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = l)]
struct LinkRow {
    workspace_id: String,
    id: String,
    account_id: String,
    metric_set: String,
    token_hash: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    last_opened_at: Option<i64>,
    open_count: i64,
}

impl LinkRow {
    fn new(ws: Uuid, link: &QbrLink, hash: &str) -> Self {
        Self {
            workspace_id: ws.to_string(),
            id: link.id.to_string(),
            account_id: link.account_id.to_string(),
            metric_set: link.metric_set.clone(),
            token_hash: hash.to_owned(),
            created_at: to_micros(link.created_at),
            expires_at: to_micros(link.expires_at),
            revoked_at: link.revoked_at.map(to_micros),
            last_opened_at: link.last_opened_at.map(to_micros),
            open_count: link.open_count,
        }
    }

    fn into_link(self) -> Result<QbrLink, StoreError> {
        Ok(QbrLink {
            id: parse_id(&self.id)?,
            account_id: parse_id(&self.account_id)?,
            metric_set: self.metric_set,
            created_at: from_micros(self.created_at),
            expires_at: from_micros(self.expires_at),
            revoked_at: self.revoked_at.map(from_micros),
            last_opened_at: self.last_opened_at.map(from_micros),
            open_count: self.open_count,
        })
    }
}

super::for_each_backend! {
    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, link: &QbrLink, hash: &str) -> Result<(), StoreError> {
        diesel::insert_into(l::table).values(LinkRow::new(ws, link, hash)).execute(c).await?;
        Ok(())
    }

    pub(crate) async fn of_account(c: &mut Conn, ws: Uuid, account: Uuid, page: Page) -> Result<Vec<QbrLink>, StoreError> {
        let mut q = l::table
            .filter(l::workspace_id.eq(ws.to_string()))
            .filter(l::account_id.eq(account.to_string()))
            .select(LinkRow::as_select())
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(l::id.gt(after.to_string()));
        }
        let rows: Vec<LinkRow> = q
            .order_by(l::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        rows.into_iter().map(LinkRow::into_link).collect()
    }

    pub(crate) async fn one(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<QbrLink>, StoreError> {
        let row: Option<LinkRow> = l::table
            .filter(l::workspace_id.eq(ws.to_string()))
            .filter(l::id.eq(id.to_string()))
            .select(LinkRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(LinkRow::into_link).transpose()
    }

    pub(crate) async fn revoke(c: &mut Conn, ws: Uuid, id: Uuid, now: i64) -> Result<(), StoreError> {
        diesel::update(
            l::table
                .filter(l::workspace_id.eq(ws.to_string()))
                .filter(l::id.eq(id.to_string()))
                .filter(l::revoked_at.is_null()),
        )
        .set(l::revoked_at.eq(now))
        .execute(c)
        .await?;
        Ok(())
    }

    /// Counts an open of the live link with this hash; its workspace and
    /// the link as counted, or `None` when no live link has it.
    pub(crate) async fn open(c: &mut Conn, hash: &str, now: i64) -> Result<Option<(Uuid, QbrLink)>, StoreError> {
        let counted = diesel::update(
            l::table
                .filter(l::token_hash.eq(hash))
                .filter(l::revoked_at.is_null())
                .filter(l::expires_at.gt(now)),
        )
        .set((l::open_count.eq(l::open_count + 1), l::last_opened_at.eq(now)))
        .execute(c)
        .await?;
        if counted == 0 {
            return Ok(None);
        }
        let row: LinkRow = l::table.filter(l::token_hash.eq(hash)).select(LinkRow::as_select()).first(c).await?;
        Ok(Some((parse_id(&row.workspace_id)?, row.into_link()?)))
    }
}

impl Store {
    pub async fn qbr_links(
        &self,
        ws: Uuid,
        account: Uuid,
        page: Page,
    ) -> Result<Vec<QbrLink>, StoreError> {
        run_read!(self, of_account(ws, account, page))
    }

    /// Counts an open of the live link whose token hashes to `hash`.
    pub async fn open_qbr_link(
        &self,
        hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(Uuid, QbrLink)>, StoreError> {
        run_write!(self, open(hash, to_micros(now)))
    }
}

impl Tx {
    pub async fn insert_qbr_link(&mut self, link: &QbrLink, hash: &str) -> Result<(), StoreError> {
        in_tx!(self, insert(link, hash))
    }

    pub async fn qbr_link(&mut self, id: Uuid) -> Result<Option<QbrLink>, StoreError> {
        in_tx!(self, one(id))
    }

    /// Revokes a link; revoking twice is harmless.
    pub async fn revoke_qbr_link(
        &mut self,
        id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, revoke(id, to_micros(now)))
    }
}
