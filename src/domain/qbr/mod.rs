//! The QBR maths: a metric's value in a period, from observations or derived
//! from csapi's own records, and the per-metric review of a quarter (change,
//! trend, target attainment, RAG) that adds up to a health score.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::metric::{Aggregation, Derivation, MetricDefinition, MetricKind, Source, whole_months};
use super::metric_set::{Health, MetricSet, Rag, Rating, SetMetric, attainment, health};
use super::quarter::Quarter;
use super::stakeholder::{Influence, StakeholderRole};
use super::success::Success;
use super::success_plan::{PlanProgress, PlanStatus, SuccessPlan};
use super::time::Zone;

/// The matrix whose closeness is `readiness_score`.
pub const READINESS_MATRIX: &str = "readiness";
/// The stakeholder matrix and cell behind `stakeholder_alignment`.
pub const ALIGNMENT_MATRIX: &str = "purpose_intent";
pub const ALIGNED_CELL: &str = "committed";
/// The observed metric behind `arr_growth`.
pub const ARR: &str = "arr";
/// The framework and equation behind `expansion_readiness`.
pub const EXPANSION_FRAMEWORK: &str = "success_equation";
pub const EXPANSION_EQUATION: &str = "expansion";
/// How many quarters a trend shows, the reviewed one last.
pub const TREND_QUARTERS: usize = 4;

str_enum! {
    /// Who a QBR pack is for. `team`: everything the CS team acts on, with
    /// recommended plays, each person's cell and closeness, and what a
    /// success still lacks. `customer`: only what both sides agreed on and
    /// achieved, in plain words; what a key limited to accounts and a share
    /// link get.
    pub enum Audience {
        Team = "team",
        Customer = "customer",
    }
}

impl Audience {
    /// Whether this audience sees the team's working notes: plays, cells of
    /// people and accounts, closeness, the gaps of a success's anatomy.
    pub fn sees_working_notes(self) -> bool {
        self == Audience::Team
    }
}

/// A span of time, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Where the period's days are drawn: the workspace's time zone.
    pub zone: Zone,
}

impl Period {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// Whether a day (its first instant) falls in the period: a success
    /// achieved that day counts in it.
    pub fn holds_day(&self, day: NaiveDate) -> bool {
        self.contains(self.zone.start_of(day))
    }

    /// The day of the period's last instant.
    pub fn last_day(&self) -> NaiveDate {
        self.zone.day_of(self.last_instant())
    }

    /// The last instant of the period: derived metrics are read as of it.
    fn last_instant(&self) -> DateTime<Utc> {
        self.end - Duration::microseconds(1)
    }
}

/// Why a metric has no value in a period: shown, never read as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoData {
    NoObservations,
    NoCustomerSince,
    NotYetCustomer,
    NoOriginalArr,
    NoArr,
    NoRenewalDate,
    NoCurrentArr,
    NotAssessed(&'static str),
    /// No success plan of the account was active by the end of the period.
    NoActivePlans,
    /// A derived key this version does not know how to compute.
    NotComputable,
}

impl fmt::Display for NoData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoData::NoObservations => f.write_str("no observation in the period"),
            NoData::NoCustomerSince => f.write_str("the account has no customer_since"),
            NoData::NotYetCustomer => f.write_str("not yet a customer at the end of the period"),
            NoData::NoOriginalArr => f.write_str("the account has no original_arr (or it is 0)"),
            NoData::NoArr => f.write_str("no arr observation in the period"),
            NoData::NoRenewalDate => f.write_str("the account has no renewal_date"),
            NoData::NoCurrentArr => f.write_str("the account has no current_arr"),
            NoData::NotAssessed(what) => write!(f, "no {what} assessment by the end of the period"),
            NoData::NoActivePlans => f.write_str("no active success plan by the end of the period"),
            NoData::NotComputable => f.write_str("no computation is known for this derived metric"),
        }
    }
}

/// A metric's value in a period, or why there is none.
pub type Reading = Result<f64, NoData>;

