//! Plan templates: reusable objectives, KPIs and milestones whose due dates
//! are offsets from the start of the plan made from them.

use super::*;
use crate::domain::patch::{double_option, present, set};

/// A reusable plan: objectives with KPIs and milestones whose due dates are
/// offsets from the start of the plan made from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFields {
    pub name: String,
    pub description: Option<String>,
    /// Days from a plan's start to its target date.
    pub duration_days: u32,
    #[serde(default)]
    pub objectives: Vec<TemplateObjective>,
}

pub const MAX_DURATION_DAYS: u32 = 3650;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateObjective {
    pub title: String,
    pub outcome: Option<String>,
    /// Default 1.
    pub weight: Option<f64>,
    /// Days after the plan's start; at most `duration_days`.
    pub due_offset_days: Option<u32>,
    #[serde(default)]
    pub kpis: Vec<TemplateKpi>,
    #[serde(default)]
    pub milestones: Vec<TemplateMilestone>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateKpi {
    pub name: String,
    pub metric_key: Option<String>,
    pub unit: Option<Unit>,
    pub baseline: f64,
    pub target: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateMilestone {
    pub title: String,
    pub owner: Option<String>,
    pub due_offset_days: Option<u32>,
}

impl TemplateFields {
    /// Names every bad field, nested ones as `objectives[i].kpis[j].field`.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "name", &self.name, MAX_NAME_LEN);
        check_opt_text(
            &mut e,
            "description",
            self.description.as_deref(),
            MAX_PROSE_LEN,
        );
        if !(1..=MAX_DURATION_DAYS).contains(&self.duration_days) {
            e.push("duration_days", format!("must be 1 to {MAX_DURATION_DAYS}"));
        }
        check_count(&mut e, "objectives", self.objectives.len(), MAX_OBJECTIVES);
        for (i, o) in self.objectives.iter().enumerate() {
            e.extend_under(&format!("objectives[{i}]"), self.check_objective(o));
        }
        e.into_result()
    }

    fn check_objective(&self, o: &TemplateObjective) -> Invalid {
        let mut e = Invalid::default();
        check_objective_head(
            &mut e,
            &o.title,
            o.outcome.as_deref(),
            o.weight.unwrap_or(1.0),
        );
        self.check_offset(&mut e, "due_offset_days", o.due_offset_days);
        check_count(&mut e, "kpis", o.kpis.len(), MAX_KPIS);
        check_count(&mut e, "milestones", o.milestones.len(), MAX_MILESTONES);
        for (j, k) in o.kpis.iter().enumerate() {
            if let Err(bad) = kpi_of(k).check() {
                e.extend_under(&format!("kpis[{j}]"), bad);
            }
        }
        for (j, m) in o.milestones.iter().enumerate() {
            let field = format!("milestones[{j}]");
            check_text(&mut e, &format!("{field}.title"), &m.title, MAX_NAME_LEN);
            check_opt_text(
                &mut e,
                &format!("{field}.owner"),
                m.owner.as_deref(),
                MAX_NAME_LEN,
            );
            self.check_offset(
                &mut e,
                &format!("{field}.due_offset_days"),
                m.due_offset_days,
            );
        }
        e
    }

    fn check_offset(&self, e: &mut Invalid, field: &str, offset: Option<u32>) {
        if offset.is_some_and(|d| d > self.duration_days) {
            e.push(field, "must be at most duration_days");
        }
    }

    /// Checks its KPIs' metric links (see [`Kpi::link`]), named as
    /// `objectives[i].kpis[j].metric_key`, and fills in their units.
    pub fn link(&mut self, metrics: &Metrics) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for (i, o) in self.objectives.iter_mut().enumerate() {
            for (j, k) in o.kpis.iter_mut().enumerate() {
                let mut kpi = kpi_of(k);
                match kpi.link(metrics) {
                    Ok(()) => k.unit = kpi.unit,
                    Err(bad) => e.extend_under(&format!("objectives[{i}].kpis[{j}]"), bad),
                }
            }
        }
        e.into_result()
    }

    /// Fresh objectives for a plan starting on `start`, due dates at start + offset.
    pub fn instantiate(&self, start: NaiveDate) -> Vec<Objective> {
        let due = |offset: Option<u32>| {
            offset.and_then(|d| start.checked_add_days(chrono::Days::new(u64::from(d))))
        };
        self.objectives
            .iter()
            .map(|o| Objective {
                id: Uuid::now_v7(),
                title: o.title.clone(),
                outcome: o.outcome.clone(),
                weight: o.weight.unwrap_or(1.0),
                due_date: due(o.due_offset_days),
                status: ObjectiveStatus::NotStarted,
                kpis: o.kpis.iter().map(kpi_of).collect(),
                milestones: o
                    .milestones
                    .iter()
                    .map(|m| Milestone {
                        id: Uuid::now_v7(),
                        title: m.title.clone(),
                        owner: m.owner.clone(),
                        due_date: due(m.due_offset_days),
                        done: false,
                        done_on: None,
                        created_at: None,
                    })
                    .collect(),
                created_at: None,
            })
            .collect()
    }

    /// The target date of a plan starting on `start`.
    pub fn target_date(&self, start: NaiveDate) -> Option<NaiveDate> {
        start.checked_add_days(chrono::Days::new(u64::from(self.duration_days)))
    }
}

fn kpi_of(k: &TemplateKpi) -> Kpi {
    Kpi {
        id: Uuid::now_v7(),
        name: k.name.clone(),
        metric_key: k.metric_key.clone(),
        unit: k.unit,
        baseline: k.baseline,
        target: k.target,
        current: None,
        created_at: None,
        history: Vec::new(),
    }
}

/// A merge patch of a template; `objectives`, when given, replaces the list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub duration_days: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    pub objectives: Option<Vec<TemplateObjective>>,
}

impl TemplatePatch {
    pub fn apply_to(self, f: &mut TemplateFields) {
        set(&mut f.name, self.name);
        set(&mut f.description, self.description);
        set(&mut f.duration_days, self.duration_days);
        set(&mut f.objectives, self.objectives);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTemplate {
    pub id: Uuid,
    pub fields: TemplateFields,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
