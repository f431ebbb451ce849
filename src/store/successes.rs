//! Captured successes, stored whole as JSON documents; the account, plan,
//! objective and date they filter and count on are columns beside it.

use chrono::NaiveDate;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::successes as t;
use super::tx::in_tx;
use super::{
    Page, Store, StoreError, Tx, from_micros, of_accounts_in, parse_id, run_read, to_micros,
};
use crate::domain::filter::SuccessFilter;
use crate::domain::success::Success;

/// (plan_id, objective_id, version, updated_at, document): detaching changes
/// the columns, so they, not the document, say where the success stands.
type Row = (Option<String>, Option<String>, i64, i64, String);

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn decode((plan_id, objective_id, version, updated_at, doc): Row) -> Result<Success, StoreError> {
    let mut s: Success = serde_json::from_str(&doc)?;
    s.version = version;
    s.updated_at = from_micros(updated_at);
    s.fields.plan_id = plan_id.as_deref().map(parse_id).transpose()?;
    s.fields.objective_id = objective_id.as_deref().map(parse_id).transpose()?;
    Ok(s)
}

super::for_each_backend! {
    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, x: &Success) -> Result<(), StoreError> {
        diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(ws.to_string()),
                t::id.eq(x.id.to_string()),
                t::account_id.eq(x.account_id.to_string()),
                t::plan_id.eq(x.fields.plan_id.map(|i| i.to_string())),
                t::objective_id.eq(x.fields.objective_id.map(|i| i.to_string())),
                t::achieved_on.eq(date(x.fields.achieved_on)),
                t::document.eq(serde_json::to_string(x)?),
                t::version.eq(x.version),
                t::created_at.eq(to_micros(x.created_at)),
                t::updated_at.eq(to_micros(x.updated_at)),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn get(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<Row>, StoreError> {
        Ok(t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::id.eq(id.to_string()))
            .select((t::plan_id, t::objective_id, t::version, t::updated_at, t::document))
            .first(c)
            .await
            .optional()?)
    }

    pub(crate) async fn list(c: &mut Conn, ws: Uuid, f: &SuccessFilter, page: Page) -> Result<Vec<Row>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .select((t::plan_id, t::objective_id, t::version, t::updated_at, t::document))
            .into_boxed();
        if let Some(a) = f.account_id {
            q = q.filter(t::account_id.eq(a.to_string()));
        }
        let mut q = of_accounts_in!(q, t::account_id, ws.to_string(), &f.accounts);
        if let Some(d) = f.achieved_from {
            q = q.filter(t::achieved_on.ge(date(d)));
        }
        if let Some(d) = f.achieved_before {
            q = q.filter(t::achieved_on.lt(date(d)));
        }
        if let Some(v) = f.updated_since {
            q = q.filter(t::updated_at.gt(to_micros(v)));
        }
        if let Some(after) = page.after {
            q = q.filter(t::id.gt(after.to_string()));
        }
        Ok(q
            .order_by(t::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?)
    }

    pub(crate) async fn update(c: &mut Conn, ws: Uuid, x: &Success, expected_version: i64) -> Result<bool, StoreError> {
        let n = diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::id.eq(x.id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .set((
            t::plan_id.eq(x.fields.plan_id.map(|i| i.to_string())),
            t::objective_id.eq(x.fields.objective_id.map(|i| i.to_string())),
            t::achieved_on.eq(date(x.fields.achieved_on)),
            t::document.eq(serde_json::to_string(x)?),
            t::version.eq(x.version),
            t::updated_at.eq(to_micros(x.updated_at)),
        ))
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    pub(crate) async fn delete(c: &mut Conn, ws: Uuid, id: Uuid, expected_version: i64) -> Result<bool, StoreError> {
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::id.eq(id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .execute(c)
        .await?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn success(&self, ws: Uuid, id: Uuid) -> Result<Option<Success>, StoreError> {
        let row: Option<Row> = run_read!(self, get(ws, id))?;
        row.map(decode).transpose()
    }

    /// A page of successes in id order.
    pub async fn successes(
        &self,
        ws: Uuid,
        filter: &SuccessFilter,
        page: Page,
    ) -> Result<Vec<Success>, StoreError> {
        let rows: Vec<Row> = run_read!(self, list(ws, filter, page))?;
        rows.into_iter().map(decode).collect()
    }
}

impl Tx {
    pub async fn success(&mut self, id: Uuid) -> Result<Option<Success>, StoreError> {
        let row: Option<Row> = in_tx!(self, get(id))?;
        row.map(decode).transpose()
    }

    pub async fn insert_success(&mut self, s: &Success) -> Result<(), StoreError> {
        in_tx!(self, insert(s))
    }

    pub async fn update_success(
        &mut self,
        s: &Success,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, update(s, expected_version))
    }

    pub async fn delete_success(
        &mut self,
        id: Uuid,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, delete(id, expected_version))
    }
}