/// One classification of a subject, as derived metrics need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub matrix: String,
    pub subject_id: Uuid,
    pub cell: String,
    pub closeness: f64,
    pub assessed_at: DateTime<Utc>,
    /// The stakeholder's role and part in the purchase, for a stakeholder
    /// matrix: what their view weighs.
    pub role: Option<StakeholderRole>,
    pub involved_in_purchase: bool,
    /// The day the stakeholder left: from then on their view does not count.
    pub left_on: Option<NaiveDate>,
}

/// Everything one account's metrics are computed from.
#[derive(Debug, Clone, Default)]
pub struct AccountRecord {
    pub customer_since: Option<NaiveDate>,
    pub original_arr: Option<f64>,
    pub renewal_date: Option<NaiveDate>,
    pub current_arr: Option<f64>,
    /// Observations by metric key: `(observed_at, value)`; for a stock
    /// metric, also the latest one before the first period read.
    pub observations: HashMap<String, Vec<(DateTime<Utc>, f64)>>,
    /// Classifications on the readiness and alignment matrices, any order.
    pub classifications: Vec<Classified>,
    /// `expansion` equation values by when they were assessed.
    pub expansions: Vec<(DateTime<Utc>, f64)>,
    /// The account's success plans, in any status.
    pub plans: Vec<SuccessPlan>,
    /// Observations of the metrics the plans' KPIs read, by metric key,
    /// reaching back far enough to hold the latest before each period's end.
    pub kpi_observations: HashMap<String, Vec<(DateTime<Utc>, f64)>>,
    /// The account's captured successes.
    pub successes: Vec<Success>,
    /// What each stakeholder's view weighs in `stakeholder_alignment`.
    pub influence: Influence,
}

impl AccountRecord {
    /// The metric's value in `period`.
    pub fn reading(&self, metric: &MetricDefinition, period: Period) -> Reading {
        match metric.source {
            Source::Observed => {
                self.aggregate(&metric.key, metric.aggregation, metric.kind, period)
            }
            Source::Derived => match Derivation::of(&metric.key) {
                Some(d) => self.derive(d, period),
                None => Err(NoData::NotComputable),
            },
        }
    }

    /// A period's observations aggregated; for a stock without any, the
    /// level it was left at: the latest observation before the period.
    fn aggregate(
        &self,
        key: &str,
        aggregation: Aggregation,
        kind: MetricKind,
        period: Period,
    ) -> Reading {
        let observed = self.observations.get(key).map_or(&[][..], Vec::as_slice);
        let inside: Vec<(DateTime<Utc>, f64)> = observed
            .iter()
            .copied()
            .filter(|(t, _)| period.contains(*t))
            .collect();
        match aggregation.apply(&inside) {
            Some(value) => Ok(value),
            None if kind == MetricKind::Stock => latest_before(observed, period.start)
                .map(|(_, v)| v)
                .ok_or(NoData::NoObservations),
            None => Err(NoData::NoObservations),
        }
    }

    /// When a stock metric's value in `period` was last observed, and
    /// whether that was before the period (the value carried forward).
    pub fn last_observed(&self, metric: &MetricDefinition, period: Period) -> Option<LastObserved> {
        if metric.source != Source::Observed || metric.kind != MetricKind::Stock {
            return None;
        }
        let (at, _) = latest_before(self.observations.get(&metric.key)?, period.end)?;
        Some(LastObserved {
            at,
            carried_forward: at < period.start,
        })
    }

