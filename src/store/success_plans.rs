//! Success plans and their templates, each stored whole as a JSON document
//! (a plan is one aggregate), with the columns lists filter on beside it.
//! A plan's links to metrics are kept in `success_plan_metrics`, so that a
//! metric its KPIs read cannot be deleted from under it.

use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::schema::{
    success_plan_metrics as l, success_plan_templates as tt, success_plans as t, successes as s,
};
use super::tx::in_tx;
use super::{Page, Store, StoreError, Tx, of_accounts_in, run_read, same_text, to_micros};
use crate::domain::filter::PlanFilter;
use crate::domain::success_plan::{PlanTemplate, SuccessPlan};

fn limit(page: Page) -> i64 {
    i64::try_from(page.limit).unwrap_or(i64::MAX)
}

fn decode<T: serde::de::DeserializeOwned>(docs: Vec<String>) -> Result<Vec<T>, StoreError> {
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(StoreError::from))
        .collect()
}

super::for_each_backend! {
    async fn link_metrics(c: &mut Conn, ws: &str, plan: &SuccessPlan) -> Result<(), StoreError> {
        let id = plan.id.to_string();
        diesel::delete(l::table.filter(l::workspace_id.eq(ws)).filter(l::plan_id.eq(&id)))
            .execute(c)
            .await?;
        for m in plan.linked_metrics() {
            diesel::insert_into(l::table)
                .values((l::workspace_id.eq(ws), l::plan_id.eq(&id), l::metric.eq(m)))
                .execute(c)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn insert_plan(c: &mut Conn, ws: Uuid, plan: &SuccessPlan) -> Result<(), StoreError> {
        let ws = ws.to_string();
        let doc = serde_json::to_string(plan)?;
        diesel::insert_into(t::table)
            .values((
                t::workspace_id.eq(&ws),
                t::id.eq(plan.id.to_string()),
                t::account_id.eq(plan.account_id.to_string()),
                t::status.eq(plan.fields.status.as_str()),
                t::owner.eq(plan.fields.owner.as_deref()),
                t::document.eq(doc),
                t::version.eq(plan.version),
                t::created_at.eq(to_micros(plan.created_at)),
                t::updated_at.eq(to_micros(plan.updated_at)),
            ))
            .execute(c)
            .await?;
        link_metrics(c, &ws, plan).await
    }

    pub(crate) async fn lock_plan(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let n = diesel::update(t::table.filter(t::workspace_id.eq(ws.to_string())).filter(t::id.eq(id.to_string())))
            .set(t::version.eq(t::version))
            .execute(c)
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn get_plan(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::id.eq(id.to_string()))
            .select(t::document)
            .first(c)
            .await
            .optional()?)
    }

    pub(crate) async fn list_plans(c: &mut Conn, ws: Uuid, f: &PlanFilter, page: Page) -> Result<Vec<String>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .select(t::document)
            .into_boxed();
        if let Some(a) = f.account_id {
            q = q.filter(t::account_id.eq(a.to_string()));
        }
        if let Some(st) = f.status {
            q = q.filter(t::status.eq(st.as_str()));
        }
        let mut q = of_accounts_in!(q, t::account_id, ws.to_string(), &f.accounts);
        if let Some(o) = &f.owner {
            q = q.filter(same_text(t::owner, o));
        }
        if let Some(v) = f.updated_since {
            q = q.filter(t::updated_at.gt(to_micros(v)));
        }
        if let Some(after) = page.after {
            q = q.filter(t::id.gt(after.to_string()));
        }
        Ok(q.order_by(t::id).limit(limit(page)).load(c).await?)
    }

    pub(crate) async fn account_plans(c: &mut Conn, ws: Uuid, account_id: Uuid) -> Result<Vec<String>, StoreError> {
        Ok(t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::account_id.eq(account_id.to_string()))
            .order_by(t::id)
            .select(t::document)
            .load(c)
            .await?)
    }

    pub(crate) async fn update_plan(c: &mut Conn, ws: Uuid, plan: &SuccessPlan, expected_version: i64) -> Result<bool, StoreError> {
        let ws = ws.to_string();
        let doc = serde_json::to_string(plan)?;
        let n = diesel::update(
            t::table
                .filter(t::workspace_id.eq(&ws))
                .filter(t::id.eq(plan.id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .set((
            t::status.eq(plan.fields.status.as_str()),
            t::owner.eq(plan.fields.owner.as_deref()),
            t::document.eq(doc),
            t::version.eq(plan.version),
            t::updated_at.eq(to_micros(plan.updated_at)),
        ))
        .execute(c)
        .await?;
        if n == 1 {
            link_metrics(c, &ws, plan).await?;
        }
        Ok(n == 1)
    }

    /// Detaches the successes that prove the plan, or only one of its objectives.
    async fn detach_successes(c: &mut Conn, ws: &str, plan_id: Uuid, objective_id: Option<Uuid>, now: i64) -> Result<(), StoreError> {
        let of_plan = s::table
            .filter(s::workspace_id.eq(ws))
            .filter(s::plan_id.eq(plan_id.to_string()));
        let bump = (s::version.eq(s::version + 1), s::updated_at.eq(now));
        match objective_id {
            Some(o) => {
                diesel::update(of_plan.filter(s::objective_id.eq(o.to_string())))
                    .set((s::objective_id.eq(None::<String>), bump))
                    .execute(c)
                    .await?
            }
            None => {
                diesel::update(of_plan)
                    .set((s::plan_id.eq(None::<String>), s::objective_id.eq(None::<String>), bump))
                    .execute(c)
                    .await?
            }
        };
        Ok(())
    }

    /// Saves a plan without some objectives, detaching their successes.
    pub(crate) async fn update_plan_dropping(c: &mut Conn, ws: Uuid, plan: &SuccessPlan, expected_version: i64, dropped: Uuid) -> Result<bool, StoreError> {
        let saved = update_plan(c, ws, plan, expected_version).await?;
        if saved {
            detach_successes(c, &ws.to_string(), plan.id, Some(dropped), to_micros(plan.updated_at)).await?;
        }
        Ok(saved)
    }

    pub(crate) async fn delete_plan(c: &mut Conn, ws: Uuid, id: Uuid, expected_version: i64, now: i64) -> Result<bool, StoreError> {
        let ws = ws.to_string();
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(&ws))
                .filter(t::id.eq(id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .execute(c)
        .await?;
        if n == 1 {
            detach_successes(c, &ws, id, None, now).await?;
        }
        Ok(n == 1)
    }

    pub(crate) async fn plans_using_metric(c: &mut Conn, ws: Uuid, metric: &str) -> Result<Vec<String>, StoreError> {
        Ok(l::table
            .filter(l::workspace_id.eq(ws.to_string()))
            .filter(l::metric.eq(metric))
            .order_by(l::plan_id)
            .select(l::plan_id)
            .limit(10)
            .load(c)
            .await?)
    }

    pub(crate) async fn insert_template(c: &mut Conn, ws: Uuid, tpl: &PlanTemplate) -> Result<(), StoreError> {
        diesel::insert_into(tt::table)
            .values((
                tt::workspace_id.eq(ws.to_string()),
                tt::id.eq(tpl.id.to_string()),
                tt::document.eq(serde_json::to_string(tpl)?),
                tt::version.eq(tpl.version),
                tt::created_at.eq(to_micros(tpl.created_at)),
                tt::updated_at.eq(to_micros(tpl.updated_at)),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn get_template(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(tt::table
            .filter(tt::workspace_id.eq(ws.to_string()))
            .filter(tt::id.eq(id.to_string()))
            .select(tt::document)
            .first(c)
            .await
            .optional()?)
    }

    pub(crate) async fn list_templates(c: &mut Conn, ws: Uuid, updated_since: Option<DateTime<Utc>>, page: Page) -> Result<Vec<String>, StoreError> {
        let mut q = tt::table
            .filter(tt::workspace_id.eq(ws.to_string()))
            .select(tt::document)
            .into_boxed();
        if let Some(v) = updated_since {
            q = q.filter(tt::updated_at.gt(to_micros(v)));
        }
        if let Some(after) = page.after {
            q = q.filter(tt::id.gt(after.to_string()));
        }
        Ok(q.order_by(tt::id).limit(limit(page)).load(c).await?)
    }

    pub(crate) async fn update_template(c: &mut Conn, ws: Uuid, tpl: &PlanTemplate, expected_version: i64) -> Result<bool, StoreError> {
        let n = diesel::update(
            tt::table
                .filter(tt::workspace_id.eq(ws.to_string()))
                .filter(tt::id.eq(tpl.id.to_string()))
                .filter(tt::version.eq(expected_version)),
        )
        .set((
            tt::document.eq(serde_json::to_string(tpl)?),
            tt::version.eq(tpl.version),
            tt::updated_at.eq(to_micros(tpl.updated_at)),
        ))
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    pub(crate) async fn delete_template(c: &mut Conn, ws: Uuid, id: Uuid, expected_version: i64) -> Result<bool, StoreError> {
        let n = diesel::delete(
            tt::table
                .filter(tt::workspace_id.eq(ws.to_string()))
                .filter(tt::id.eq(id.to_string()))
                .filter(tt::version.eq(expected_version)),
        )
        .execute(c)
        .await?;
        Ok(n == 1)
    }
}

impl Store {
    pub async fn plan(&self, ws: Uuid, id: Uuid) -> Result<Option<SuccessPlan>, StoreError> {
        let doc: Option<String> = run_read!(self, get_plan(ws, id))?;
        Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
    }

    /// A page of plans in id order.
    pub async fn plans(
        &self,
        ws: Uuid,
        filter: &PlanFilter,
        page: Page,
    ) -> Result<Vec<SuccessPlan>, StoreError> {
        decode(run_read!(self, list_plans(ws, filter, page))?)
    }

    /// Every plan of an account, in id order.
    pub async fn account_plans(
        &self,
        ws: Uuid,
        account_id: Uuid,
    ) -> Result<Vec<SuccessPlan>, StoreError> {
        decode(run_read!(self, account_plans(ws, account_id))?)
    }

    /// Up to ten plans whose KPIs read `metric`.
    pub async fn plans_using_metric(
        &self,
        ws: Uuid,
        metric: &str,
    ) -> Result<Vec<String>, StoreError> {
        run_read!(self, plans_using_metric(ws, metric))
    }

    pub async fn template(&self, ws: Uuid, id: Uuid) -> Result<Option<PlanTemplate>, StoreError> {
        let doc: Option<String> = run_read!(self, get_template(ws, id))?;
        Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
    }

    pub async fn templates(
        &self,
        ws: Uuid,
        updated_since: Option<DateTime<Utc>>,
        page: Page,
    ) -> Result<Vec<PlanTemplate>, StoreError> {
        decode(run_read!(self, list_templates(ws, updated_since, page))?)
    }
}

impl Tx {
    /// Locks the plan until commit; `false` when there is no such plan.
    pub async fn lock_plan(&mut self, id: Uuid) -> Result<bool, StoreError> {
        in_tx!(self, lock_plan(id))
    }

    pub async fn plan(&mut self, id: Uuid) -> Result<Option<SuccessPlan>, StoreError> {
        let doc: Option<String> = in_tx!(self, get_plan(id))?;
        doc.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
    }

    pub async fn template(&mut self, id: Uuid) -> Result<Option<PlanTemplate>, StoreError> {
        let doc: Option<String> = in_tx!(self, get_template(id))?;
        doc.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
    }

    /// Up to ten plans whose KPIs read `metric`.
    pub async fn plans_using_metric(&mut self, metric: &str) -> Result<Vec<String>, StoreError> {
        in_tx!(self, plans_using_metric(metric))
    }

    pub async fn insert_plan(&mut self, plan: &SuccessPlan) -> Result<(), StoreError> {
        in_tx!(self, insert_plan(plan))
    }

    /// `false` when the plan is gone or no longer at `expected_version`.
    pub async fn update_plan(
        &mut self,
        plan: &SuccessPlan,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, update_plan(plan, expected_version))
    }

    /// Like [`Store::update_plan`], detaching the successes of the dropped objective.
    pub async fn update_plan_dropping(
        &mut self,
        plan: &SuccessPlan,
        expected_version: i64,
        dropped_objective: Uuid,
    ) -> Result<bool, StoreError> {
        in_tx!(
            self,
            update_plan_dropping(plan, expected_version, dropped_objective)
        )
    }

    /// Deletes a plan at `expected_version`; its successes stay, detached.
    pub async fn delete_plan(
        &mut self,
        id: Uuid,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        in_tx!(self, delete_plan(id, expected_version, to_micros(now)))
    }

    pub async fn insert_template(&mut self, tpl: &PlanTemplate) -> Result<(), StoreError> {
        in_tx!(self, insert_template(tpl))
    }

    pub async fn update_template(
        &mut self,
        tpl: &PlanTemplate,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, update_template(tpl, expected_version))
    }

    pub async fn delete_template(
        &mut self,
        id: Uuid,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, delete_template(id, expected_version))
    }
}
