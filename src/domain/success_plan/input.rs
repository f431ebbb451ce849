//! What clients send to make and change plans and their parts: drafts and
//! merge patches, checked whole by the use cases with the plan they join.

use super::*;
use crate::domain::patch::{double_option, present, set};

/// A new KPI, as a client writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiDraft {
    pub name: String,
    /// An observed metric whose latest observation is the KPI's current value.
    pub metric_key: Option<String>,
    /// Defaults to the linked metric's unit.
    pub unit: Option<Unit>,
    pub baseline: f64,
    /// Must differ from baseline; below it for a KPI that should fall.
    pub target: f64,
    /// Only for KPIs without a metric.
    pub current: Option<f64>,
}

impl KpiDraft {
    pub fn into_kpi(self) -> Kpi {
        Kpi {
            id: Uuid::now_v7(),
            name: self.name,
            metric_key: self.metric_key,
            unit: self.unit,
            baseline: self.baseline,
            target: self.target,
            current: self.current,
            created_at: None,
            history: Vec::new(),
        }
    }
}

/// A merge patch of a KPI.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub metric_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub unit: Option<Option<Unit>>,
    #[serde(default, deserialize_with = "present")]
    pub baseline: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    pub target: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    pub current: Option<Option<f64>>,
}

impl Patch<Kpi> for KpiPatch {
    fn apply_to(self, k: &mut Kpi) {
        set(&mut k.name, self.name);
        set(&mut k.metric_key, self.metric_key);
        set(&mut k.unit, self.unit);
        set(&mut k.baseline, self.baseline);
        set(&mut k.target, self.target);
        set(&mut k.current, self.current);
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDraft {
    pub title: String,
    pub owner: Option<String>,
    /// Not before the plan's start date.
    pub due_date: Option<NaiveDate>,
    /// Default false.
    pub done: Option<bool>,
    /// When it was done; default today when `done`.
    pub done_on: Option<NaiveDate>,
}

impl MilestoneDraft {
    pub fn into_milestone(self) -> Milestone {
        Milestone {
            id: Uuid::now_v7(),
            title: self.title,
            owner: self.owner,
            due_date: self.due_date,
            done: self.done.unwrap_or(false),
            done_on: self.done_on,
            created_at: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestonePatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    pub done: Option<bool>,
    /// Marking it not done clears it.
    #[serde(default, deserialize_with = "double_option")]
    pub done_on: Option<Option<NaiveDate>>,
}

impl Patch<Milestone> for MilestonePatch {
    fn apply_to(self, m: &mut Milestone) {
        if self.done == Some(false) {
            m.done_on = None;
        }
        set(&mut m.title, self.title);
        set(&mut m.owner, self.owner);
        set(&mut m.due_date, self.due_date);
        set(&mut m.done, self.done);
        set(&mut m.done_on, self.done_on);
    }
}

/// A new objective, optionally with its KPIs and milestones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveDraft {
    pub title: String,
    /// The business outcome the customer wants.
    pub outcome: Option<String>,
    /// Its share of the plan's progress; default 1.
    pub weight: Option<f64>,
    pub due_date: Option<NaiveDate>,
    /// Default `not_started`.
    pub status: Option<ObjectiveStatus>,
    pub kpis: Option<Vec<KpiDraft>>,
    pub milestones: Option<Vec<MilestoneDraft>>,
}

impl ObjectiveDraft {
    pub fn into_objective(self) -> Objective {
        Objective {
            id: Uuid::now_v7(),
            title: self.title,
            outcome: self.outcome,
            weight: self.weight.unwrap_or(1.0),
            due_date: self.due_date,
            status: self.status.unwrap_or(ObjectiveStatus::NotStarted),
            kpis: self
                .kpis
                .unwrap_or_default()
                .into_iter()
                .map(KpiDraft::into_kpi)
                .collect(),
            milestones: self
                .milestones
                .unwrap_or_default()
                .into_iter()
                .map(MilestoneDraft::into_milestone)
                .collect(),
            created_at: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectivePatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub outcome: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub weight: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<ObjectiveStatus>,
}

impl ObjectivePatch {
    pub fn apply_to(self, o: &mut Objective) {
        set(&mut o.title, self.title);
        set(&mut o.outcome, self.outcome);
        set(&mut o.weight, self.weight);
        set(&mut o.due_date, self.due_date);
        set(&mut o.status, self.status);
    }
}

/// A merge patch of a plan's own fields (its objectives have their own).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub owner: Option<Option<String>>,
    /// `achieved` needs every objective done, or a `status_reason`.
    #[serde(default, deserialize_with = "present")]
    pub status: Option<PlanStatus>,
    #[serde(default, deserialize_with = "double_option")]
    pub status_reason: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    pub target_date: Option<NaiveDate>,
}

impl PlanPatch {
    pub fn apply_to(self, f: &mut PlanFields) {
        set(&mut f.name, self.name);
        set(&mut f.owner, self.owner);
        set(&mut f.status, self.status);
        set(&mut f.status_reason, self.status_reason);
        set(&mut f.start_date, self.start_date);
        set(&mut f.target_date, self.target_date);
    }
}

/// A new plan: blank, or made from a template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub account_id: Uuid,
    /// Required without a template; defaults to the template's name.
    pub name: Option<String>,
    pub owner: Option<String>,
    /// Default `draft`.
    pub status: Option<PlanStatus>,
    pub status_reason: Option<String>,
    /// Default today (UTC).
    pub start_date: Option<NaiveDate>,
    /// After start_date. Required without a template; defaults to the
    /// start plus the template's duration.
    pub target_date: Option<NaiveDate>,
    /// A template whose objectives, KPIs and milestones are copied in.
    pub template_id: Option<Uuid>,
}

impl NewPlan {
    /// The plan's own fields, taking the template's where the request is silent.
    pub fn into_fields(
        self,
        today: NaiveDate,
        template: Option<&TemplateFields>,
    ) -> Result<(Uuid, PlanFields), Invalid> {
        let start_date = self.start_date.unwrap_or(today);
        let mut e = Invalid::default();
        let name = self.name.or_else(|| template.map(|t| t.name.clone()));
        let target_date = self
            .target_date
            .or_else(|| template.and_then(|t| t.target_date(start_date)));
        if name.is_none() {
            e.push("name", "is required without a template_id");
        }
        if target_date.is_none() {
            e.push("target_date", "is required without a template_id");
        }
        e.into_result()?;
        let fields = PlanFields {
            name: name.unwrap_or_default(),
            owner: self.owner,
            status: self.status.unwrap_or(PlanStatus::Draft),
            status_reason: self.status_reason,
            start_date,
            target_date: target_date.unwrap_or(start_date),
            template_id: self.template_id,
        };
        fields.check()?;
        Ok((self.account_id, fields))
    }
}