    fn derive(&self, d: Derivation, period: Period) -> Reading {
        let at = period.last_instant();
        match d {
            Derivation::TenureMonths => {
                let since = self.customer_since.ok_or(NoData::NoCustomerSince)?;
                let until = period.zone.day_of(period.end);
                match whole_months(since, until) {
                    Some(m) if since < until => Ok(f64::from(m)),
                    _ => Err(NoData::NotYetCustomer),
                }
            }
            Derivation::ArrGrowth => {
                let base = self
                    .original_arr
                    .filter(|a| *a != 0.0)
                    .ok_or(NoData::NoOriginalArr)?;
                let arr = self
                    .aggregate(ARR, Aggregation::Last, MetricKind::Stock, period)
                    .map_err(|_| NoData::NoArr)?;
                Ok((arr - base) * 100.0 / base)
            }
            Derivation::DaysToRenewal => {
                let renewal = self.renewal_date.ok_or(NoData::NoRenewalDate)?;
                Ok((renewal - period.last_day()).num_days() as f64)
            }
            Derivation::ArrChange => {
                let current = self.current_arr.ok_or(NoData::NoCurrentArr)?;
                let original = self.original_arr.ok_or(NoData::NoOriginalArr)?;
                Ok(current - original)
            }
            Derivation::ReadinessScore => self
                .current(READINESS_MATRIX, at)
                .first()
                .map(|c| c.closeness * 100.0)
                .ok_or(NoData::NotAssessed(READINESS_MATRIX)),
            Derivation::StakeholderAlignment => {
                let day = period.last_day();
                let mut current = self.current(ALIGNMENT_MATRIX, at);
                current.retain(|c| c.left_on.is_none_or(|left| left > day));
                if current.is_empty() {
                    return Err(NoData::NotAssessed(ALIGNMENT_MATRIX));
                }
                let weight =
                    |c: &&Classified| self.influence.weight(c.role, c.involved_in_purchase);
                let all: f64 = current.iter().map(weight).sum();
                let aligned: f64 = current
                    .iter()
                    .filter(|c| c.cell == ALIGNED_CELL)
                    .map(weight)
                    .sum();
                Ok(aligned / all * 100.0)
            }
            Derivation::ExpansionReadiness => self
                .expansions
                .iter()
                .filter(|(t, _)| *t <= at)
                .max_by_key(|(t, _)| *t)
                .map(|(_, v)| v * 100.0)
                .ok_or(NoData::NotAssessed(EXPANSION_FRAMEWORK)),
            Derivation::OutcomeAttainment => {
                let day = period.last_day();
                let progress: Vec<f64> = self
                    .plans
                    .iter()
                    .filter(|p| p.fields.status == PlanStatus::Active && p.fields.start_date <= day)
                    .map(|p| self.plan_progress(p, day, period.zone).progress)
                    .collect();
                if progress.is_empty() {
                    return Err(NoData::NoActivePlans);
                }
                Ok(progress.iter().sum::<f64>() / progress.len() as f64 * 100.0)
            }
            Derivation::SuccessesCaptured => Ok(self
                .successes
                .iter()
                .filter(|s| period.holds_day(s.fields.achieved_on))
                .count() as f64),
            Derivation::SuccessesReused => Ok(self
                .successes
                .iter()
                .filter(|s| s.reuses.iter().any(|r| period.holds_day(r.applied_on)))
                .count() as f64),
        }
    }

    /// A plan's progress at the end of `day`, its linked KPIs read from
    /// [`AccountRecord::kpi_observations`].
    pub fn plan_progress(&self, plan: &SuccessPlan, day: NaiveDate, zone: Zone) -> PlanProgress {
        let at = zone.last_instant_of(day);
        plan.progress(day, zone, |m| self.kpi_value(m, at))
    }

    /// A KPI metric's latest observation at or before `at`.
    fn kpi_value(&self, metric: &str, at: DateTime<Utc>) -> Option<(f64, DateTime<Utc>)> {
        self.kpi_observations
            .get(metric)?
            .iter()
            .filter(|(t, _)| *t <= at)
            .max_by_key(|(t, _)| *t)
            .map(|(t, v)| (*v, *t))
    }

    /// Each subject's latest classification on `matrix` assessed by `at`.
    fn current(&self, matrix: &str, at: DateTime<Utc>) -> Vec<&Classified> {
        let mut latest: BTreeMap<Uuid, &Classified> = BTreeMap::new();
        for c in self
            .classifications
            .iter()
            .filter(|c| c.matrix == matrix && c.assessed_at <= at)
        {
            let slot = latest.entry(c.subject_id).or_insert(c);
            if c.assessed_at > slot.assessed_at {
                *slot = c;
            }
        }
        latest.into_values().collect()
    }
}

