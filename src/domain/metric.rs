//! Metric definitions and observations: the "good enough" data a CS team
//! already has (tenure, renewals, ARR, support cases, surveys, usage), and
//! the leading indicators csapi derives from its own records.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::framework::is_key;
use super::validation::{Invalid, check_opt_text, check_text};

str_enum! {
    /// What a value measures, which bounds the values it accepts. One
    /// representation per unit: a percent is 0–100 (growth rates too), so an
    /// observed percent strictly between 0 and 1 is refused as a fraction.
    pub enum Unit {
        Count = "count",
        Currency = "currency",
        Percent = "percent",
        Score = "score",
        Boolean = "boolean",
        Days = "days",
        Months = "months",
    }
}

impl Unit {
    /// The decimals a value of this unit is worth showing: whole months and
    /// yes/no, tenths of days, hundredths of the rest (an average count,
    /// money, a percentage, a score). A sheet rounds to them, so that
    /// `0.06000000000000005` reads `0.06`.
    pub fn decimals(self) -> usize {
        match self {
            Unit::Boolean | Unit::Months => 0,
            Unit::Days => 1,
            Unit::Count | Unit::Currency | Unit::Percent | Unit::Score => 2,
        }
    }
}

str_enum! {
    /// How a quarter's observations become the quarter's value.
    pub enum Aggregation {
        Last = "last",
        Sum = "sum",
        Avg = "avg",
        Max = "max",
    }
}

str_enum! {
    /// What a metric's value is. `flow`: what happened in a period (logins,
    /// page views), summed or averaged over it, nothing when nothing was
    /// observed. `stock`: a level that holds until it changes (ARR, NPS,
    /// renewals count), so a period without an observation carries the last
    /// one before it. A custom metric without one is `stock` when its
    /// aggregation is `last`, `flow` otherwise.
    pub enum MetricKind {
        Flow = "flow",
        Stock = "stock",
    }
}

impl Aggregation {
    /// The kind a metric aggregated this way most likely is: the last value
    /// is a level's, a sum, mean or peak a flow's.
    pub fn usual_kind(self) -> MetricKind {
        match self {
            Aggregation::Last => MetricKind::Stock,
            Aggregation::Sum | Aggregation::Avg | Aggregation::Max => MetricKind::Flow,
        }
    }
}

str_enum! {
    pub enum Direction {
        HigherIsBetter = "higher_is_better",
        LowerIsBetter = "lower_is_better",
    }
}

str_enum! {
    pub enum Category {
        Financial = "financial",
        Usage = "usage",
        Support = "support",
        Sentiment = "sentiment",
        Outcome = "outcome",
        Relationship = "relationship",
    }
}

str_enum! {
    /// `traditional` metrics lag (what happened), `future` ones lead (what will).
    pub enum Horizon {
        Traditional = "traditional",
        Future = "future",
    }
}

str_enum! {
    /// `derived` metrics are computed from csapi's own records, never observed.
    pub enum Source {
        Observed = "observed",
        Derived = "derived",
    }
}

pub const MAX_METRIC_NAME_LEN: usize = 200;
pub const MAX_METRIC_DESCRIPTION_LEN: usize = 2000;

/// A metric: what it is, how a quarter sums it up, and which way is good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredMetric")]
pub struct MetricDefinition {
    pub key: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub unit: Unit,
    pub aggregation: Aggregation,
    pub kind: MetricKind,
    pub direction: Direction,
    pub category: Category,
    pub horizon: Horizon,
    pub source: Source,
}

/// A definition as stored: those written before metrics had a kind have
/// none, and take their aggregation's usual one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredMetric {
    key: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    unit: Unit,
    aggregation: Aggregation,
    #[serde(default)]
    kind: Option<MetricKind>,
    direction: Direction,
    category: Category,
    horizon: Horizon,
    source: Source,
}

impl From<StoredMetric> for MetricDefinition {
    fn from(m: StoredMetric) -> Self {
        Self {
            key: m.key,
            name: m.name,
            description: m.description,
            unit: m.unit,
            kind: m.kind.unwrap_or(m.aggregation.usual_kind()),
            aggregation: m.aggregation,
            direction: m.direction,
            category: m.category,
            horizon: m.horizon,
            source: m.source,
        }
    }
}

