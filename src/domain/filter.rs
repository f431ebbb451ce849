//! What a list or a portfolio read asks for: filters shared by the doors
//! (which parse them), the use cases (which check them) and the store (which
//! applies them). All optional, combined with AND.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::LifecycleStage;
use super::success_plan::PlanStatus;

/// Filters of the account list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub segment: Option<String>,
    pub owner: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    /// Only accounts changed strictly after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only accounts renewing on this day or later.
    pub renewal_from: Option<NaiveDate>,
    /// Only accounts renewing on this day or earlier.
    pub renewal_to: Option<NaiveDate>,
    /// Only these accounts: those a limited key reaches.
    pub within: Option<std::sync::Arc<[Uuid]>>,
}

/// Filters of assessment lists; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AssessmentFilter {
    pub account_id: Option<Uuid>,
    pub stakeholder_id: Option<Uuid>,
    pub framework: Option<String>,
    /// Assessed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Assessed strictly before.
    pub to: Option<DateTime<Utc>>,
    /// Only these accounts': those a limited key reaches.
    pub within: Option<std::sync::Arc<[Uuid]>>,
}

str_enum! {
    /// Which raised risks a list shows.
    pub enum RiskStatus {
        Open = "open",
        Resolved = "resolved",
        All = "all",
    }
}

str_enum! {
    /// The order of a portfolio's health: worst first (lowest health, then
    /// no data), or soonest renewal first (overdue ones first, accounts
    /// without a renewal date last), worst first among equals.
    pub enum HealthOrder {
        WorstFirst = "worst_first",
        Renewal = "renewal",
    }
}

/// Which rows of a portfolio's health a read shows, and in what order.
#[derive(Debug, Clone, Copy)]
pub struct HealthRows {
    /// Only accounts renewing within this many days of the day read
    /// (overdue ones too).
    pub renewal_within_days: Option<u32>,
    pub order: HealthOrder,
}

impl Default for HealthRows {
    fn default() -> Self {
        Self {
            renewal_within_days: None,
            order: HealthOrder::WorstFirst,
        }
    }
}

/// Which accounts a portfolio view covers.
#[derive(Debug, Clone, Default)]
pub struct AccountScope {
    pub segment: Option<String>,
    pub owner: Option<String>,
    /// Only accounts whose id is after this one: with `through`, a page of
    /// the scope, so that a read of the whole book can go a page at a time.
    pub after: Option<Uuid>,
    /// Only accounts whose id is this one or before it.
    pub through: Option<Uuid>,
    /// Only these accounts: those a limited key reaches.
    pub within: Option<std::sync::Arc<[Uuid]>>,
}

impl AccountScope {
    /// The accounts of a segment and an owner (either may be absent), as a
    /// request's filters name them.
    pub fn of(segment: Option<String>, owner: Option<String>) -> Self {
        Self {
            segment,
            owner,
            ..Self::default()
        }
    }

    /// No filter: reads need not join the accounts.
    pub fn is_everyone(&self) -> bool {
        self.segment.is_none()
            && self.owner.is_none()
            && self.after.is_none()
            && self.through.is_none()
            && self.within.is_none()
    }

    /// The accounts of this scope from after `after` through `through`.
    pub fn page(&self, after: Option<Uuid>, through: Uuid) -> Self {
        Self {
            after,
            through: Some(through),
            ..self.clone()
        }
    }
}

/// Whose records a read returns: one account's (a QBR) or those of every
/// account in a scope (a portfolio view), so the store filters in SQL
/// rather than the caller after loading the whole workspace.
#[derive(Debug, Clone, Copy)]
pub enum Accounts<'a> {
    One(Uuid),
    InScope(&'a AccountScope),
}

/// Filters of plan lists; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub account_id: Option<Uuid>,
    /// Plans of the accounts in this scope only.
    pub accounts: AccountScope,
    pub status: Option<PlanStatus>,
    pub owner: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// Filters of success lists that the store applies; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct SuccessFilter {
    pub account_id: Option<Uuid>,
    /// Successes of the accounts in this scope only.
    pub accounts: AccountScope,
    /// Achieved on or after.
    pub achieved_from: Option<NaiveDate>,
    /// Achieved strictly before.
    pub achieved_before: Option<NaiveDate>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// Filters of observation lists; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ObservationFilter {
    pub account_id: Option<Uuid>,
    pub metric: Option<String>,
    /// Observed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Observed strictly before.
    pub to: Option<DateTime<Utc>>,
    /// Only these accounts': those a limited key reaches.
    pub within: Option<std::sync::Arc<[Uuid]>>,
}
