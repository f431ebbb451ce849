//! Success plans (DESIGN §3.6): how a CSM and a customer agree what success
//! means, and how far along it they are. Objectives carry KPIs (baseline →
//! target) and milestones; progress and health follow from them and from
//! how much of the plan's time has passed.
//!
//! A plan is one aggregate: its objectives, KPIs and milestones change only
//! through it, so every write can check the whole and recompute progress.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::framework::is_key;
use std::collections::HashMap;

use super::metric::{MetricDefinition, Source, Unit};
use super::time::Zone;

use super::validation::{Invalid, all_of, check_opt_text, check_text};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub id: Uuid,
    pub name: String,
    /// When set, `current` is the account's latest observation of this metric.
    pub metric_key: Option<String>,
    pub unit: Option<Unit>,
    pub baseline: f64,
    pub target: f64,
    /// Entered by hand; for a KPI linked to a metric, set by the service: the metric's
    /// latest observation, as the plan's progress reads it.
    pub current: Option<f64>,
    /// When it was added: a progress of an earlier day leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Every value entered by hand, oldest first: a progress of an earlier
    /// day reads the value known then, not today's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<KpiValue>,
}

/// A value of a KPI entered by hand, and when; `None` when it was cleared.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KpiValue {
    pub value: Option<f64>,
    pub at: DateTime<Utc>,
}

/// When a part of a plan was added: one written before parts were dated
/// counts as always there.
fn existed_by(created_at: Option<DateTime<Utc>>, known_by: DateTime<Utc>) -> bool {
    created_at.is_none_or(|t| t <= known_by)
}

impl Kpi {
    /// The hand-entered value known at `known_by`: the latest entered by
    /// then; `current` for a KPI entered before values were kept.
    pub fn value_known_at(&self, known_by: DateTime<Utc>) -> Option<f64> {
        if self.history.is_empty() {
            return self.current;
        }
        self.history
            .iter()
            .rev()
            .find(|v| v.at <= known_by)
            .and_then(|v| v.value)
    }

