//! The QBR maths: a metric's value in a period, from observations or derived
//! from csapi's own records, and the per-metric review of a quarter (change,
//! trend, target attainment, RAG) that adds up to a health score.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::metric::{Aggregation, Derivation, MetricDefinition, Source, whole_months};
use super::metric_set::{Health, MetricSet, Rag, Rating, SetMetric, attainment, health};
use super::quarter::Quarter;
use super::success::Success;
use super::success_plan::{PlanProgress, PlanStatus, SuccessPlan};

/// The matrix whose closeness is `readiness_score`.
pub const READINESS_MATRIX: &str = "readiness";
/// The stakeholder matrix and cell behind `stakeholder_alignment`.
pub const ALIGNMENT_MATRIX: &str = "purpose_intent";
pub const ALIGNED_CELL: &str = "committed";
/// The framework and equation behind `expansion_readiness`.
pub const EXPANSION_FRAMEWORK: &str = "success_equation";
pub const EXPANSION_EQUATION: &str = "expansion";
/// How many quarters a trend shows, the reviewed one last.
pub const TREND_QUARTERS: usize = 4;

/// A span of time, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// Whether a day (its first instant) falls in the period: a success
    /// achieved that day counts in it.
    pub fn holds_day(&self, day: NaiveDate) -> bool {
        self.contains(start_of(day))
    }

    /// The last instant of the period: derived metrics are read as of it.
    fn last_instant(&self) -> DateTime<Utc> {
        self.end - Duration::microseconds(1)
    }
}

/// The first instant of a day (UTC).
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The instant after a day ends: what happened before it happened by that day.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day) + Duration::days(1)
}

/// Why a metric has no value in a period: shown, never read as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoData {
    NoObservations,
    NoCustomerSince,
    NotYetCustomer,
    NoOriginalArr,
    NoArr,
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
}

/// Everything one account's metrics are computed from.
#[derive(Debug, Clone, Default)]
pub struct AccountRecord {
    pub customer_since: Option<NaiveDate>,
    pub original_arr: Option<f64>,
    /// Observations by metric key: `(observed_at, value)`.
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
}

impl AccountRecord {
    /// The metric's value in `period`.
    pub fn reading(&self, metric: &MetricDefinition, period: Period) -> Reading {
        match metric.source {
            Source::Observed => self.aggregate(&metric.key, metric.aggregation, period),
            Source::Derived => match Derivation::of(&metric.key) {
                Some(d) => self.derive(d, period),
                None => Err(NoData::NotComputable),
            },
        }
    }

    fn aggregate(&self, key: &str, aggregation: Aggregation, period: Period) -> Reading {
        let inside: Vec<(DateTime<Utc>, f64)> = self
            .observations
            .get(key)
            .map(|obs| {
                obs.iter()
                    .copied()
                    .filter(|(t, _)| period.contains(*t))
                    .collect()
            })
            .unwrap_or_default();
        aggregation.apply(&inside).ok_or(NoData::NoObservations)
    }