impl MetricDefinition {
    /// The range a score of this metric lies on, where csapi knows it, to
    /// show beside its value: a derived score is a closeness or an
    /// equation's value × 100, so 0 to 100. An observed score keeps the
    /// scale of the survey it came from (an NPS -100 to 100, a CSAT often
    /// 0 to 100), which its value is already on.
    pub fn scale(&self) -> Option<(f64, f64)> {
        match (self.unit, self.source) {
            (Unit::Score, Source::Derived) => Some((0.0, 100.0)),
            _ => None,
        }
    }
}

/// What an admin submits for a custom metric: always observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMetric {
    /// a-z, 0-9 and _, starting with a letter; unique in the workspace.
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Unit,
    pub aggregation: Aggregation,
    /// Default: the aggregation's usual kind.
    pub kind: Option<MetricKind>,
    pub direction: Direction,
    pub category: Category,
    pub horizon: Horizon,
}

impl NewMetric {
    /// Names every bad field.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !is_key(&self.key) {
            e.push(
                "key",
                "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
            );
        }
        check_text(&mut e, "name", &self.name, MAX_METRIC_NAME_LEN);
        check_opt_text(
            &mut e,
            "description",
            self.description.as_deref(),
            MAX_METRIC_DESCRIPTION_LEN,
        );
        e.into_result()
    }

    pub fn into_definition(self) -> MetricDefinition {
        MetricDefinition {
            key: self.key,
            name: self.name,
            description: self.description,
            unit: self.unit,
            kind: self.kind.unwrap_or(self.aggregation.usual_kind()),
            aggregation: self.aggregation,
            direction: self.direction,
            category: self.category,
            horizon: self.horizon,
            source: Source::Observed,
        }
    }
}

impl Unit {
    /// Why `value` cannot be a value of this unit, if it cannot.
    pub fn check(self, value: f64) -> Result<(), &'static str> {
        let ok = value.is_finite()
            && match self {
                Unit::Count => value >= 0.0 && value.fract() == 0.0,
                Unit::Currency => true,
                Unit::Percent => value == 0.0 || (1.0..=100.0).contains(&value),
                Unit::Score => (-100.0..=100.0).contains(&value),
                Unit::Boolean => value == 0.0 || value == 1.0,
                Unit::Days | Unit::Months => value >= 0.0,
            };
        if ok {
            return Ok(());
        }
        Err(match self {
            Unit::Count => "must be a whole number >= 0 (unit count)",
            Unit::Currency => "must be a finite amount (unit currency)",
            Unit::Percent if value > 0.0 && value < 1.0 => {
                "must be a percent from 0 to 100 (82 for 82 %), not a fraction from 0 to 1 (unit percent)"
            }
            Unit::Percent => "must be between 0 and 100 (unit percent)",
            Unit::Score => "must be between -100 and 100 (unit score)",
            Unit::Boolean => "must be 0 or 1 (unit boolean)",
            Unit::Days => "must be >= 0 (unit days)",
            Unit::Months => "must be >= 0 (unit months)",
        })
    }
}

impl Aggregation {
    /// The value of `(observed_at, value)` pairs in one period; `None` when empty.
    pub fn apply(self, observations: &[(DateTime<Utc>, f64)]) -> Option<f64> {
        let values = observations.iter().map(|(_, v)| *v);
        match self {
            _ if observations.is_empty() => None,
            Aggregation::Last => observations.iter().max_by_key(|(t, _)| *t).map(|(_, v)| *v),
            Aggregation::Sum => Some(values.sum()),
            Aggregation::Avg => Some(values.sum::<f64>() / observations.len() as f64),
            Aggregation::Max => values.reduce(f64::max),
        }
    }
}

/// The built-in metrics csapi computes instead of storing; their keys are contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// Whole months from `customer_since` to the end of the period.
    TenureMonths,
    /// The period's `arr` / `original_arr` − 1.
    ArrGrowth,
    /// Days from the end of the period to `renewal_date` (negative once past).
    DaysToRenewal,
    /// `current_arr` − `original_arr`, in the account's currency.
    ArrChange,
    /// Closeness on `readiness` × 100.
    ReadinessScore,
    /// % of assessed stakeholders in `committed` on `purpose_intent`.
    StakeholderAlignment,
    /// The `expansion` equation × 100.
    ExpansionReadiness,
    /// Progress of active success plans × 100 (with success plans).
    OutcomeAttainment,
    /// Successes captured in the period (with success plans).
    SuccessesCaptured,
    /// The account's successes reapplied (anywhere) in the period.
    SuccessesReused,
}

