//! Metric sets: which metrics a review looks at, in which order, against
//! which targets and thresholds; and how they add up to one health score.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::framework::is_key;
use super::metric::Direction;
use super::validation::{Invalid, check_opt_text, check_text};

/// Health at or above this is green.
pub const GREEN_HEALTH: f64 = 70.0;
/// Health at or above this (and below green) is amber.
pub const AMBER_HEALTH: f64 = 40.0;
/// Below this share (percent) of its rated metrics with data, a health has
/// too little under it for a colour: it is `insufficient_data`.
pub const MIN_COVERAGE: f64 = 50.0;
pub const MAX_SET_METRICS: usize = 100;

str_enum! {
    /// Red, amber, green, or no data to tell.
    pub enum Rag {
        Green = "green",
        Amber = "amber",
        Red = "red",
        NoData = "no_data",
        InsufficientData = "insufficient_data",
    }
}

fn default_weight() -> f64 {
    1.0
}

/// One metric of a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMetric {
    /// A metric definition's key.
    pub metric: String,
    /// What the customer aims for; gives the target attainment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Its weight in the health score (> 0; default 1).
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Value at or beyond which the metric scores 100 (green); with `red_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_at: Option<f64>,
    /// Value at or beyond which the metric scores 0 (red); with `green_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_at: Option<f64>,
}

/// An ordered list of metrics reviewed together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSet {
    pub key: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub metrics: Vec<SetMetric>,
}

/// Where a value sits between its thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// 0–100.
    pub score: f64,
    pub rag: Rag,
}

/// The weighted health of a set's metrics with data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Health {
    /// `None` when no rated metric has data.
    pub score: Option<f64>,
    pub colour: Rag,
    /// Percent of the rated metrics with data: how much the score rests on.
    /// `None` when the set rates no metric.
    pub coverage: Option<f64>,
}

impl MetricSet {
    /// Checks a definition against the workspace's metrics (key → direction).
    pub fn validate(&self, known: &BTreeMap<String, Direction>) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !is_key(&self.key) {
            e.push(
                "key",
                "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
            );
        }
        check_text(&mut e, "label", &self.label, 200);
        check_opt_text(&mut e, "description", self.description.as_deref(), 2000);
        if self.metrics.is_empty() || self.metrics.len() > MAX_SET_METRICS {
            e.push(
                "metrics",
                format!("must list 1 to {MAX_SET_METRICS} metrics"),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            let at = |f: &str| format!("metrics[{i}].{f}");
            match known.get(&m.metric) {
                None => e.push(at("metric"), format!("{:?} is not a metric", m.metric)),
                Some(_) if !seen.insert(&m.metric) => {
                    e.push(at("metric"), format!("{:?} is used twice", m.metric))
                }
                Some(direction) => m.check_thresholds(*direction, &mut e, &at),
            }
            if !(m.weight.is_finite() && m.weight > 0.0) {
                e.push(at("weight"), "must be a number > 0");
            }
            if m.target.is_some_and(|t| !t.is_finite()) {
                e.push(at("target"), "must be a finite number");
            }
        }
        e.into_result()
    }
}

impl SetMetric {
    fn check_thresholds(&self, direction: Direction, e: &mut Invalid, at: &dyn Fn(&str) -> String) {
        match (self.green_at, self.red_at) {
            (None, None) => {}
            (Some(_), None) => e.push(at("red_at"), "is required with green_at"),
            (None, Some(_)) => e.push(at("green_at"), "is required with red_at"),
            (Some(g), Some(r)) if g == r => e.push(at("green_at"), "must differ from red_at"),
            (Some(g), Some(r)) => {
                let ordered = match direction {
                    Direction::HigherIsBetter => g > r,
                    Direction::LowerIsBetter => g < r,
                };
                if !ordered {
                    e.push(
                        at("green_at"),
                        match direction {
                            Direction::HigherIsBetter => {
                                "must be above red_at: higher is better for this metric"
                            }
                            Direction::LowerIsBetter => {
                                "must be below red_at: lower is better for this metric"
                            }
                        },
                    );
                }
            }
        }
    }

    /// 100 at or beyond `green_at`, 0 at or beyond `red_at`, linear between;
    /// `None` without thresholds.
    /// Whether the metric counts in the health: it has both thresholds.
    pub fn is_rated(&self) -> bool {
        self.green_at.is_some() && self.red_at.is_some()
    }

