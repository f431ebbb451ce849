//! Captured successes, as returned.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::super::{AssessedSuccess, etag_of};
use crate::domain::success::{Measurable, Outcome, Part, Permanence, Reuse};

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