    fn derive(&self, d: Derivation, period: Period) -> Reading {
        let at = period.last_instant();
        match d {
            Derivation::TenureMonths => {
                let since = self.customer_since.ok_or(NoData::NoCustomerSince)?;
                let until = period.end.date_naive();
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
                    .aggregate("arr", Aggregation::Last, period)
                    .map_err(|_| NoData::NoArr)?;
                Ok(arr / base - 1.0)
            }
            Derivation::ReadinessScore => self
                .current(READINESS_MATRIX, at)
                .first()
                .map(|c| c.closeness * 100.0)
                .ok_or(NoData::NotAssessed(READINESS_MATRIX)),
            Derivation::StakeholderAlignment => {
                let current = self.current(ALIGNMENT_MATRIX, at);
                if current.is_empty() {
                    return Err(NoData::NotAssessed(ALIGNMENT_MATRIX));
                }
                let aligned = current.iter().filter(|c| c.cell == ALIGNED_CELL).count();
                Ok(aligned as f64 / current.len() as f64 * 100.0)
            }
            Derivation::ExpansionReadiness => self
                .expansions
                .iter()
                .filter(|(t, _)| *t <= at)
                .max_by_key(|(t, _)| *t)
                .map(|(_, v)| v * 100.0)
                .ok_or(NoData::NotAssessed(EXPANSION_FRAMEWORK)),
            Derivation::OutcomeAttainment => {
                let day = at.date_naive();
                let progress: Vec<f64> = self
                    .plans
                    .iter()
                    .filter(|p| p.fields.status == PlanStatus::Active && p.fields.start_date <= day)
                    .map(|p| self.plan_progress(p, day).progress)
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
        }
    }

    /// A plan's progress at the end of `day`, its linked KPIs read from
    /// [`AccountRecord::kpi_observations`].
    pub fn plan_progress(&self, plan: &SuccessPlan, day: NaiveDate) -> PlanProgress {
        let at = end_of(day) - Duration::microseconds(1);
        plan.progress(day, |m| self.kpi_value(m, at))
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

/// One metric of a review.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricReview {
    pub metric: MetricDefinition,
    pub setting: SetMetric,
    /// The reviewed period's value, or why there is none.
    pub reading: Reading,
    pub previous: Option<f64>,
    pub change: Option<f64>,
    /// `change / |previous| × 100`; `None` when the previous value is 0 or missing.
    pub change_pct: Option<f64>,
    /// The last quarters' values, oldest first, the reviewed one last.
    pub trend: Vec<(Quarter, Option<f64>)>,
    pub attainment: Option<f64>,
    pub rating: Option<Rating>,
}

impl MetricReview {
    /// Reviews one metric from its readings, oldest first; the last is the
    /// reviewed period's, the one before it the previous quarter's.
    pub fn new(
        metric: MetricDefinition,
        setting: SetMetric,
        readings: Vec<(Quarter, Reading)>,
    ) -> Self {
        let n = readings.len();
        let reading = readings
            .last()
            .map_or(Err(NoData::NoObservations), |(_, r)| *r);
        let previous = n.checked_sub(2).and_then(|i| readings[i].1.ok());
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
            change,
            change_pct,
            attainment,
            rating,
        }
    }
}

impl MetricReview {
    /// The metric's colour: its rating's, `no_data` when it has thresholds
    /// but no value, `None` when it has no thresholds.
    pub fn rag(&self) -> Option<Rag> {
        let rated = self.setting.green_at.is_some() && self.setting.red_at.is_some();
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
                .filter_map(|m| m.rating.map(|r| (m.setting.weight, r.score))),
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

/// Reviews `set` for `record`: `periods` are the quarters to read, oldest
/// first, the reviewed one last; `definitions` resolve the set's metric keys.
pub fn review(
    set: &MetricSet,
    definitions: &HashMap<String, MetricDefinition>,
    record: &AccountRecord,
    periods: &[(Quarter, Period)],
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
            Some(MetricReview::new(def.clone(), s.clone(), readings))
        })
        .collect();
    SetReview::new(set.clone(), metrics)
}

#[cfg(test)]
mod tests {
    //! The hand-worked QBR of issue 4, reviewing 2026-Q3 (1 July – 1 October
    //! 2026) with the built-in `qbr_traditional` set. The account became a
    //! customer on 2024-07-15 with an original ARR of 100,000.
    //!
    //! | metric             | agg  | 2025-Q4 | 2026-Q1 | 2026-Q2          | 2026-Q3                              |
    //! |--------------------|------|---------|---------|------------------|--------------------------------------|
    //! | logins             | sum  | 80      | –       | 40 + 60 = 100    | 100 (07-01 00:00) + 50 + 25 = 175    |
    //! | survey_nps         | avg  | –       | –       | 0                | (40 + 20) / 2 = 30                   |
    //! | arr                | last | –       | –       | 105,000          | 110,000 then 120,000 → 120,000       |
    //! | open_support_cases | last | –       | –       | –                | 3 then 6 → 6                         |
    //! | paid_up            | last | –       | –       | –                | 0                                    |
    //!
    //! 999 logins at 2026-10-01 00:00 belong to Q4, not Q3.
    //! - logins: change 75, change % 75.
    //! - survey_nps: change 30, change % null (previous 0); green_at 30 → 100, green
    //!   (edge); target 50 → attainment 0.6.
    //! - arr: change 15,000, change % 15,000 / 105,000 × 100 = 14.285714…
    //! - arr_growth: Q3 120,000 / 100,000 − 1 = 0.2 → 100, green; Q2 0.05 (the green edge).
    //! - open_support_cases: (6 − 10) / (2 − 10) × 100 = 50, amber; attainment 2 / 6.
    //! - paid_up: 0 = red_at → 0, red; weight 2.
    //! - tenure_months: 2024-07-15 → 2026-10-01 = 26 whole months (Q2: 23).
    //! - health = (1·100 + 2·0 + 1·50 + 1·100) / (1 + 2 + 1 + 1) = 50 → amber.
    use super::*;
    use crate::domain::builtin;
    use crate::domain::quarter::FiscalCalendar;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        at(y, m, d, 12, 0, 0)
    }