    pub fn rate(&self, value: f64) -> Option<Rating> {
        let (green, red) = (self.green_at?, self.red_at?);
        let beyond = |v: f64, edge: f64, toward: f64| {
            if toward > edge {
                v >= toward
            } else {
                v <= toward
            }
        };
        Some(if beyond(value, red, green) {
            Rating {
                score: 100.0,
                rag: Rag::Green,
            }
        } else if beyond(value, green, red) {
            Rating {
                score: 0.0,
                rag: Rag::Red,
            }
        } else {
            Rating {
                score: (value - red) / (green - red) * 100.0,
                rag: Rag::Amber,
            }
        })
    }
}

/// How much of `target` a value attains, 0–1 (1 = met or beaten).
pub fn attainment(value: f64, target: f64, direction: Direction) -> f64 {
    match direction {
        Direction::HigherIsBetter if value >= target => 1.0,
        Direction::HigherIsBetter if target > 0.0 => (value / target).max(0.0),
        Direction::LowerIsBetter if value <= target => 1.0,
        Direction::LowerIsBetter if target >= 0.0 => target / value,
        _ => 0.0,
    }
}

/// Weighted mean of the scores of rated metrics with data, from every rated
/// metric's `(weight, score)` (`None` without data). A score resting on less
/// than [`MIN_COVERAGE`] of the rated metrics gets no colour: a green over
/// mostly missing data would mislead.
pub fn health(rated: impl IntoIterator<Item = (f64, Option<f64>)>) -> Health {
    let (mut weights, mut sum, mut with_data, mut all) = (0.0, 0.0, 0u32, 0u32);
    for (w, s) in rated {
        all += 1;
        if let Some(s) = s {
            with_data += 1;
            weights += w;
            sum += w * s;
        }
    }
    let score = (weights > 0.0).then(|| sum / weights);
    let coverage = (all > 0).then(|| f64::from(with_data) / f64::from(all) * 100.0);
    let colour = match score {
        None => Rag::NoData,
        Some(_) if coverage.is_some_and(|c| c < MIN_COVERAGE) => Rag::InsufficientData,
        Some(s) if s >= GREEN_HEALTH => Rag::Green,
        Some(s) if s >= AMBER_HEALTH => Rag::Amber,
        Some(_) => Rag::Red,
    };
    Health {
        score,
        colour,
        coverage,
    }
}

