//! Risks as both doors show them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AccountRisks;
use crate::domain::risk::{DerivedRisk, Renewal, Risk, RiskKind};

/// A risk someone raised against the account's renewal.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: RiskKind,
    pub reason: String,
    pub raised_at: DateTime<Utc>,
    pub raised_by: String,
    /// Set once resolved: the risk no longer counts as open.
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    /// How it was resolved.
    pub resolution: Option<String>,
    pub version: i64,
}

impl From<Risk> for RiskView {
    fn from(r: Risk) -> Self {
        let (resolved_at, resolved_by, resolution) = match r.resolution {
            Some(x) => (Some(x.at), Some(x.by), x.note),
            None => (None, None, None),
        };
        Self {
            id: r.id,
            account_id: r.account_id,
            kind: r.kind,
            reason: r.reason,
            raised_at: r.raised_at,
            raised_by: r.raised_by,
            resolved_at,
            resolved_by,
            resolution,
            version: r.version,
        }
    }
}

/// A risk the service sees in the account's own records; it clears as soon
/// as its cause does.
#[derive(Debug, Serialize, ToSchema)]
pub struct DerivedRiskView {
    pub kind: RiskKind,
    pub reason: String,
    /// The success plan or stakeholder it comes from.
    pub subject_id: Option<Uuid>,
}

impl From<DerivedRisk> for DerivedRiskView {
    fn from(r: DerivedRisk) -> Self {
        Self {
            kind: r.kind,
            reason: r.reason,
            subject_id: r.subject_id,
        }
    }
}

/// How close the account's renewal is on the day read.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalView {
    pub renewal_date: Option<NaiveDate>,
    /// Days from the day read to the renewal; negative once overdue.
    pub days_to_renewal: Option<i64>,
    /// The workspace's renewal window (setting `renewal_window_days`).
    pub window_days: u32,
    /// Whether the renewal falls within the window (overdue ones do).
    pub near: bool,
}

impl From<Renewal> for RenewalView {
    fn from(r: Renewal) -> Self {
        Self {
            renewal_date: r.date,
            days_to_renewal: r.days,
            window_days: r.window_days,
            near: r.near,
        }
    }
}

/// What threatens the account's renewal.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRisksView {
    pub renewal: RenewalView,
    /// Risks people raised and have not resolved.
    pub open: Vec<RiskView>,
    /// Risks the account's records show: red health within the renewal window, a success plan
    /// off track, a champion who left.
    pub derived: Vec<DerivedRiskView>,
}

impl From<AccountRisks> for AccountRisksView {
    fn from(r: AccountRisks) -> Self {
        Self {
            renewal: r.renewal.into(),
            open: r.raised.into_iter().map(Into::into).collect(),
            derived: r.derived.into_iter().map(Into::into).collect(),
        }
    }
}