    fn record() -> AccountRecord {
        let obs = |rows: &[(DateTime<Utc>, f64)]| rows.to_vec();
        AccountRecord {
            customer_since: NaiveDate::from_ymd_opt(2024, 7, 15),
            original_arr: Some(100_000.0),
            observations: [
                (
                    "logins",
                    obs(&[
                        (day(2025, 11, 1), 80.0),
                        (day(2026, 4, 1), 40.0),
                        (at(2026, 6, 30, 23, 59, 59), 60.0),
                        (at(2026, 7, 1, 0, 0, 0), 100.0),
                        (day(2026, 8, 15), 50.0),
                        (at(2026, 9, 30, 23, 59, 59), 25.0),
                        (at(2026, 10, 1, 0, 0, 0), 999.0),
                    ]),
                ),
                (
                    "survey_nps",
                    obs(&[
                        (day(2026, 5, 5), 0.0),
                        (day(2026, 7, 10), 40.0),
                        (day(2026, 9, 1), 20.0),
                    ]),
                ),
                (
                    "arr",
                    obs(&[
                        (day(2026, 6, 30), 105_000.0),
                        (day(2026, 7, 1), 110_000.0),
                        (day(2026, 9, 15), 120_000.0),
                    ]),
                ),
                (
                    "open_support_cases",
                    obs(&[(day(2026, 8, 1), 3.0), (day(2026, 9, 20), 6.0)]),
                ),
                ("paid_up", obs(&[(day(2026, 9, 1), 0.0)])),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            ..AccountRecord::default()
        }
    }

    fn periods(cal: FiscalCalendar, reviewed: &str) -> Vec<(Quarter, Period)> {
        let q: Quarter = reviewed.parse().unwrap();
        (0..4)
            .rev()
            .map(|n| {
                let q = q.back(n);
                (
                    q,
                    Period {
                        start: cal.start(q),
                        end: cal.end(q),
                    },
                )
            })
            .collect()
    }

    fn review_of(cal: FiscalCalendar, reviewed: &str) -> SetReview {
        let defs = builtin::metrics()
            .iter()
            .map(|m| (m.key.clone(), m.clone()))
            .collect();
        let set = builtin::metric_sets()
            .iter()
            .find(|s| s.key == "qbr_traditional")
            .unwrap();
        review(set, &defs, &record(), &periods(cal, reviewed))
    }

    fn line<'a>(r: &'a SetReview, key: &str) -> &'a MetricReview {
        r.metrics.iter().find(|m| m.metric.key == key).unwrap()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    fn check_q3(r: &SetReview, names: [&str; 4]) {
        let logins = line(r, "logins");
        assert_eq!(logins.reading, Ok(175.0));
        assert_eq!(
            (logins.previous, logins.change, logins.change_pct),
            (Some(100.0), Some(75.0), Some(75.0))
        );
        let trend: Vec<(String, Option<f64>)> = logins
            .trend
            .iter()
            .map(|(q, v)| (q.to_string(), *v))
            .collect();
        assert_eq!(
            trend,
            [
                (names[0].into(), Some(80.0)),
                (names[1].into(), None),
                (names[2].into(), Some(100.0)),
                (names[3].into(), Some(175.0))
            ]
        );
        assert_eq!(logins.rating, None, "no thresholds, no rating");

        let nps = line(r, "survey_nps");
        assert_eq!(
            (nps.reading, nps.previous, nps.change, nps.change_pct),
            (Ok(30.0), Some(0.0), Some(30.0), None)
        );
        assert_eq!(
            nps.rating,
            Some(Rating {
                score: 100.0,
                rag: Rag::Green
            })
        );
        assert!(close(nps.attainment, 0.6));

        let arr = line(r, "arr");
        assert_eq!((arr.reading, arr.change), (Ok(120_000.0), Some(15_000.0)));
        assert!(close(arr.change_pct, 14.285_714_285_714_286));

        let growth = line(r, "arr_growth");
        assert!(close(growth.reading.ok(), 0.2));
        assert!(close(growth.previous, 0.05));
        assert_eq!(growth.rating.map(|r| r.rag), Some(Rag::Green));
        assert_eq!(growth.attainment, Some(1.0));

        let cases = line(r, "open_support_cases");
        assert_eq!(cases.reading, Ok(6.0));
        assert_eq!(
            cases.rating,
            Some(Rating {
                score: 50.0,
                rag: Rag::Amber
            })
        );
        assert!(close(cases.attainment, 2.0 / 6.0));
        assert_eq!(cases.previous, None);
        assert_eq!(cases.change_pct, None);

        assert_eq!(
            line(r, "paid_up").rating,
            Some(Rating {
                score: 0.0,
                rag: Rag::Red
            })
        );
        let tenure = line(r, "tenure_months");
        assert_eq!((tenure.reading, tenure.previous), (Ok(26.0), Some(23.0)));

        assert_eq!(r.health.score, Some(50.0));
        assert_eq!(r.health.colour, Rag::Amber);
        let missing: Vec<&str> = r.missing().map(|(k, _)| k).collect();
        assert_eq!(
            missing,
            ["renewals_count", "survey_csat", "page_views", "reports_run"]
        );
    }