/// Worst first: red before amber before green by score, no data last.
pub fn worst_first(a: &Health, b: &Health) -> std::cmp::Ordering {
    match (a.score, b.score) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rated(green: f64, red: f64) -> SetMetric {
        SetMetric {
            metric: "m".into(),
            target: None,
            weight: 1.0,
            green_at: Some(green),
            red_at: Some(red),
        }
    }

    #[test]
    fn rag_edges_for_both_directions() {
        let up = rated(80.0, 40.0);
        let r = |m: &SetMetric, v| m.rate(v).map(|r| (r.score, r.rag));
        assert_eq!(r(&up, 80.0), Some((100.0, Rag::Green)));
        assert_eq!(r(&up, 95.0), Some((100.0, Rag::Green)));
        assert_eq!(r(&up, 40.0), Some((0.0, Rag::Red)));
        assert_eq!(r(&up, 10.0), Some((0.0, Rag::Red)));
        assert_eq!(r(&up, 50.0), Some((25.0, Rag::Amber)));
        let down = rated(2.0, 10.0);
        assert_eq!(r(&down, 2.0), Some((100.0, Rag::Green)));
        assert_eq!(r(&down, 10.0), Some((0.0, Rag::Red)));
        assert_eq!(r(&down, 4.0), Some((75.0, Rag::Amber)));
        let unrated = SetMetric {
            green_at: None,
            red_at: None,
            ..up
        };
        assert_eq!(unrated.rate(3.0), None);
    }

    #[test]
    fn health_colours() {
        assert_eq!(health([(1.0, Some(70.0))]).colour, Rag::Green);
        assert_eq!(health([(1.0, Some(69.9))]).colour, Rag::Amber);
        assert_eq!(health([(1.0, Some(40.0))]).colour, Rag::Amber);
        assert_eq!(health([(1.0, Some(39.9))]).colour, Rag::Red);
        assert_eq!(
            health([]),
            Health {
                score: None,
                colour: Rag::NoData,
                coverage: None,
            }
        );
        let h = health([(2.0, Some(100.0)), (1.0, Some(25.0))]);
        assert_eq!((h.score, h.coverage), (Some(75.0), Some(100.0)));
    }

    /// 3 of 11 rated metrics with data (27.3 %) is too little for a colour;
    /// half of them is enough.
    #[test]
    fn health_below_half_coverage_has_no_colour() {
        let mut rated = vec![(1.0, Some(100.0)); 3];
        rated.extend([(1.0, None); 8]);
        let h = health(rated);
        assert_eq!((h.score, h.colour), (Some(100.0), Rag::InsufficientData));
        assert!((h.coverage.unwrap() - 300.0 / 11.0).abs() < 1e-9);
        let half = health([(1.0, Some(100.0)), (3.0, None)]);
        assert_eq!((half.colour, half.coverage), (Rag::Green, Some(50.0)));
        let none = health([(1.0, None), (1.0, None)]);
        assert_eq!(
            (none.score, none.colour, none.coverage),
            (None, Rag::NoData, Some(0.0))
        );
    }

    #[test]
    fn attainment_by_direction() {
        use Direction::*;
        assert_eq!(attainment(50.0, 100.0, HigherIsBetter), 0.5);
        assert_eq!(attainment(120.0, 100.0, HigherIsBetter), 1.0);
        assert_eq!(attainment(-5.0, 100.0, HigherIsBetter), 0.0);
        assert_eq!(attainment(-0.1, 0.0, HigherIsBetter), 0.0);
        assert_eq!(attainment(10.0, 5.0, LowerIsBetter), 0.5);
        assert_eq!(attainment(0.0, 5.0, LowerIsBetter), 1.0);
    }

    #[test]
    fn sets_are_checked_against_known_metrics() {
        let known: BTreeMap<String, Direction> = [
            ("arr".to_owned(), Direction::HigherIsBetter),
            ("open_support_cases".to_owned(), Direction::LowerIsBetter),
        ]
        .into();
        let set = MetricSet {
            key: "mine".into(),
            label: "Mine".into(),
            description: None,
            metrics: vec![
                rated(5.0, 5.0),
                SetMetric {
                    metric: "arr".into(),
                    ..rated(1.0, 2.0)
                },
                SetMetric {
                    metric: "open_support_cases".into(),
                    weight: -1.0,
                    ..rated(1.0, 2.0)
                },
                SetMetric {
                    metric: "arr".into(),
                    green_at: None,
                    ..rated(1.0, 2.0)
                },
            ],
        };
        assert_eq!(
            set.validate(&known).unwrap_err().fields(),
            [
                "metrics[0].metric",
                "metrics[1].green_at",
                "metrics[2].weight",
                "metrics[3].metric"
            ]
        );
        let equal = MetricSet {
            metrics: vec![SetMetric {
                metric: "arr".into(),
                ..rated(3.0, 3.0)
            }],
            ..set
        };
        assert_eq!(
            equal.validate(&known).unwrap_err().fields(),
            ["metrics[0].green_at"]
        );
    }

    proptest! {
        /// A score stays in [0, 100] and never falls as the value improves.
        #[test]
        fn scores_are_bounded_and_monotone(g in -100.0f64..100.0, gap in 0.01f64..50.0, a in -200.0f64..200.0, b in -200.0f64..200.0) {
            for m in [rated(g, g - gap), rated(g, g + gap)] {
                let (lo, hi) = if m.green_at > m.red_at { (a.min(b), a.max(b)) } else { (a.max(b), a.min(b)) };
                let (s_lo, s_hi) = (m.rate(lo).unwrap().score, m.rate(hi).unwrap().score);
                prop_assert!((0.0..=100.0).contains(&s_lo) && (0.0..=100.0).contains(&s_hi));
                prop_assert!(s_lo <= s_hi + 1e-9);
            }
        }

        #[test]
        fn attainment_is_a_share(v in -1e6f64..1e6, t in -1e6f64..1e6) {
            for d in [Direction::HigherIsBetter, Direction::LowerIsBetter] {
                let a = attainment(v, t, d);
                prop_assert!((0.0..=1.0).contains(&a), "{a}");
            }
        }
    }
}