impl Derivation {
    pub fn of(key: &str) -> Option<Self> {
        Some(match key {
            "tenure_months" => Self::TenureMonths,
            "arr_growth" => Self::ArrGrowth,
            "days_to_renewal" => Self::DaysToRenewal,
            "arr_change" => Self::ArrChange,
            "readiness_score" => Self::ReadinessScore,
            "stakeholder_alignment" => Self::StakeholderAlignment,
            "expansion_readiness" => Self::ExpansionReadiness,
            "outcome_attainment" => Self::OutcomeAttainment,
            "successes_captured" => Self::SuccessesCaptured,
            "successes_reused" => Self::SuccessesReused,
            _ => return None,
        })
    }
}

/// Whole months from `since` to `until` (a month counts once its day is reached).
pub fn whole_months(since: NaiveDate, until: NaiveDate) -> Option<u32> {
    use chrono::Datelike;
    if until < since {
        return None;
    }
    let months = (until.year() - since.year()) * 12 + until.month() as i32
        - since.month() as i32
        - i32::from(until.day() < since.day());
    u32::try_from(months).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn units_bound_values() {
        let cases: [(Unit, &[f64], &[f64]); 7] = [
            (Unit::Count, &[0.0, 3.0, 1e9], &[-1.0, 2.5]),
            (
                Unit::Currency,
                &[-5.0, 0.0, 1e12],
                &[f64::INFINITY, f64::NAN],
            ),
            (
                Unit::Percent,
                &[0.0, 1.0, 55.5, 100.0],
                &[-0.1, 0.82, 100.1],
            ),
            (Unit::Score, &[-100.0, 0.0, 100.0], &[-101.0, 100.5]),
            (Unit::Boolean, &[0.0, 1.0], &[0.5, 2.0, -1.0]),
            (Unit::Days, &[0.0, 12.5], &[-1.0]),
            (Unit::Months, &[0.0, 30.0], &[-0.5]),
        ];
        for (unit, good, bad) in cases {
            for v in good {
                assert_eq!(unit.check(*v), Ok(()), "{unit:?} {v}");
            }
            for v in bad {
                assert!(unit.check(*v).is_err(), "{unit:?} {v}");
            }
        }
        let fraction = Unit::Percent.check(0.82).unwrap_err();
        assert!(
            fraction.contains("not a fraction from 0 to 1"),
            "{fraction}"
        );
    }

    #[test]
    fn aggregations() {
        let t = |day| Utc.with_ymd_and_hms(2026, 7, day, 0, 0, 0).unwrap();
        let obs = [(t(10), 4.0), (t(2), 10.0), (t(5), 1.0)];
        assert_eq!(Aggregation::Last.apply(&obs), Some(4.0));
        assert_eq!(Aggregation::Sum.apply(&obs), Some(15.0));
        assert_eq!(Aggregation::Avg.apply(&obs), Some(5.0));
        assert_eq!(Aggregation::Max.apply(&obs), Some(10.0));
        assert_eq!(Aggregation::Sum.apply(&[]), None);
    }

    #[test]
    fn tenure_in_whole_months() {
        assert_eq!(whole_months(d(2024, 7, 1), d(2026, 10, 1)), Some(27));
        assert_eq!(whole_months(d(2024, 7, 15), d(2026, 10, 1)), Some(26));
        assert_eq!(whole_months(d(2024, 7, 15), d(2024, 7, 15)), Some(0));
        assert_eq!(whole_months(d(2024, 7, 15), d(2024, 7, 1)), None);
    }

    #[test]
    fn custom_metrics_are_checked() {
        let m = NewMetric {
            key: "Bad Key".into(),
            name: " ".into(),
            description: Some("x".repeat(2001)),
            unit: Unit::Count,
            aggregation: Aggregation::Sum,
            kind: None,
            direction: Direction::HigherIsBetter,
            category: Category::Usage,
            horizon: Horizon::Future,
        };
        assert_eq!(
            m.check().unwrap_err().fields(),
            ["key", "name", "description"]
        );
    }
}