    /// Keeps a changed `current` in its history. A KPI added before values
    /// were kept (undated) keeps none: its one value reads as always known.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        if self.created_at.is_none() {
            return;
        }
        let known = self.history.last().map(|v| v.value);
        let changed = match known {
            Some(value) => value != self.current,
            None => self.current.is_some(),
        };
        if changed {
            self.history.push(KpiValue {
                value: self.current,
                at: now,
            });
        }
    }
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: Uuid,
    pub title: String,
    pub owner: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub done: bool,
    /// When it was done: a past quarter's progress counts it only from then.
    pub done_on: Option<NaiveDate>,
    /// When it was added: a progress of an earlier day leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
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

    /// Dates a milestone marked done without a date: it was done today (in
    /// `zone`).
    pub fn settle(&mut self, now: DateTime<Utc>, zone: Zone) {
        if self.done {
            self.done_on.get_or_insert(zone.day_of(now));
        }
    }

    /// Whether it had been added by `known_by`.
    pub fn existed_by(&self, known_by: DateTime<Utc>) -> bool {
        existed_by(self.created_at, known_by)
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
    /// Fills in what a write leaves implicit (a value's history, a done
    /// date), as of `now` in `zone`.
    fn settle(&mut self, now: DateTime<Utc>, zone: Zone);
    fn created_at_mut(&mut self) -> &mut Option<DateTime<Utc>>;

    /// Dates a part being added, then settles it.
    fn enter(&mut self, now: DateTime<Utc>, zone: Zone) {
        *self.created_at_mut() = Some(now);
        self.settle(now, zone);
    }
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

    fn settle(&mut self, now: DateTime<Utc>, _: Zone) {
        Kpi::settle(self, now);
    }

    fn created_at_mut(&mut self) -> &mut Option<DateTime<Utc>> {
        &mut self.created_at
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

    fn settle(&mut self, now: DateTime<Utc>, zone: Zone) {
        Milestone::settle(self, now, zone);
    }

    fn created_at_mut(&mut self) -> &mut Option<DateTime<Utc>> {
        &mut self.created_at
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// When it was added: a progress of an earlier day leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
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

    /// Fills in what a write leaves implicit in it and its parts, as of
    /// `now` in `zone`.
    pub fn settle(&mut self, now: DateTime<Utc>, zone: Zone) {
        for k in &mut self.kpis {
            k.settle(now);
        }
        for m in &mut self.milestones {
            m.settle(now, zone);
        }
    }

    /// Dates an objective being added, with its parts, then settles it.
    pub fn enter(&mut self, now: DateTime<Utc>, zone: Zone) {
        self.created_at = Some(now);
        for k in &mut self.kpis {
            k.enter(now, zone);
        }
        for m in &mut self.milestones {
            m.enter(now, zone);
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

    /// Progress and health at the end of `as_of` (in `zone`), from what
    /// was known then: the objectives, KPIs and milestones added by then
    /// and the values entered by then. A plan is taken as it stood at the
    /// end of the day it was entered, so one entered after the fact reads
    /// as entered from its start; what is added or changed on a later day
    /// counts only from then, and a past progress stays as it was.
    /// `observed` gives a linked metric's latest value (and when it was
    /// observed) as of then.
    pub fn progress(
        &self,
        as_of: NaiveDate,
        zone: Zone,
        observed: impl Fn(&str) -> Option<(f64, DateTime<Utc>)>,
    ) -> PlanProgress {
        let entered = zone.last_instant_of(zone.day_of(self.created_at));
        let known_by = zone.last_instant_of(as_of).max(entered);
        let objectives: Vec<ObjectiveProgress> = self
            .objectives
            .iter()
            .filter(|o| existed_by(o.created_at, known_by))
            .map(|o| o.progress_at(as_of, known_by, &observed))
            .collect();
        let progress = weighted_progress(&objectives);
        let expected = expected_progress(self.fields.start_date, self.fields.target_date, as_of);
        PlanProgress {
            as_of,
            known_by,
            progress,
            expected,
            health: plan_health(progress, expected),
            objectives,
        }
    }
}

impl Objective {
    fn progress_at(
        &self,
        as_of: NaiveDate,
        known_by: DateTime<Utc>,
        observed: &impl Fn(&str) -> Option<(f64, DateTime<Utc>)>,
    ) -> ObjectiveProgress {
        let kpis: Vec<KpiProgress> = self
            .kpis
            .iter()
            .filter(|k| existed_by(k.created_at, known_by))
            .map(|k| {
                let (current, observed_at) = match &k.metric_key {
                    Some(m) => observed(m).map_or((None, None), |(v, t)| (Some(v), Some(t))),
                    None => (k.value_known_at(known_by), None),
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
        let milestones: Vec<&Milestone> = self
            .milestones
            .iter()
            .filter(|m| m.existed_by(known_by))
            .collect();
        let done = milestones.iter().filter(|m| m.done_by(as_of)).count();
        ObjectiveProgress {
            objective_id: self.id,
            weight: self.weight,
            progress: Objective::progress(&attainments, done, milestones.len()),
            kpis,
            milestones_done: done,
            milestones_total: milestones.len(),
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
    /// What the progress rests on: what was entered by this instant.
    pub known_by: DateTime<Utc>,
    pub progress: f64,
    pub expected: f64,
    pub health: PlanHealth,
    pub objectives: Vec<ObjectiveProgress>,
}

impl PlanProgress {
    /// Fills each linked KPI of `plan` with the metric's value this progress
    /// read, so that a plan shown beside its progress agrees with it.
    pub fn show_linked_values(&self, plan: &mut SuccessPlan) {
        for op in &self.objectives {
            let Some(o) = plan.objective_mut(op.objective_id) else {
                continue;
            };
            for kp in &op.kpis {
                if let Some(k) = o.kpis.iter_mut().find(|k| k.id == kp.kpi_id)
                    && k.metric_key.is_some()
                {
                    k.current = kp.current;
                }
            }
        }
    }

    /// Each objective the progress covers (those added by `known_by`), with
    /// its progress.
    pub fn objectives_of<'a>(
        &'a self,
        plan: &'a SuccessPlan,
    ) -> impl Iterator<Item = (&'a Objective, &'a ObjectiveProgress)> {
        self.objectives
            .iter()
            .filter_map(|op| plan.objective(op.objective_id).map(|o| (o, op)))
    }
}

impl ObjectiveProgress {
    /// Each KPI the progress covers, with its progress.
    pub fn kpis_of<'a>(
        &'a self,
        objective: &'a Objective,
    ) -> impl Iterator<Item = (&'a Kpi, &'a KpiProgress)> {
        self.kpis.iter().filter_map(|kp| {
            objective
                .kpis
                .iter()
                .find(|k| k.id == kp.kpi_id)
                .map(|k| (k, kp))
        })
    }
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

mod input;
mod template;
#[cfg(test)]
mod tests;

pub use input::*;
pub use template::*;