    #[test]
    fn the_hand_worked_quarter() {
        check_q3(
            &review_of(FiscalCalendar::default(), "2026-Q3"),
            ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"],
        );
    }

    /// With the fiscal year starting in April, July–September 2026 is FY2027-Q2.
    #[test]
    fn the_same_quarter_from_april() {
        let cal = FiscalCalendar::starting_in(4).unwrap();
        check_q3(
            &review_of(cal, "2027-Q2"),
            ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"],
        );
        let shifted = review_of(cal, "2026-Q3");
        assert_eq!(
            line(&shifted, "logins").reading,
            Ok(80.0),
            "FY2026-Q3 is October–December 2025"
        );
    }

    #[test]
    fn derived_from_assessments() {
        let a = Uuid::from_u128(1);
        let (s1, s2, s3) = (Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4));
        let c = |matrix: &str, subject, cell: &str, closeness, t| Classified {
            matrix: matrix.into(),
            subject_id: subject,
            cell: cell.into(),
            closeness,
            assessed_at: t,
        };
        let r = AccountRecord {
            classifications: vec![
                c("readiness", a, "dreamer", 0.5, day(2026, 2, 1)),
                c("readiness", a, "achiever", 0.9, day(2026, 10, 2)),
                c("purpose_intent", s1, "committed", 1.0, day(2026, 8, 1)),
                c("purpose_intent", s2, "committed", 1.0, day(2026, 3, 1)),
                c("purpose_intent", s2, "directionless", 0.4, day(2026, 9, 1)),
                c("purpose_intent", s3, "committed", 1.0, day(2026, 9, 2)),
                c("purpose_intent", s3, "committed", 1.0, day(2026, 12, 2)),
            ],
            expansions: vec![(day(2026, 5, 1), 0.2222), (day(2026, 11, 1), 0.9)],
            ..AccountRecord::default()
        };
        let q3 = Period {
            start: day(2026, 7, 1),
            end: at(2026, 10, 1, 0, 0, 0),
        };
        let read = |key: &str| r.reading(builtin::metric(key).unwrap(), q3);
        assert_eq!(read("readiness_score"), Ok(50.0));
        assert!(close(read("stakeholder_alignment").ok(), 200.0 / 3.0));
        assert!(close(read("expansion_readiness").ok(), 22.22));
        assert_eq!(read("outcome_attainment"), Err(NoData::NoActivePlans));
        assert_eq!(read("successes_captured"), Ok(0.0));
        assert_eq!(read("tenure_months"), Err(NoData::NoCustomerSince));
        assert_eq!(read("arr_growth"), Err(NoData::NoOriginalArr));
        let early = Period {
            start: day(2025, 7, 1),
            end: day(2025, 10, 1),
        };
        assert_eq!(
            r.reading(builtin::metric("readiness_score").unwrap(), early),
            Err(NoData::NotAssessed("readiness"))
        );
    }

    #[test]
    fn outcome_attainment_and_successes_captured() {
        use crate::domain::success::{Anatomy, SuccessFields};
        use crate::domain::success_plan::{
            Kpi, Milestone, Objective, ObjectiveStatus, PlanFields, PlanStatus,
        };
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let objective = |kpis: Vec<Kpi>, milestones: Vec<Milestone>| Objective {
            id: Uuid::now_v7(),
            title: "o".into(),
            outcome: None,
            weight: 1.0,
            due_date: None,
            status: ObjectiveStatus::InProgress,
            kpis,
            milestones,
        };
        let milestone = |done| Milestone {
            id: Uuid::now_v7(),
            title: "m".into(),
            owner: None,
            due_date: None,
            done,
            done_on: None,
        };
        let logins = Kpi {
            id: Uuid::now_v7(),
            name: "Logins".into(),
            metric_key: Some("logins".into()),
            unit: None,
            baseline: 0.0,
            target: 100.0,
            current: None,
        };
        let plan = |status, start, objectives| SuccessPlan {
            id: Uuid::now_v7(),
            account_id: Uuid::nil(),
            fields: PlanFields {
                name: "p".into(),
                owner: None,
                status,
                status_reason: None,
                start_date: start,
                target_date: date(2026, 12, 28),
                template_id: None,
            },
            objectives,
            version: 1,
            created_at: day(2026, 7, 1),
            updated_at: day(2026, 7, 1),
        };
        // A: milestones 1 of 2 (0.5) and logins 0 → 100; C is a draft; D
        // starts in Q4 with nothing in it (progress 0).
        let a = plan(
            PlanStatus::Active,
            date(2026, 7, 1),
            vec![
                objective(vec![], vec![milestone(true), milestone(false)]),
                objective(vec![logins], vec![]),
            ],
        );
        let r = AccountRecord {
            plans: vec![
                a,
                plan(PlanStatus::Draft, date(2026, 7, 1), vec![]),
                plan(PlanStatus::Active, date(2026, 10, 15), vec![]),
            ],
            kpi_observations: HashMap::from([(
                "logins".to_owned(),
                vec![(day(2026, 9, 15), 40.0), (day(2026, 10, 5), 90.0)],
            )]),
            successes: [date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 1)]
                .map(|achieved_on| Success {
                    id: Uuid::now_v7(),
                    account_id: Uuid::nil(),
                    fields: SuccessFields {
                        title: "win".into(),
                        plan_id: None,
                        objective_id: None,
                        achieved_on,
                        anatomy: Anatomy::default(),
                    },
                    version: 1,
                    created_at: day(2026, 10, 2),
                    updated_at: day(2026, 10, 2),
                })
                .to_vec(),
            ..AccountRecord::default()
        };
        let midnight = |y, m, d| at(y, m, d, 0, 0, 0);
        let q3 = Period {
            start: midnight(2026, 7, 1),
            end: midnight(2026, 10, 1),
        };
        let q4 = Period {
            start: midnight(2026, 10, 1),
            end: midnight(2027, 1, 1),
        };
        let read = |key: &str, p| r.reading(builtin::metric(key).unwrap(), p);
        // Q3: A only, (0.5 + 40/100) / 2 = 0.45.
        assert!(close(read("outcome_attainment", q3).ok(), 45.0));
        // Q4: A is (0.5 + 0.9) / 2 = 0.7, D is 0: (0.7 + 0) / 2 = 0.35.
        assert!(close(read("outcome_attainment", q4).ok(), 35.0));
        assert_eq!(read("successes_captured", q3), Ok(2.0));
        assert_eq!(read("successes_captured", q4), Ok(1.0));
        let before = Period {
            start: midnight(2026, 4, 1),
            end: midnight(2026, 7, 1),
        };
        assert_eq!(
            read("outcome_attainment", before),
            Err(NoData::NoActivePlans)
        );
    }
}
