//! The built-in frameworks, prioritisation policies, metrics and metric sets: data shipped with the
//! binary (`builtin/builtin.json`) and read like custom ones, not code paths.

use std::sync::LazyLock;

use serde::Deserialize;

use super::framework::Framework;
use super::metric::MetricDefinition;
use super::metric_set::MetricSet;
use super::prioritization::Policy;

#[derive(Deserialize)]
struct Catalogue {
    frameworks: Vec<Framework>,
    policies: Vec<Policy>,
    metrics: Vec<MetricDefinition>,
    metric_sets: Vec<MetricSet>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    serde_json::from_str(include_str!("builtin/builtin.json"))
        .expect("the built-in catalogue is valid JSON (checked by its tests)")
});

/// The built-in frameworks, each at version 1.
pub fn frameworks() -> &'static [Framework] {
    &CATALOGUE.frameworks
}

pub fn framework(key: &str) -> Option<&'static Framework> {
    frameworks().iter().find(|f| f.key == key)
}

pub fn policies() -> &'static [Policy] {
    &CATALOGUE.policies
}

/// The built-in metric definitions (DESIGN §3.7); their keys are contracts.
pub fn metrics() -> &'static [MetricDefinition] {
    &CATALOGUE.metrics
}

pub fn metric(key: &str) -> Option<&'static MetricDefinition> {
    metrics().iter().find(|m| m.key == key)
}

