//! Risks people raise against an account's renewal, open until resolved.

use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl,
    SelectableHelper,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::risks as r;
use super::tx::in_tx;
use super::{Page, Store, StoreError, Tx, from_micros, parse_id, run_read, to_micros};
use crate::domain::filter::{AccountScope, RiskStatus};
use crate::domain::risk::{Resolution, Risk};

#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = r)]
struct RiskRow {
    workspace_id: String,
    id: String,
    account_id: String,
    kind: String,
    reason: String,
    raised_at: i64,
    raised_by: String,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
    resolution: Option<String>,
    version: i64,
}

impl RiskRow {
    fn new(ws: Uuid, risk: &Risk) -> Self {
        let resolution = risk.resolution.as_ref();
        Self {
            workspace_id: ws.to_string(),
            id: risk.id.to_string(),
            account_id: risk.account_id.to_string(),
            kind: risk.kind.as_str().to_owned(),
            reason: risk.reason.clone(),
            raised_at: to_micros(risk.raised_at),
            raised_by: risk.raised_by.clone(),
            resolved_at: resolution.map(|x| to_micros(x.at)),
            resolved_by: resolution.map(|x| x.by.clone()),
            resolution: resolution.and_then(|x| x.note.clone()),
            version: risk.version,
        }
    }

    fn into_risk(self) -> Result<Risk, StoreError> {
        let kind = self
            .kind
            .parse()
            .map_err(|()| StoreError::Internal(format!("stored risk {}: bad kind", self.id)))?;
        let resolution = self.resolved_at.map(|at| Resolution {
            at: from_micros(at),
            by: self.resolved_by.unwrap_or_default(),
            note: self.resolution,
        });
        Ok(Risk {
            id: parse_id(&self.id)?,
            account_id: parse_id(&self.account_id)?,
            kind,
            reason: self.reason,
            raised_at: from_micros(self.raised_at),
            raised_by: self.raised_by,
            resolution,
            version: self.version,
        })
    }
}

super::for_each_backend! {
    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, risk: &Risk) -> Result<(), StoreError> {
        diesel::insert_into(r::table).values(RiskRow::new(ws, risk)).execute(c).await?;
        Ok(())
    }

    pub(crate) async fn of_account(c: &mut Conn, ws: Uuid, account: Uuid, status: RiskStatus, page: Page) -> Result<Vec<Risk>, StoreError> {
        let mut q = r::table
            .filter(r::workspace_id.eq(ws.to_string()))
            .filter(r::account_id.eq(account.to_string()))
            .select(RiskRow::as_select())
            .into_boxed();
        q = match status {
            RiskStatus::Open => q.filter(r::resolved_at.is_null()),
            RiskStatus::Resolved => q.filter(r::resolved_at.is_not_null()),
            RiskStatus::All => q,
        };
        if let Some(after) = page.after {
            q = q.filter(r::id.gt(after.to_string()));
        }
        let rows: Vec<RiskRow> = q
            .order_by(r::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        rows.into_iter().map(RiskRow::into_risk).collect()
    }

    /// The open risks of every account in scope, by account.
    pub(crate) async fn open_in_scope(c: &mut Conn, ws: Uuid, scope: &AccountScope) -> Result<Vec<Risk>, StoreError> {
        use crate::store::schema::accounts as a;
        let mut q = r::table
            .inner_join(a::table.on(a::workspace_id.eq(r::workspace_id).and(a::id.eq(r::account_id))))
            .filter(r::workspace_id.eq(ws.to_string()))
            .filter(r::resolved_at.is_null())
            .select(RiskRow::as_select())
            .into_boxed();
        q = crate::store::in_scope!(q, scope);
        let rows: Vec<RiskRow> = q.order_by(r::id).load(c).await?;
        rows.into_iter().map(RiskRow::into_risk).collect()
    }

    pub(crate) async fn one(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<Risk>, StoreError> {
        let row: Option<RiskRow> = r::table
            .filter(r::workspace_id.eq(ws.to_string()))
            .filter(r::id.eq(id.to_string()))
            .select(RiskRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(RiskRow::into_risk).transpose()
    }

    /// Writes a resolution over a risk still at `expected_version` and open;
    /// `false` when another write got there first.
    pub(crate) async fn resolve(c: &mut Conn, ws: Uuid, risk: &Risk, expected_version: i64) -> Result<bool, StoreError> {
        let row = RiskRow::new(ws, risk);
        let n = diesel::update(
            r::table
                .filter(r::workspace_id.eq(ws.to_string()))
                .filter(r::id.eq(risk.id.to_string()))
                .filter(r::version.eq(expected_version))
                .filter(r::resolved_at.is_null()),
        )
        .set((
            r::resolved_at.eq(row.resolved_at),
            r::resolved_by.eq(row.resolved_by),
            r::resolution.eq(row.resolution),
            r::version.eq(row.version),
        ))
        .execute(c)
        .await?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn risks(
        &self,
        ws: Uuid,
        account: Uuid,
        status: RiskStatus,
        page: Page,
    ) -> Result<Vec<Risk>, StoreError> {
        run_read!(self, of_account(ws, account, status, page))
    }

    pub async fn risk(&self, ws: Uuid, id: Uuid) -> Result<Option<Risk>, StoreError> {
        run_read!(self, one(ws, id))
    }

    /// Every open risk of the accounts in scope: one read for a whole book.
    pub async fn open_risks(
        &self,
        ws: Uuid,
        scope: &AccountScope,
    ) -> Result<Vec<Risk>, StoreError> {
        run_read!(self, open_in_scope(ws, scope))
    }
}

impl Tx {
    pub async fn insert_risk(&mut self, risk: &Risk) -> Result<(), StoreError> {
        in_tx!(self, insert(risk))
    }

    pub async fn risk(&mut self, id: Uuid) -> Result<Option<Risk>, StoreError> {
        in_tx!(self, one(id))
    }

    pub async fn resolve_risk(
        &mut self,
        risk: &Risk,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, resolve(risk, expected_version))
    }
}
