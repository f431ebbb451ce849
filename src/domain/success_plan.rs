//! Success plans (DESIGN §3.6): how a CSM and a customer agree what success
//! means, and how far along it they are. Objectives carry KPIs (baseline →
//! target) and milestones; progress and health follow from them and from
//! how much of the plan's time has passed.
//!
//! A plan is one aggregate: its objectives, KPIs and milestones change only
//! through it, so every write can check the whole and recompute progress.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::framework::is_key;
use std::collections::HashMap;

use super::metric::{MetricDefinition, Source, Unit};
use super::patch::{double_option, present, set};
use super::validation::{Checked, Invalid, all_of, check_opt_text, check_text};

/// Progress within this of the expected share is on track.
pub const ON_TRACK_MARGIN: f64 = 0.10;
/// Progress within this of the expected share is at risk; beyond, off track.
pub const AT_RISK_MARGIN: f64 = 0.25;
/// Comparisons at the health edges forgive floating-point noise.
const EDGE: f64 = 1e-9;

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_PROSE_LEN: usize = 2000;
/// Bounds that keep one plan (or template) a document of sensible size.
pub const MAX_OBJECTIVES: usize = 50;
pub const MAX_KPIS: usize = 20;
pub const MAX_MILESTONES: usize = 50;
pub const MAX_WEIGHT: f64 = 1000.0;
/// The last date a plan may reach: RFC 3339 writes four-digit years.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();

str_enum! {
    pub enum PlanStatus {
        Draft = "draft",
        Active = "active",
        Achieved = "achieved",
        Abandoned = "abandoned",
    }
}

str_enum! {
    pub enum PlanHealth {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        OffTrack = "off_track",
    }
}

str_enum! {
    pub enum ObjectiveStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Done = "done",
    }
}

/// A measure of an objective, from where the customer started to where it aims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Kpi {
    pub id: Uuid,
    pub name: String,
    /// When set, `current` is the account's latest observation of this metric.
    pub metric_key: Option<String>,
    pub unit: Option<Unit>,
    pub baseline: f64,
    pub target: f64,
    /// Entered by hand; always null for a KPI linked to a metric.
    pub current: Option<f64>,
}

impl Kpi {
    /// clamp((current − baseline) / (target − baseline), 0, 1); works for KPIs
    /// that should fall (target below baseline) as for those that should rise.
    /// A KPI without a current value has attained nothing yet.
    pub fn attainment(&self, current: Option<f64>) -> f64 {
        let span = self.target - self.baseline;
        match current {
            Some(c) if span != 0.0 => ((c - self.baseline) / span).clamp(0.0, 1.0),
            _ => 0.0,
        }
    }

    /// Names every bad field; a KPI whose target equals its baseline measures nothing.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "name", &self.name, MAX_NAME_LEN);
        if let Some(k) = &self.metric_key
            && !is_key(k)
        {
            e.push("metric_key", "must be a metric key");
        }
        for (field, v) in [("baseline", self.baseline), ("target", self.target)] {
            if !v.is_finite() {
                e.push(field, "must be a finite number");
            }
        }
        if self.target == self.baseline {
            e.push("target", "must differ from baseline");
        }
        match self.current {
            Some(c) if !c.is_finite() => e.push("current", "must be a finite number"),
            Some(_) if self.metric_key.is_some() => e.push(
                "current",
                "is read from the linked metric's observations; leave it out",
            ),
            _ => {}
        }
        e.into_result()
    }
}

/// The workspace's metrics by key, as a KPI link is checked against them.
pub type Metrics = HashMap<String, MetricDefinition>;

impl Kpi {
    /// A KPI may read only an observed metric of the workspace (derived ones
    /// are read by the QBR, not linked); it takes the metric's unit when it has none.
    pub fn link(&mut self, metrics: &Metrics) -> Result<(), Invalid> {
        let Some(key) = &self.metric_key else {
            return Ok(());
        };
        match metrics.get(key) {
            None => Err(Invalid::single(
                "metric_key",
                format!("{key:?} is not a metric of this workspace"),
            )),
            Some(m) if m.source == Source::Derived => Err(Invalid::single(
                "metric_key",
                format!("{key:?} is derived; a KPI can read only an observed metric"),
            )),
            Some(m) => {
                self.unit.get_or_insert(m.unit);
                Ok(())
            }
        }
    }
}