/// `qbr_traditional` and `qbr_future`.
pub fn metric_sets() -> &'static [MetricSet] {
    &CATALOGUE.metric_sets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::framework::{Attainment, Evaluation, Scores};
    use crate::domain::prioritization::Known;

    #[test]
    fn every_builtin_framework_is_valid() {
        assert_eq!(frameworks().len(), 7);
        for f in frameworks() {
            assert_eq!(f.validate(), Ok(()), "{}", f.key);
        }
        let default = &policies()[0];
        assert_eq!(default.key, "default");
        let known = Known {
            matrices: frameworks()
                .iter()
                .flat_map(|f| f.matrices.iter().map(|m| m.key.clone()))
                .collect(),
            ..Known::default()
        };
        assert_eq!(default.validate(&known), Ok(()));
        let weighed: Vec<String> = default.weighed().iter().map(|(w, _)| w.name()).collect();
        assert_eq!(
            weighed,
            [
                "readiness",
                "purpose_intent",
                "people",
                "process",
                "technology"
            ]
        );
        assert_eq!(
            default.tier_keys(),
            [
                "high_touch",
                "standard",
                "low_touch",
                "unassessed",
                "no_proactive_support"
            ]
        );
    }

    #[test]
    fn builtin_metrics_and_sets() {
        use crate::domain::metric::{Derivation, Horizon, Source};
        use std::collections::BTreeMap;
        let keys: Vec<&str> = metrics().iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys.len(), 22);
        for m in metrics() {
            assert_eq!(
                m.source == Source::Derived,
                Derivation::of(&m.key).is_some(),
                "{}",
                m.key
            );
        }
        let known: BTreeMap<String, _> = metrics()
            .iter()
            .map(|m| (m.key.clone(), m.direction))
            .collect();
        let sets: Vec<&str> = metric_sets().iter().map(|s| s.key.as_str()).collect();
        assert_eq!(sets, ["qbr_traditional", "qbr_future"]);
        for (set, horizon) in metric_sets()
            .iter()
            .zip([Horizon::Traditional, Horizon::Future])
        {
            assert_eq!(set.validate(&known), Ok(()), "{}", set.key);
            let of_horizon: Vec<&str> = metrics()
                .iter()
                .filter(|m| m.horizon == horizon)
                .map(|m| m.key.as_str())
                .collect();
            let listed: Vec<&str> = set.metrics.iter().map(|m| m.metric.as_str()).collect();
            assert_eq!(listed, of_horizon, "{}", set.key);
        }
    }

    /// Every cell of every built-in matrix, at low (2) and high (9) scores.
    #[test]
    fn every_builtin_cell() {
        let table = [
            ("readiness", ["wanderer", "dreamer", "soldier", "achiever"]),
            (
                "purpose_intent",
                ["disengaged", "unactivated", "directionless", "committed"],
            ),
            (
                "people",
                ["resistant", "learner", "reluctant_expert", "champion"],
            ),
            (
                "process",
                ["backwater", "fortress", "nice_to_have", "strategic_opening"],
            ),
            ("technology", ["quick_win", "grind", "tricky", "heavy_lift"]),
        ];
        for (key, cells) in table {
            let f = framework(key).unwrap();
            let m = f.matrix(key).unwrap();
            for (i, (x, y)) in [(2.0, 2.0), (9.0, 2.0), (2.0, 9.0), (9.0, 9.0)]
                .into_iter()
                .enumerate()
            {
                let scores: Scores = [(m.x.clone(), x), (m.y.clone(), y)].into();
                let e = f.evaluate(&scores).unwrap();
                assert_eq!(
                    e.classifications[0].1.cell.key, cells[i],
                    "{key} at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn the_cut_point_is_five_and_a_half() {
        let f = framework("readiness").unwrap();
        let cell = |x: f64| {
            let scores: Scores =
                [("goal_clarity".to_owned(), x), ("priority".to_owned(), 1.0)].into();
            f.evaluate(&scores).unwrap().classifications[0]
                .1
                .cell
                .key
                .clone()
        };
        assert_eq!(cell(5.0), "wanderer");
        assert_eq!(cell(5.5), "dreamer");
        assert_eq!(cell(6.0), "dreamer");
    }

    #[test]
    fn technology_closeness_at_two_two() {
        let f = framework("technology").unwrap();
        let scores: Scores = [("effort".to_owned(), 2.0), ("complexity".to_owned(), 2.0)].into();
        let c = &f.evaluate(&scores).unwrap().classifications[0].1;
        assert_eq!(c.cell.key, "quick_win");
        assert!((c.closeness - 0.8889).abs() < 1e-4);
    }

    #[test]
    fn success_equation_and_hierarchy_from_the_catalogue() {
        let f = framework("success_equation").unwrap();
        let scores: Scores = [
            ("product_quality", 8.0),
            ("outcome_clarity", 9.0),
            ("enablement", 7.0),
            ("guidance", 6.0),
            ("relationship_trust", 3.0),
            ("business_need", 8.0),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
        let e = f.evaluate(&scores).unwrap();
        let values: Vec<(String, f64)> = e
            .equations
            .iter()
            .map(|r| (r.key.clone(), (r.value * 1e4).round() / 1e4))
            .collect();
        assert_eq!(
            values,
            [
                ("adoption".into(), 0.7222),
                ("renewal".into(), 0.2222),
                ("expansion".into(), 0.2222)
            ]
        );

        let h = framework("org_hierarchy").unwrap();
        let scores: Scores = h
            .dimensions
            .iter()
            .map(|d| d.key.clone())
            .zip([7.0, 8.0, 4.0, 9.0, 9.0])
            .collect();
        let evaluation = h.evaluate(&scores).unwrap();
        let r = evaluation.hierarchy.as_ref().unwrap();
        assert_eq!(
            (r.attained_level, r.next_focus.as_deref()),
            (2, Some("culture"))
        );

        // A ranking reads only the values and the level out of the stored results.
        let read = |e: &Evaluation| -> Attainment {
            serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap()
        };
        let equations: Vec<(String, f64)> = read(&e)
            .equations
            .into_iter()
            .map(|v| (v.key, v.value))
            .collect();
        let full: Vec<(String, f64)> = e.equations.into_iter().map(|r| (r.key, r.value)).collect();
        assert_eq!(equations, full);
        let level = read(&evaluation).hierarchy.unwrap();
        assert_eq!((level.attained_level, level.levels()), (2, 5));
    }

    #[test]
    fn scores_are_checked() {
        let f = framework("readiness").unwrap();
        let scores: Scores = [
            ("goal_clarity".to_owned(), 11.0),
            ("colour".to_owned(), 3.0),
        ]
        .into();
        assert_eq!(
            f.check_scores(&scores).unwrap_err().fields(),
            ["scores.goal_clarity", "scores.priority", "scores.colour"]
        );
    }
}
