//! Success plans and their templates, as returned.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::super::{AssessedPlan, etag_of};
use crate::domain::success_plan::{
    Objective, PlanHealth, PlanProgress, PlanStatus, PlanTemplate, TemplateObjective,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub duration_days: u32,
    pub objectives: Vec<TemplateObjective>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub etag: String,
}

impl From<PlanTemplate> for TemplateView {
    fn from(t: PlanTemplate) -> Self {
        let f = t.fields;
        Self {
            id: t.id,
            name: f.name,
            description: f.description,
            duration_days: f.duration_days,
            objectives: f.objectives,
            created_at: t.created_at,
            updated_at: t.updated_at,
            etag: etag_of(t.version),
        }
    }
}

/// Where a plan stands: progress against what the calendar expects.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressSummary {
    pub as_of: NaiveDate,
    /// Weight-averaged objective progress, 0–1.
    pub progress: f64,
    /// The share of start → target elapsed at `as_of`, 0–1.
    pub expected_progress: f64,
    pub health: PlanHealth,
}

impl From<&PlanProgress> for ProgressSummary {
    fn from(p: &PlanProgress) -> Self {
        Self {
            as_of: p.as_of,
            progress: p.progress,
            expected_progress: p.expected,
            health: p.health,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub owner: Option<String>,
    pub status: PlanStatus,
    pub status_reason: Option<String>,
    pub start_date: NaiveDate,
    pub target_date: NaiveDate,
    /// The template it was made from, if any (a copy: later template changes do not reach it).
    pub template_id: Option<Uuid>,
    pub objectives: Vec<Objective>,
    /// Today's progress.
    pub progress: ProgressSummary,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub etag: String,
}

impl From<AssessedPlan> for PlanView {
    fn from(a: AssessedPlan) -> Self {
        let plan = a.plan;
        let f = plan.fields;
        Self {
            id: plan.id,
            account_id: plan.account_id,
            name: f.name,
            owner: f.owner,
            status: f.status,
            status_reason: f.status_reason,
            start_date: f.start_date,
            target_date: f.target_date,
            template_id: f.template_id,
            objectives: plan.objectives,
            progress: ProgressSummary::from(&a.progress),
            created_at: plan.created_at,
            updated_at: plan.updated_at,
            etag: etag_of(plan.version),
        }
    }
}
