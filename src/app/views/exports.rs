//! An account as the book export gives it: the account as a GET returns it,
//! with what a BI tool loads beside it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AccountView, ProgressSummary};
use crate::app::ExportedAccount;
use crate::domain::metric_set::Rag;

/// Where the account sits on a matrix now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportCellView {
    pub cell: String,
    pub assessed_at: DateTime<Utc>,
}

/// An equation's latest result for the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportEquationView {
    pub value: f64,
    pub assessed_at: DateTime<Utc>,
}

/// The account's health on a metric set this quarter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportHealthView {
    /// 0–100; absent when no rated metric has data.
    pub score: Option<f64>,
    pub colour: Rag,
    /// The set's metrics without data this quarter.
    pub missing: Vec<String>,
}

/// An active plan and where it stands today.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportPlanView {
    pub id: Uuid,
    pub name: String,
    pub progress: ProgressSummary,
}

/// One account of the book export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedAccountView {
    pub account: AccountView,
    /// The quarter health is judged over, `YYYY-Qn` of the fiscal year.
    pub quarter: String,
    /// By matrix key (of the matrices that place accounts): where it sits now; a matrix it
    /// was never placed on is absent.
    pub cells: BTreeMap<String, ExportCellView>,
    /// By `framework.equation`: the latest result; an equation never assessed is absent.
    pub equations: BTreeMap<String, ExportEquationView>,
    /// By metric set key: health this quarter.
    pub health: BTreeMap<String, ExportHealthView>,
    /// Its active success plans.
    pub plans: Vec<ExportPlanView>,
}

impl From<ExportedAccount> for ExportedAccountView {
    fn from(row: ExportedAccount) -> Self {
        let cells = row
            .cells
            .into_iter()
            .map(|(key, c)| {
                let view = ExportCellView {
                    cell: c.cell,
                    assessed_at: c.assessed_at,
                };
                (key, view)
            })
            .collect();
        let equations = row
            .equations
            .into_iter()
            .map(|(key, (assessed_at, value))| (key, ExportEquationView { value, assessed_at }))
            .collect();
        let health = row
            .health
            .into_iter()
            .map(|(key, (health, missing))| {
                let view = ExportHealthView {
                    score: health.score,
                    colour: health.colour,
                    missing,
                };
                (key, view)
            })
            .collect();
        let plans = row
            .plans
            .iter()
            .map(|p| ExportPlanView {
                id: p.plan.id,
                name: p.plan.fields.name.clone(),
                progress: ProgressSummary::from(&p.progress),
            })
            .collect();
        Self {
            account: AccountView::from(row.account),
            quarter: row.quarter.to_string(),
            cells,
            equations,
            health,
            plans,
        }
    }
}
