//! The book export: every account of a scope with what a BI tool or a CRM
//! loads beside it (its cell on each account matrix, its latest equation
//! results, its health on each metric set this quarter, its active plans'
//! progress), read a page of accounts at a time so that the whole book
//! never sits in memory.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::qbr::{Needs, quarter_period};
use super::success_plans::today;
use super::{App, AppError, AssessedPlan, Principal, now};
use crate::domain::filter::{AccountFilter, AccountScope, Accounts};
use crate::domain::framework::{Framework, Subject, is_key};
use crate::domain::metric::MetricDefinition;
use crate::domain::metric_set::{Health, MetricSet};
use crate::domain::qbr::{Classified, Period, set_health};
use crate::domain::quarter::Quarter;
use crate::domain::stakeholder::Influence;
use crate::domain::{Account, Invalid, Role};
use crate::store::Page;
use crate::store::assessments::AccountBrief;

/// Accounts read per page of an export.
pub const EXPORT_PAGE: usize = 500;

/// The most metric sets an export request names.
pub const MAX_EXPORTED_SETS: usize = 20;

/// What an export holds for every account, fixed before the first page so
/// that each row has the same columns.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    scope: AccountScope,
    /// The matrices that place accounts (not stakeholders), by key.
    pub matrices: Vec<String>,
    /// `(framework, equation)` of every equation over accounts.
    pub equations: Vec<(String, String)>,
    pub sets: Vec<MetricSet>,
    defs: HashMap<String, MetricDefinition>,
    /// What every page reads: the sets' records and the plans.
    needs: Needs,
    pub quarter: Quarter,
    period: Period,
    influence: Influence,
}

/// One account of an export.
#[derive(Debug, Clone)]
pub struct ExportedAccount {
    pub account: Account,
    pub quarter: Quarter,
    /// By matrix key: where the account sits now (matrices it never sat on
    /// are absent).
    pub cells: BTreeMap<String, Classified>,
    /// By `framework.equation`: the latest result and when.
    pub equations: BTreeMap<String, (DateTime<Utc>, f64)>,
    /// By set key: health this quarter and the metrics without data.
    pub health: BTreeMap<String, (Health, Vec<String>)>,
    /// Active plans with their progress today.
    pub plans: Vec<AssessedPlan>,
}

impl App {
    /// What an export of `scope` holds: every account matrix and equation,
    /// and the health of every metric set (or of those named: one unknown is
    /// not found, as for a QBR) this quarter.
    pub async fn export_plan(
        &self,
        p: &Principal,
        scope: AccountScope,
        set_keys: &[String],
    ) -> Result<ExportPlan, AppError> {
        p.require_within_reach(Role::Read)?;
        let scope = p.narrow(scope);
        if set_keys.len() > MAX_EXPORTED_SETS || !set_keys.iter().all(|k| is_key(k)) {
            let why = format!("must be up to {MAX_EXPORTED_SETS} metric set keys, comma-separated");
            return Err(Invalid::single("metric_sets", why).into());
        }
        let keys: Vec<String> = if set_keys.is_empty() {
            let all = self.metric_sets(p).await?;
            all.into_iter().map(|s| s.definition.key).collect()
        } else {
            set_keys.to_vec()
        };
        let mut sets = Vec::with_capacity(keys.len());
        for k in &keys {
            sets.push(self.catalogued::<MetricSet>(p, k).await?.definition);
        }
        let frameworks: Vec<Framework> = self
            .frameworks(p)
            .await?
            .into_iter()
            .map(|f| f.framework)
            .filter(|f| f.subject == Subject::Account)
            .collect();
        let defs = self.metrics_by_key(p).await?;
        let mut needs = Needs::of(
            sets.iter()
                .flat_map(|s| &s.metrics)
                .filter_map(|m| defs.get(&m.metric)),
        );
        needs.plans = true;
        let reading = self.reading(p).await?;
        let cal = reading.calendar;
        let quarter = cal.containing(now());
        Ok(ExportPlan {
            scope,
            matrices: frameworks
                .iter()
                .flat_map(|f| f.matrices.iter().map(|m| m.key.clone()))
                .collect(),
            equations: frameworks
                .iter()
                .flat_map(|f| f.equations.iter().map(|e| (f.key.clone(), e.key.clone())))
                .collect(),
            needs,
            sets,
            defs,
            quarter,
            period: quarter_period(cal, quarter),
            influence: reading.influence,
        })
    }

    /// The accounts of the export after `after` (from the start when
    /// `None`), a page of [`EXPORT_PAGE`]; an empty page ends the export.
    pub async fn export_page(
        &self,
        p: &Principal,
        plan: &ExportPlan,
        after: Option<Uuid>,
    ) -> Result<Vec<ExportedAccount>, AppError> {
        p.require_within_reach(Role::Read)?;
        let ws = p.workspace_id;
        let filter = AccountFilter {
            segment: plan.scope.segment.clone(),
            owner: plan.scope.owner.clone(),
            within: plan.scope.within.clone(),
            ..AccountFilter::default()
        };
        let page = Page {
            after,
            limit: EXPORT_PAGE,
        };
        let accounts = self.store.accounts(ws, &filter, page).await?;
        let Some(last) = accounts.last() else {
            return Ok(Vec::new());
        };
        let scope = plan.scope.page(after, last.id);
        let briefs = accounts.iter().map(AccountBrief::of).collect();
        let book = self
            .portfolio_records(
                p,
                briefs,
                &plan.needs,
                &scope,
                (plan.period, plan.influence),
            )
            .await?;
        let at = now();
        let matrices: Vec<&str> = plan.matrices.iter().map(String::as_str).collect();
        let mut cells: HashMap<Uuid, BTreeMap<String, Classified>> = HashMap::new();
        for (account, c) in self
            .store
            .classified_as_of(ws, &scope, &matrices, at)
            .await?
        {
            if c.subject_id == account {
                cells
                    .entry(account)
                    .or_default()
                    .insert(c.matrix.clone(), c);
            }
        }
        let mut equations: HashMap<Uuid, BTreeMap<String, (DateTime<Utc>, f64)>> = HashMap::new();
        for (framework, equation) in &plan.equations {
            let values = self
                .store
                .equation_values(ws, Accounts::InScope(&scope), framework, equation, at)
                .await?;
            for (account, t, v) in values {
                let key = format!("{framework}.{equation}");
                let latest = equations.entry(account).or_default().entry(key);
                let latest = latest.or_insert((t, v));
                if t > latest.0 {
                    *latest = (t, v);
                }
            }
        }
        let day = today(p.zone);
        let rows = accounts
            .into_iter()
            .zip(book.records)
            .map(|(account, record)| ExportedAccount {
                quarter: plan.quarter,
                cells: cells.remove(&account.id).unwrap_or_default(),
                equations: equations.remove(&account.id).unwrap_or_default(),
                health: plan
                    .sets
                    .iter()
                    .map(|set| {
                        let (health, missing) = set_health(set, &plan.defs, &record, plan.period);
                        let missing = missing.into_iter().map(str::to_owned).collect();
                        (set.key.clone(), (health, missing))
                    })
                    .collect(),
                plans: record
                    .plans
                    .iter()
                    .map(|plan| {
                        AssessedPlan::new(plan.clone(), record.plan_progress(plan, day, p.zone))
                    })
                    .collect(),
                account,
            })
            .collect();
        Ok(rows)
    }
}
