//! Captured successes, as returned.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::super::{AssessedSuccess, etag_of};
use crate::domain::success::{Measurable, Outcome, Part, Permanence, Reuse};
use crate::domain::success_reuse::{RecordedReuse, ReuseResult};

/// A win reapplied at an account: this one, for another team, or another customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedReuseView {
    pub id: Uuid,
    /// Where it was applied.
    pub account_id: Uuid,
    /// The plan and objective of that account it served, as recorded.
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<Uuid>,
    pub applied_on: NaiveDate,
    /// What it achieved there.
    pub outcome: String,
    pub result: Option<ReuseResult>,
    pub recorded_at: DateTime<Utc>,
}

impl From<RecordedReuse> for RecordedReuseView {
    fn from(r: RecordedReuse) -> Self {
        Self {
            id: r.id,
            account_id: r.account_id,
            plan_id: r.plan_id,
            objective_id: r.objective_id,
            applied_on: r.applied_on,
            outcome: r.outcome,
            result: r.result,
            recorded_at: r.recorded_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub title: String,
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<Uuid>,
    pub achieved_on: NaiveDate,
    pub outcome: Option<Outcome>,
    pub story: Option<String>,
    pub reuse: Vec<Reuse>,
    /// How many times it was reapplied, as recorded at `/v1/successes/{id}/reuses`.
    pub reuse_count: usize,
    /// Where it was reapplied, in the order recorded.
    pub reuses: Vec<RecordedReuseView>,
    pub measurable: Option<Measurable>,
    pub permanence: Option<Permanence>,
    /// Parts present at `as_of`, 0–5.
    pub anatomy_score: u8,
    /// The parts missing at `as_of`, in anatomy order.
    pub missing: Vec<Part>,
    pub as_of: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub etag: String,
}

impl From<AssessedSuccess> for SuccessView {
    fn from(a: AssessedSuccess) -> Self {
        let s = a.success;
        let f = s.fields;
        let anatomy = f.anatomy;
        Self {
            id: s.id,
            account_id: s.account_id,
            title: f.title,
            plan_id: f.plan_id,
            objective_id: f.objective_id,
            achieved_on: f.achieved_on,
            outcome: anatomy.outcome,
            story: anatomy.story,
            reuse: anatomy.reuse,
            reuse_count: s.reuses.len(),
            reuses: s.reuses.into_iter().map(Into::into).collect(),
            measurable: anatomy.measurable,
            permanence: anatomy.permanence,
            anatomy_score: a.anatomy_score,
            missing: a.missing,
            as_of: a.as_of,
            created_at: s.created_at,
            updated_at: s.updated_at,
            etag: etag_of(s.version),
        }
    }
}