/// The latest observation strictly before `t`.
fn latest_before(
    observed: &[(DateTime<Utc>, f64)],
    t: DateTime<Utc>,
) -> Option<(DateTime<Utc>, f64)> {
    observed
        .iter()
        .copied()
        .filter(|(at, _)| *at < t)
        .max_by_key(|(at, _)| *at)
}

/// When a stock metric's reviewed value was observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastObserved {
    pub at: DateTime<Utc>,
    /// Observed before the period: the level it was left at, carried forward.
    pub carried_forward: bool,
}

/// One metric of a review.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReview {
    pub metric: MetricDefinition,
    pub setting: SetMetric,
    /// The reviewed period's value, or why there is none.
    pub reading: Reading,
    /// What the reviewed period is compared with: the previous quarter, or
    /// its same elapsed span while the reviewed quarter runs.
    pub previous: Option<f64>,
    /// The whole previous quarter's value, shown beside a to-date comparison.
    pub previous_full_quarter: Option<f64>,
    pub change: Option<f64>,
    /// `change / |previous| × 100`; `None` when the previous value is 0 or missing.
    pub change_pct: Option<f64>,
    /// The last quarters' values, oldest first, the reviewed one last.
    pub trend: Vec<(Quarter, Option<f64>)>,
    pub attainment: Option<f64>,
    pub rating: Option<Rating>,
    /// For a stock metric, when its reviewed value was observed.
    pub last_observed: Option<LastObserved>,
}

impl MetricReview {
    /// Reviews one metric from its readings, oldest first; the last is the
    /// reviewed period's, the one before it the previous quarter's.
    /// `same_span` is the previous quarter's reading over the reviewed
    /// period's elapsed span, when the reviewed quarter is still running.
    pub fn new(
        metric: MetricDefinition,
        setting: SetMetric,
        readings: Vec<(Quarter, Reading)>,
        same_span: Option<Reading>,
    ) -> Self {
        let n = readings.len();
        let reading = readings
            .last()
            .map_or(Err(NoData::NoObservations), |(_, r)| *r);
        let previous_full_quarter = n.checked_sub(2).and_then(|i| readings[i].1.ok());
        let previous = match same_span {
            Some(r) => r.ok(),
            None => previous_full_quarter,
        };
        let value = reading.ok();
        let change = value.zip(previous).map(|(v, p)| v - p);
        let change_pct = change
            .zip(previous)
            .filter(|(_, p)| *p != 0.0)
            .map(|(c, p)| c / p.abs() * 100.0);
        let attainment = value
            .zip(setting.target)
            .map(|(v, t)| attainment(v, t, metric.direction));
        let rating = value.and_then(|v| setting.rate(v));
        Self {
            trend: readings
                .into_iter()
                .skip(n.saturating_sub(TREND_QUARTERS))
                .map(|(q, r)| (q, r.ok()))
                .collect(),
            metric,
            setting,
            reading,
            previous,
            previous_full_quarter,
            change,
            change_pct,
            attainment,
            rating,
            last_observed: None,
        }
    }
}

impl MetricReview {
    /// The metric's colour: its rating's, `no_data` when it has thresholds
    /// but no value, `None` when it has no thresholds.
    pub fn rag(&self) -> Option<Rag> {
        let rated = self.setting.is_rated();
        self.rating.map(|r| r.rag).or(rated.then_some(Rag::NoData))
    }
}

/// A metric set reviewed for one account and period.
#[derive(Debug, Clone, PartialEq)]
pub struct SetReview {
    pub set: MetricSet,
    pub metrics: Vec<MetricReview>,
    pub health: Health,
}

impl SetReview {
    pub fn new(set: MetricSet, metrics: Vec<MetricReview>) -> Self {
        let health = health(
            metrics
                .iter()
                .filter(|m| m.setting.is_rated())
                .map(|m| (m.setting.weight, m.rating.map(|r| r.score))),
        );
        Self {
            set,
            metrics,
            health,
        }
    }