/// Links every KPI of `kpis`, naming errors as `kpis[i].metric_key`.
fn link_kpis<'a>(
    e: &mut Invalid,
    prefix: &str,
    kpis: impl Iterator<Item = &'a mut Kpi>,
    metrics: &Metrics,
) {
    for (i, k) in kpis.enumerate() {
        if let Err(bad) = k.link(metrics) {
            e.extend_under(&format!("{prefix}kpis[{i}]"), bad);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    pub id: Uuid,
    pub title: String,
    pub owner: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub done: bool,
    /// When it was done: a past quarter's progress counts it only from then.
    pub done_on: Option<NaiveDate>,
}

impl Milestone {
    pub fn check(&self, plan_start: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "title", &self.title, MAX_NAME_LEN);
        check_opt_text(&mut e, "owner", self.owner.as_deref(), MAX_NAME_LEN);
        check_due(&mut e, "due_date", self.due_date, plan_start);
        if self.done_on.is_some() && !self.done {
            e.push("done_on", "is only for a milestone that is done");
        }
        e.into_result()
    }

    /// Dates a milestone marked done without a date: it was done `today`.
    pub fn settle(&mut self, today: NaiveDate) {
        if self.done {
            self.done_on.get_or_insert(today);
        }
    }

    /// Whether it counts as done at `as_of`.
    pub fn done_by(&self, as_of: NaiveDate) -> bool {
        self.done && self.done_on.is_none_or(|d| d <= as_of)
    }
}

/// A part of an objective that has its own id: a KPI or a milestone. One
/// trait, so that adding, changing and removing either is one use case.
pub trait ObjectivePart: Clone {
    const NOUN: &'static str;
    /// How many an objective may hold.
    const MAX: usize;
    fn id(&self) -> Uuid;
    fn of(o: &Objective) -> &Vec<Self>;
    fn of_mut(o: &mut Objective) -> &mut Vec<Self>;
    /// Checks it as a part of a plan starting on `plan_start`.
    fn check_in(&mut self, plan_start: NaiveDate, metrics: &Metrics) -> Result<(), Invalid>;
    /// Fills in what a write leaves implicit, as of `today`.
    fn settle(&mut self, _today: NaiveDate) {}
}

/// A merge patch of a `T`.
pub trait Patch<T> {
    fn apply_to(self, target: &mut T);
}

impl ObjectivePart for Kpi {
    const NOUN: &'static str = "KPI";
    const MAX: usize = MAX_KPIS;

    fn id(&self) -> Uuid {
        self.id
    }

    fn of(o: &Objective) -> &Vec<Self> {
        &o.kpis
    }

    fn of_mut(o: &mut Objective) -> &mut Vec<Self> {
        &mut o.kpis
    }

    fn check_in(&mut self, _: NaiveDate, metrics: &Metrics) -> Result<(), Invalid> {
        all_of([self.check(), self.link(metrics)])
    }
}

impl ObjectivePart for Milestone {
    const NOUN: &'static str = "milestone";
    const MAX: usize = MAX_MILESTONES;

    fn id(&self) -> Uuid {
        self.id
    }

    fn of(o: &Objective) -> &Vec<Self> {
        &o.milestones
    }

    fn of_mut(o: &mut Objective) -> &mut Vec<Self> {
        &mut o.milestones
    }

    fn check_in(&mut self, plan_start: NaiveDate, _: &Metrics) -> Result<(), Invalid> {
        self.check(plan_start)
    }

    fn settle(&mut self, today: NaiveDate) {
        Milestone::settle(self, today);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Objective {
    pub id: Uuid,
    pub title: String,
    /// The business outcome the customer wants.
    pub outcome: Option<String>,
    pub weight: f64,
    pub due_date: Option<NaiveDate>,
    pub status: ObjectiveStatus,
    pub kpis: Vec<Kpi>,
    pub milestones: Vec<Milestone>,
}

impl Objective {
    /// The mean of (mean KPI attainment, share of milestones done) over the
    /// parts the objective has; 0 when it has neither.
    pub fn progress(kpi_attainments: &[f64], milestones_done: usize, milestones: usize) -> f64 {
        let mut parts = Vec::with_capacity(2);
        if !kpi_attainments.is_empty() {
            parts.push(kpi_attainments.iter().sum::<f64>() / kpi_attainments.len() as f64);
        }
        if milestones > 0 {
            parts.push(milestones_done as f64 / milestones as f64);
        }
        if parts.is_empty() {
            0.0
        } else {
            parts.iter().sum::<f64>() / parts.len() as f64
        }
    }

    /// Names every bad field, nested ones as `kpis[i].field`.
    pub fn check(&self, plan_start: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_objective_head(&mut e, &self.title, self.outcome.as_deref(), self.weight);
        check_due(&mut e, "due_date", self.due_date, plan_start);
        check_count(&mut e, "kpis", self.kpis.len(), MAX_KPIS);
        check_count(&mut e, "milestones", self.milestones.len(), MAX_MILESTONES);
        for (i, k) in self.kpis.iter().enumerate() {
            if let Err(bad) = k.check() {
                e.extend_under(&format!("kpis[{i}]"), bad);
            }
        }
        for (i, m) in self.milestones.iter().enumerate() {
            if let Err(bad) = m.check(plan_start) {
                e.extend_under(&format!("milestones[{i}]"), bad);
            }
        }
        e.into_result()
    }

    /// Checks its KPIs' metric links (see [`Kpi::link`]).
    pub fn link(&mut self, metrics: &Metrics) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        link_kpis(&mut e, "", self.kpis.iter_mut(), metrics);
        e.into_result()
    }

    /// Fills in what a write leaves implicit in its milestones, as of `today`.
    pub fn settle(&mut self, today: NaiveDate) {
        for m in &mut self.milestones {
            m.settle(today);
        }
    }

    /// Checks it as a part of a plan starting on `plan_start`, links included.
    pub fn check_in(&mut self, plan_start: NaiveDate, metrics: &Metrics) -> Result<(), Invalid> {
        all_of([self.check(plan_start), self.link(metrics)])
    }
}

fn check_objective_head(e: &mut Invalid, title: &str, outcome: Option<&str>, weight: f64) {
    check_text(e, "title", title, MAX_NAME_LEN);
    check_opt_text(e, "outcome", outcome, MAX_PROSE_LEN);
    if !(weight > 0.0 && weight <= MAX_WEIGHT) {
        e.push(
            "weight",
            format!("must be above 0 and at most {MAX_WEIGHT}"),
        );
    }
}

fn check_due(e: &mut Invalid, field: &str, due: Option<NaiveDate>, plan_start: NaiveDate) {
    if due.is_some_and(|d| d < plan_start) {
        e.push(
            field,
            format!("must not be before the plan's start_date {plan_start}"),
        );
    }
}

fn check_count(e: &mut Invalid, field: &str, n: usize, max: usize) {
    if n > max {
        e.push(field, format!("must hold at most {max} items"));
    }
}

/// What a plan says about itself, apart from its objectives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFields {
    pub name: String,
    pub owner: Option<String>,
    pub status: PlanStatus,
    /// Why the status was set against the rules (achieved with objectives open).
    pub status_reason: Option<String>,
    pub start_date: NaiveDate,
    pub target_date: NaiveDate,
    pub template_id: Option<Uuid>,
}

impl PlanFields {
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "name", &self.name, MAX_NAME_LEN);
        check_opt_text(&mut e, "owner", self.owner.as_deref(), MAX_NAME_LEN);
        check_opt_text(
            &mut e,
            "status_reason",
            self.status_reason.as_deref(),
            MAX_PROSE_LEN,
        );
        if self.target_date <= self.start_date {
            e.push("target_date", "must be after start_date");
        } else if self.target_date > LAST_DATE {
            e.push("target_date", format!("must be on or before {LAST_DATE}"));
        }
        e.into_result()
    }
}