    /// The metrics without a value in the reviewed period, and why.
    pub fn missing(&self) -> impl Iterator<Item = (&str, NoData)> {
        self.metrics
            .iter()
            .filter_map(|m| m.reading.err().map(|why| (m.metric.key.as_str(), why)))
    }
}

/// How a review compares its quarter with the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// A quarter that has ended, against the whole previous quarter.
    PreviousQuarter,
    /// A running quarter to date, against the previous quarter's same
    /// elapsed span (day 58 against day 58): a part of a quarter against a
    /// whole one would read as a fall.
    SameSpan(Period),
}

impl Comparison {
    /// The part of `quarter` to review when days up to `through` (exclusive:
    /// the end of today) have begun, and what to compare it with: a running
    /// quarter to date against the `previous` quarter's first as much time
    /// (day 58 against day 58); any other quarter whole, against the whole
    /// previous one. Whole days keep a pack the same all day long.
    pub fn at(quarter: Period, previous: Period, through: DateTime<Utc>) -> (Period, Self) {
        if through >= quarter.end || through <= quarter.start {
            return (quarter, Comparison::PreviousQuarter);
        }
        let span = Period {
            start: previous.start,
            end: (previous.start + (through - quarter.start)).min(previous.end),
            zone: previous.zone,
        };
        let to_date = Period {
            end: through,
            ..quarter
        };
        (to_date, Comparison::SameSpan(span))
    }

    /// `previous_quarter` or `same_span_of_previous_quarter`.
    pub fn basis(self) -> &'static str {
        match self {
            Comparison::PreviousQuarter => "previous_quarter",
            Comparison::SameSpan(_) => "same_span_of_previous_quarter",
        }
    }

    /// What `previous` covers, given the whole previous quarter.
    pub fn previous(self, whole: Period) -> Period {
        match self {
            Comparison::PreviousQuarter => whole,
            Comparison::SameSpan(span) => span,
        }
    }
}

/// Reviews `set` for `record`: `periods` are the quarters to read, oldest
/// first, the reviewed one last; `definitions` resolve the set's metric keys.
pub fn review(
    set: &MetricSet,
    definitions: &HashMap<String, MetricDefinition>,
    record: &AccountRecord,
    periods: &[(Quarter, Period)],
    comparison: Comparison,
) -> SetReview {
    let metrics = set
        .metrics
        .iter()
        .filter_map(|s| {
            let def = definitions.get(&s.metric)?;
            let readings = periods
                .iter()
                .map(|(q, p)| (*q, record.reading(def, *p)))
                .collect();
            let same_span = match comparison {
                Comparison::SameSpan(span) => Some(record.reading(def, span)),
                Comparison::PreviousQuarter => None,
            };
            let last_observed = periods
                .last()
                .and_then(|(_, reviewed)| record.last_observed(def, *reviewed));
            Some(MetricReview {
                last_observed,
                ..MetricReview::new(def.clone(), s.clone(), readings, same_span)
            })
        })
        .collect();
    SetReview::new(set.clone(), metrics)
}

/// An account's health on `set` in `period`, and the keys of the set's
/// metrics without a value: what [`review`] says of them, without copying
/// the set and its definitions into every account's review, as a portfolio
/// of many accounts would.
pub fn set_health<'a>(
    set: &'a MetricSet,
    definitions: &HashMap<String, MetricDefinition>,
    record: &AccountRecord,
    period: Period,
) -> (Health, Vec<&'a str>) {
    let mut missing = Vec::new();
    let mut rated = Vec::with_capacity(set.metrics.len());
    for s in &set.metrics {
        let Some(def) = definitions.get(&s.metric) else {
            continue;
        };
        let reading = record.reading(def, period);
        if reading.is_err() {
            missing.push(s.metric.as_str());
        }
        if s.is_rated() {
            let score = reading.ok().and_then(|v| s.rate(v)).map(|r| r.score);
            rated.push((s.weight, score));
        }
    }
    (health(rated), missing)
}

#[cfg(test)]
mod tests;