/// A success plan of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessPlan {
    pub id: Uuid,
    pub account_id: Uuid,
    pub fields: PlanFields,
    pub objectives: Vec<Objective>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SuccessPlan {
    /// Checks the plan's own fields, and that no objective or milestone falls
    /// due before it starts (a changed start date must not strand them).
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = self.fields.check().err().unwrap_or_default();
        check_count(&mut e, "objectives", self.objectives.len(), MAX_OBJECTIVES);
        let start = self.fields.start_date;
        let due = || {
            self.objectives
                .iter()
                .flat_map(|o| o.milestones.iter().map(|m| m.due_date).chain([o.due_date]))
                .flatten()
        };
        if let Some(d) = due().min().filter(|d| *d < start) {
            e.push(
                "start_date",
                format!("must not be after a due date of its objectives or milestones ({d})"),
            );
        }
        if due().max().is_some_and(|d| d > LAST_DATE) {
            e.push(
                "start_date",
                format!("puts a due date of its objectives or milestones after {LAST_DATE}"),
            );
        }
        e.into_result()
    }

    /// The rule of `achieved`: every objective done, or a reason given.
    pub fn check_achieved(&self) -> Result<(), Invalid> {
        if self.fields.status != PlanStatus::Achieved || self.fields.status_reason.is_some() {
            return Ok(());
        }
        let done = self
            .objectives
            .iter()
            .filter(|o| o.status == ObjectiveStatus::Done)
            .count();
        if !self.objectives.is_empty() && done == self.objectives.len() {
            Ok(())
        } else {
            Err(Invalid::single(
                "status",
                format!(
                    "achieved needs every objective done ({done} of {} are); \
                     give a status_reason to override",
                    self.objectives.len()
                ),
            ))
        }
    }

    pub fn objective(&self, id: Uuid) -> Option<&Objective> {
        self.objectives.iter().find(|o| o.id == id)
    }

    pub fn objective_mut(&mut self, id: Uuid) -> Option<&mut Objective> {
        self.objectives.iter_mut().find(|o| o.id == id)
    }

    /// Every metric key its KPIs link to.
    pub fn linked_metrics(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .objectives
            .iter()
            .flat_map(|o| o.kpis.iter().filter_map(|k| k.metric_key.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Progress and health at `as_of`; `observed` gives a linked metric's
    /// latest value (and when it was observed) as of then.
    pub fn progress(
        &self,
        as_of: NaiveDate,
        observed: impl Fn(&str) -> Option<(f64, DateTime<Utc>)>,
    ) -> PlanProgress {
        let objectives: Vec<ObjectiveProgress> =
            self.objectives
                .iter()
                .map(|o| {
                    let kpis: Vec<KpiProgress> =
                        o.kpis
                            .iter()
                            .map(|k| {
                                let (current, observed_at) = match &k.metric_key {
                                    Some(m) => observed(m)
                                        .map_or((None, None), |(v, t)| (Some(v), Some(t))),
                                    None => (k.current, None),
                                };
                                KpiProgress {
                                    kpi_id: k.id,
                                    current,
                                    observed_at,
                                    attainment: k.attainment(current),
                                }
                            })
                            .collect();
                    let attainments: Vec<f64> = kpis.iter().map(|k| k.attainment).collect();
                    let done = o.milestones.iter().filter(|m| m.done_by(as_of)).count();
                    ObjectiveProgress {
                        objective_id: o.id,
                        weight: o.weight,
                        progress: Objective::progress(&attainments, done, o.milestones.len()),
                        kpis,
                        milestones_done: done,
                        milestones_total: o.milestones.len(),
                    }
                })
                .collect();
        let progress = weighted_progress(&objectives);
        let expected = expected_progress(self.fields.start_date, self.fields.target_date, as_of);
        PlanProgress {
            as_of,
            progress,
            expected,
            health: plan_health(progress, expected),
            objectives,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KpiProgress {
    pub kpi_id: Uuid,
    pub current: Option<f64>,
    /// When the linked metric's value was observed.
    pub observed_at: Option<DateTime<Utc>>,
    pub attainment: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveProgress {
    pub objective_id: Uuid,
    pub weight: f64,
    pub progress: f64,
    pub kpis: Vec<KpiProgress>,
    pub milestones_done: usize,
    pub milestones_total: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanProgress {
    pub as_of: NaiveDate,
    pub progress: f64,
    pub expected: f64,
    pub health: PlanHealth,
    pub objectives: Vec<ObjectiveProgress>,
}

/// Weight-averaged objective progress; 0 without objectives (or weight).
pub fn weighted_progress(objectives: &[ObjectiveProgress]) -> f64 {
    let weight: f64 = objectives.iter().map(|o| o.weight).sum();
    if weight > 0.0 {
        objectives
            .iter()
            .map(|o| o.weight * o.progress)
            .sum::<f64>()
            / weight
    } else {
        0.0
    }
}

/// The share of start → target elapsed at `as_of`, within [0, 1].
pub fn expected_progress(start: NaiveDate, target: NaiveDate, as_of: NaiveDate) -> f64 {
    let span = (target - start).num_days();
    if span <= 0 {
        return 1.0;
    }
    ((as_of - start).num_days() as f64 / span as f64).clamp(0.0, 1.0)
}

/// On track within 0.10 of the expected share, at risk within 0.25, else off track.
pub fn plan_health(progress: f64, expected: f64) -> PlanHealth {
    if progress + EDGE >= expected - ON_TRACK_MARGIN {
        PlanHealth::OnTrack
    } else if progress + EDGE >= expected - AT_RISK_MARGIN {
        PlanHealth::AtRisk
    } else {
        PlanHealth::OffTrack
    }
}

/// A new KPI, as a client writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiDraft {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: String,
    /// An observed metric whose latest observation is the KPI's current value.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
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
        }
    }
}

/// A merge patch of a KPI.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub unit: Option<Option<Unit>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub baseline: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
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

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDraft {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub title: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
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
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestonePatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
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
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveDraft {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub title: String,
    /// The business outcome the customer wants.
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub outcome: Option<String>,
    /// Its share of the plan's progress; default 1.
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    pub weight: Option<f64>,
    pub due_date: Option<NaiveDate>,
    /// Default `not_started`.
    pub status: Option<ObjectiveStatus>,
    #[schema(max_items = 20)]
    pub kpis: Option<Vec<KpiDraft>>,
    #[schema(max_items = 50)]
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
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectivePatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub outcome: Option<Option<String>>,
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub weight: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
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
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub owner: Option<Option<String>>,
    /// `achieved` needs every objective done, or a `status_reason`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<PlanStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub status_reason: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub start_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
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
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub account_id: Uuid,
    /// Required without a template; defaults to the template's name.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub owner: Option<String>,
    /// Default `draft`.
    pub status: Option<PlanStatus>,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
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

/// A reusable plan: objectives with KPIs and milestones whose due dates are
/// offsets from the start of the plan made from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateFields {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: String,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub description: Option<String>,
    /// Days from a plan's start to its target date.
    #[schema(minimum = 1, maximum = 3650)]
    pub duration_days: u32,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub objectives: Vec<TemplateObjective>,
}

pub const MAX_DURATION_DAYS: u32 = 3650;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateObjective {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub title: String,
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub outcome: Option<String>,
    /// Default 1.
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    pub weight: Option<f64>,
    /// Days after the plan's start; at most `duration_days`.
    #[schema(minimum = 0, maximum = 3650)]
    pub due_offset_days: Option<u32>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub kpis: Vec<TemplateKpi>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub milestones: Vec<TemplateMilestone>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateKpi {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: String,
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric_key: Option<String>,
    pub unit: Option<Unit>,
    pub baseline: f64,
    pub target: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateMilestone {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub title: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub owner: Option<String>,
    #[schema(minimum = 0, maximum = 3650)]
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
                    })
                    .collect(),
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
    }
}

/// A merge patch of a template; `objectives`, when given, replaces the list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(min_length = 1, max_length = 2000, pattern = r"[^ \t\n\r\f\v]")]
    pub description: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub duration_days: Option<u32>,
    #[schema(max_items = 50)]
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
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

/// Request bodies: the use cases validate them whole (with the plan they
/// join), so parsing adds no check of its own.
impl Checked for TemplateFields {}
impl Checked for TemplatePatch {}
impl Checked for NewPlan {}
impl Checked for PlanPatch {}
impl Checked for ObjectiveDraft {}
impl Checked for ObjectivePatch {}
impl Checked for KpiDraft {}
impl Checked for KpiPatch {}
impl Checked for MilestoneDraft {}
impl Checked for MilestonePatch {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kpi(baseline: f64, target: f64) -> Kpi {
        Kpi {
            id: Uuid::nil(),
            name: "k".into(),
            metric_key: None,
            unit: None,
            baseline,
            target,
            current: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn kpi_attainment_both_ways_and_clamped() {
        assert_eq!(kpi(20.0, 80.0).attainment(Some(50.0)), 0.5);
        assert_eq!(kpi(10.0, 4.0).attainment(Some(7.0)), 0.5, "lower is better");
        assert_eq!(kpi(20.0, 80.0).attainment(Some(95.0)), 1.0);
        assert_eq!(kpi(20.0, 80.0).attainment(Some(5.0)), 0.0);
        assert_eq!(kpi(10.0, 4.0).attainment(Some(12.0)), 0.0);
        assert_eq!(kpi(20.0, 80.0).attainment(None), 0.0);
        assert_eq!(kpi(5.0, 5.0).check().unwrap_err().fields(), ["target"]);
        assert_eq!(kpi(5.0, 6.0).check(), Ok(()));
        let linked_with_current = Kpi {
            metric_key: Some("logins".into()),
            current: Some(3.0),
            ..kpi(0.0, 10.0)
        };
        assert_eq!(
            linked_with_current.check().unwrap_err().fields(),
            ["current"]
        );
    }

    #[test]
    fn objective_progress_from_its_parts() {
        assert_eq!(Objective::progress(&[0.5, 1.0], 0, 0), 0.75, "KPIs only");
        assert_eq!(Objective::progress(&[], 1, 4), 0.25, "milestones only");
        assert_eq!(
            Objective::progress(&[0.5, 1.0], 1, 4),
            0.5,
            "(0.75 + 0.25) / 2"
        );
        assert_eq!(Objective::progress(&[], 0, 0), 0.0, "neither");
    }

    fn milestones(done: usize, of: usize) -> Vec<Milestone> {
        (0..of)
            .map(|i| Milestone {
                id: Uuid::nil(),
                title: format!("m{i}"),
                owner: None,
                due_date: None,
                done: i < done,
                done_on: None,
            })
            .collect()
    }

    fn objective(weight: f64, kpis: Vec<Kpi>, ms: Vec<Milestone>) -> Objective {
        Objective {
            id: Uuid::now_v7(),
            title: "o".into(),
            outcome: None,
            weight,
            due_date: None,
            status: ObjectiveStatus::InProgress,
            kpis,
            milestones: ms,
        }
    }

    fn plan(objectives: Vec<Objective>) -> SuccessPlan {
        SuccessPlan {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            fields: PlanFields {
                name: "Onboarding".into(),
                owner: None,
                status: PlanStatus::Active,
                status_reason: None,
                start_date: date(2026, 1, 1),
                target_date: date(2026, 4, 11),
                template_id: None,
            },
            objectives,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn plan_progress_is_weighted_and_reads_linked_metrics() {
        // Objective A (weight 3): all 4 milestones done → 1.0.
        // Objective B (weight 1): KPI logins 100 → 300, observed 150 → 0.25.
        // Plan: (3 · 1.0 + 1 · 0.25) / 4 = 0.8125.
        let logins = Kpi {
            metric_key: Some("logins".into()),
            ..kpi(100.0, 300.0)
        };
        let p = plan(vec![
            objective(3.0, vec![], milestones(4, 4)),
            objective(1.0, vec![logins], vec![]),
        ]);
        let seen = Utc::now();
        let progress = p.progress(date(2026, 2, 20), |m| {
            (m == "logins").then_some((150.0, seen))
        });
        assert_eq!(progress.progress, 0.8125);
        assert_eq!(progress.expected, 0.5);
        assert_eq!(progress.health, PlanHealth::OnTrack);
        assert_eq!(progress.objectives[1].kpis[0].current, Some(150.0));
        assert_eq!(progress.objectives[1].kpis[0].observed_at, Some(seen));
        let unobserved = p.progress(date(2026, 2, 20), |_| None);
        assert_eq!(unobserved.progress, 0.75);
        assert_eq!(
            plan(vec![]).progress(date(2026, 1, 1), |_| None).progress,
            0.0
        );
    }

    #[test]
    fn a_milestone_counts_from_when_it_was_done() {
        let mut p = plan(vec![objective(1.0, vec![], milestones(0, 2))]);
        let m = &mut p.objectives[0].milestones[0];
        m.done = true;
        m.settle(date(2026, 2, 1));
        assert_eq!(m.done_on, Some(date(2026, 2, 1)));
        assert_eq!(p.progress(date(2026, 1, 31), |_| None).progress, 0.0);
        assert_eq!(p.progress(date(2026, 2, 1), |_| None).progress, 0.5);
        let m = &mut p.objectives[0].milestones[1];
        m.done_on = Some(date(2026, 1, 5));
        assert_eq!(m.check(date(2026, 1, 1)).unwrap_err().fields(), ["done_on"]);
        MilestonePatch {
            done: Some(false),
            ..MilestonePatch::default()
        }
        .apply_to(&mut p.objectives[0].milestones[0]);
        assert_eq!(
            p.objectives[0].milestones[0].done_on, None,
            "undone, undated"
        );
    }

    #[test]
    fn health_at_its_edges() {
        // Half of a 100-day plan elapsed: expected 0.5.
        let expected = expected_progress(date(2026, 1, 1), date(2026, 4, 11), date(2026, 2, 20));
        assert_eq!(expected, 0.5);
        assert_eq!(
            plan_health(0.40, expected),
            PlanHealth::OnTrack,
            "expected − 0.10"
        );
        assert_eq!(plan_health(0.39, expected), PlanHealth::AtRisk);
        assert_eq!(
            plan_health(0.25, expected),
            PlanHealth::AtRisk,
            "expected − 0.25"
        );
        assert_eq!(plan_health(0.24, expected), PlanHealth::OffTrack);
        assert_eq!(
            expected_progress(date(2026, 1, 1), date(2026, 4, 11), date(2025, 1, 1)),
            0.0
        );
        assert_eq!(
            expected_progress(date(2026, 1, 1), date(2026, 4, 11), date(2027, 1, 1)),
            1.0
        );
    }

    #[test]
    fn achieved_needs_every_objective_done_or_a_reason() {
        let mut p = plan(vec![objective(1.0, vec![], vec![])]);
        p.fields.status = PlanStatus::Achieved;
        assert_eq!(p.check_achieved().unwrap_err().fields(), ["status"]);
        p.objectives[0].status = ObjectiveStatus::Done;
        assert_eq!(p.check_achieved(), Ok(()));
        let mut empty = plan(vec![]);
        empty.fields.status = PlanStatus::Achieved;
        assert!(
            empty.check_achieved().is_err(),
            "nothing done in an empty plan"
        );
        empty.fields.status_reason = Some("customer signed off early".into());
        assert_eq!(empty.check_achieved(), Ok(()));
    }

    #[test]
    fn dates_out_of_order_and_bad_weights_are_named() {
        let mut p = plan(vec![]);
        p.fields.target_date = p.fields.start_date;
        assert_eq!(p.check().unwrap_err().fields(), ["target_date"]);
        let mut o = objective(-1.0, vec![kpi(1.0, 1.0)], milestones(0, 1));
        o.milestones[0].due_date = Some(date(2025, 12, 31));
        assert_eq!(
            o.check(date(2026, 1, 1)).unwrap_err().fields(),
            ["weight", "kpis[0].target", "milestones[0].due_date"]
        );
        let mut p = plan(vec![objective(1.0, vec![], milestones(0, 1))]);
        p.objectives[0].milestones[0].due_date = Some(date(2026, 1, 5));
        p.fields.start_date = date(2026, 1, 6);
        assert_eq!(p.check().unwrap_err().fields(), ["start_date"]);
        let mut p = plan(vec![objective(1.0, vec![], milestones(0, 1))]);
        p.fields.start_date = date(9999, 12, 1);
        p.fields.target_date = date(9999, 12, 31);
        p.objectives[0].milestones[0].due_date = Some(date(10000, 1, 30));
        assert_eq!(
            p.check().unwrap_err().fields(),
            ["start_date"],
            "a due date past 9999"
        );
        p.fields.target_date = date(10000, 2, 1);
        assert_eq!(
            p.check().unwrap_err().fields(),
            ["target_date", "start_date"]
        );
    }

    #[test]
    fn templates_place_due_dates_at_offsets() {
        let t = TemplateFields {
            name: "Onboarding".into(),
            description: None,
            duration_days: 90,
            objectives: vec![TemplateObjective {
                title: "Go live".into(),
                outcome: None,
                weight: Some(2.0),
                due_offset_days: Some(60),
                kpis: vec![TemplateKpi {
                    name: "Weekly logins".into(),
                    metric_key: Some("logins".into()),
                    unit: None,
                    baseline: 0.0,
                    target: 200.0,
                }],
                milestones: vec![TemplateMilestone {
                    title: "Kick-off".into(),
                    owner: None,
                    due_offset_days: Some(7),
                }],
            }],
        };
        assert_eq!(t.check(), Ok(()));
        let start = date(2026, 12, 28);
        let objectives = t.instantiate(start);
        assert_eq!(objectives[0].due_date, Some(date(2027, 2, 26)));
        assert_eq!(objectives[0].milestones[0].due_date, Some(date(2027, 1, 4)));
        assert_eq!(objectives[0].weight, 2.0);
        assert_eq!(t.target_date(start), Some(date(2027, 3, 28)));
        let mut late = t.clone();
        late.objectives[0].milestones[0].due_offset_days = Some(91);
        late.objectives[0].weight = Some(0.0);
        assert_eq!(
            late.check().unwrap_err().fields(),
            [
                "objectives[0].weight",
                "objectives[0].milestones[0].due_offset_days"
            ]
        );
    }

    proptest! {
        #[test]
        fn attainment_is_a_share_and_monotone(b in -1e3f64..1e3, gap in 0.01f64..1e3, c1 in -3e3f64..3e3, c2 in -3e3f64..3e3) {
            let (lo, hi) = (c1.min(c2), c1.max(c2));
            let up = |c| kpi(b, b + gap).attainment(Some(c));
            let down = |c| kpi(b, b - gap).attainment(Some(c));
            prop_assert!((0.0..=1.0).contains(&up(lo)) && (0.0..=1.0).contains(&down(lo)));
            prop_assert!(up(lo) <= up(hi));
            prop_assert!(down(hi) <= down(lo));
        }

        #[test]
        fn plan_progress_is_a_share(weights in proptest::collection::vec(0.01f64..1000.0, 0..6), done in 0usize..5) {
            let objectives: Vec<Objective> = weights.iter().map(|w| objective(*w, vec![], milestones(done.min(4), 4))).collect();
            let p = plan(objectives).progress(date(2026, 3, 1), |_| None);
            prop_assert!((0.0..=1.0 + 1e-12).contains(&p.progress));
        }
    }
}
