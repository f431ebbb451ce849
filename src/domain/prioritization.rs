//! Prioritisation: which accounts deserve high-touch support, from how close
//! they sit to success on the matrices a policy weighs.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::framework::is_key;
use super::matrix::{Corner, closeness};
use super::validation::{Invalid, check_text};

str_enum! {
    /// The support an account's priority earns it.
    pub enum Tier {
        HighTouch = "high_touch",
        Standard = "standard",
        LowTouch = "low_touch",
        Unassessed = "unassessed",
    }
}

/// A matrix's weight in a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedMatrix {
    pub matrix: String,
    pub weight: f64,
}

/// Priority at or above `min` earns `tier`; cut points are tried from the highest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierCut {
    pub min: f64,
    pub tier: Tier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub key: String,
    pub label: String,
    pub matrices: Vec<WeightedMatrix>,
    /// Highest first; a priority below every cut is `low_touch`.
    pub tiers: Vec<TierCut>,
}

/// An account's priority under a policy, with what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    /// `Σ w·closeness / Σ w` over matrices with data; `None` without any.
    pub score: Option<f64>,
    /// Share of the policy's matrices with data.
    pub coverage: f64,
    pub tier: Tier,
    /// The closeness behind the score, per matrix with data.
    pub closeness: BTreeMap<String, f64>,
}

impl Policy {
    /// Checks a definition against the matrices the workspace has, naming every bad field.
    pub fn validate(&self, known_matrices: &BTreeSet<String>) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !is_key(&self.key) {
            e.push(
                "key",
                "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
            );
        }
        check_text(&mut e, "label", &self.label, 200);
        if self.matrices.is_empty() {
            e.push("matrices", "must list at least one matrix");
        }
        let mut seen = BTreeSet::new();
        for (i, m) in self.matrices.iter().enumerate() {
            if !known_matrices.contains(&m.matrix) {
                e.push(
                    format!("matrices[{i}].matrix"),
                    format!("{:?} is not a matrix", m.matrix),
                );
            } else if !seen.insert(&m.matrix) {
                e.push(
                    format!("matrices[{i}].matrix"),
                    format!("{:?} is used twice", m.matrix),
                );
            }
            if !(m.weight.is_finite() && m.weight > 0.0) {
                e.push(format!("matrices[{i}].weight"), "must be a number > 0");
            }
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if !(0.0..=1.0).contains(&t.min) {
                e.push(format!("tiers[{i}].min"), "must be between 0 and 1");
            }
            if t.tier == Tier::Unassessed {
                e.push(
                    format!("tiers[{i}].tier"),
                    "unassessed is for accounts without data",
                );
            }
        }
        if self.tiers.windows(2).any(|w| w[0].min <= w[1].min) {
            e.push("tiers", "cut points must strictly decrease, highest first");
        }
        e.into_result()
    }

    /// `closeness` holds the account's closeness on each matrix it has data for.
    pub fn prioritize(&self, closeness: &BTreeMap<String, f64>) -> Priority {
        let used: Vec<(&WeightedMatrix, f64)> = self
            .matrices
            .iter()
            .filter_map(|m| closeness.get(&m.matrix).map(|c| (m, *c)))
            .collect();
        let weight: f64 = used.iter().map(|(m, _)| m.weight).sum();
        let score =
            (weight > 0.0).then(|| used.iter().map(|(m, c)| m.weight * c).sum::<f64>() / weight);
        let coverage = if self.matrices.is_empty() {
            0.0
        } else {
            used.len() as f64 / self.matrices.len() as f64
        };
        let tier = match score {
            None => Tier::Unassessed,
            Some(s) => self
                .tiers
                .iter()
                .find(|t| s >= t.min)
                .map_or(Tier::LowTouch, |t| t.tier),
        };
        Priority {
            score,
            coverage,
            tier,
            closeness: used.iter().map(|(m, c)| (m.matrix.clone(), *c)).collect(),
        }
    }
}

/// Each account's closeness per matrix, from its subjects' current points:
/// the closeness of their mean point to the matrix's optimal corner (an
/// account matrix has one subject per account; a stakeholder matrix averages
/// the account's assessed stakeholders). Matrices without a corner are skipped.
pub fn account_closeness<A: Eq + Hash>(
    points: impl IntoIterator<Item = (A, String, (f64, f64))>,
    corners: &HashMap<String, Corner>,
) -> HashMap<A, BTreeMap<String, f64>> {
    let mut sums: HashMap<A, BTreeMap<String, (f64, f64, u32)>> = HashMap::new();
    for (account, matrix, (x, y)) in points {
        let s = sums.entry(account).or_default().entry(matrix).or_default();
        *s = (s.0 + x, s.1 + y, s.2 + 1);
    }
    sums.into_iter()
        .map(|(account, by_matrix)| {
            let values = by_matrix
                .into_iter()
                .filter_map(|(m, (x, y, n))| {
                    let corner = corners.get(&m)?;
                    let mean = (x / f64::from(n), y / f64::from(n));
                    Some((m, closeness(mean, *corner)))
                })
                .collect();
            (account, values)
        })
        .collect()
}

/// Ranking order: highest score first, accounts without data last; ties go
/// to the better-covered account.
pub fn ranking(a: &Priority, b: &Priority) -> Ordering {
    match (a.score, b.score) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(b.coverage.total_cmp(&a.coverage)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_policy() -> Policy {
        let m = |k: &str, w: f64| WeightedMatrix {
            matrix: k.into(),
            weight: w,
        };
        Policy {
            key: "default".into(),
            label: "Default".into(),
            matrices: vec![
                m("readiness", 2.0),
                m("purpose_intent", 1.0),
                m("process", 1.0),
                m("technology", 1.0),
            ],
            tiers: vec![
                TierCut {
                    min: 0.7,
                    tier: Tier::HighTouch,
                },
                TierCut {
                    min: 0.4,
                    tier: Tier::Standard,
                },
            ],
        }
    }

    fn closeness(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn weighted_over_matrices_with_data() {
        let p = default_policy().prioritize(&closeness(&[("readiness", 0.9), ("technology", 0.3)]));
        assert!(
            (p.score.unwrap() - 0.7).abs() < 1e-12,
            "(2·0.9 + 0.3)/3 = 0.7"
        );
        assert_eq!(p.coverage, 0.5);
        assert_eq!(p.tier, Tier::HighTouch);
    }

    #[test]
    fn tier_edges() {
        let policy = default_policy();
        let tier = |c: f64| policy.prioritize(&closeness(&[("process", c)])).tier;
        assert_eq!(tier(0.7), Tier::HighTouch);
        assert_eq!(tier(0.6999), Tier::Standard);
        assert_eq!(tier(0.4), Tier::Standard);
        assert_eq!(tier(0.3999), Tier::LowTouch);
        let none = policy.prioritize(&BTreeMap::new());
        assert_eq!(
            (none.score, none.coverage, none.tier),
            (None, 0.0, Tier::Unassessed)
        );
    }

    #[test]
    fn a_policy_names_every_bad_field() {
        let known: BTreeSet<String> = ["readiness".to_owned(), "process".to_owned()].into();
        assert_eq!(default_policy().validate(&known).unwrap_err().0.len(), 2);
        let mut p = default_policy();
        p.key = "Bad Key".into();
        p.matrices = vec![
            WeightedMatrix {
                matrix: "readiness".into(),
                weight: 0.0,
            },
            WeightedMatrix {
                matrix: "readiness".into(),
                weight: 1.0,
            },
        ];
        p.tiers[1].min = 0.9;
        assert_eq!(
            p.validate(&known).unwrap_err().fields(),
            ["key", "matrices[0].weight", "matrices[1].matrix", "tiers"]
        );
    }

    #[test]
    fn ranking_puts_unassessed_last() {
        let policy = default_policy();
        let mut ps = [
            policy.prioritize(&BTreeMap::new()),
            policy.prioritize(&closeness(&[("process", 0.5)])),
            policy.prioritize(&closeness(&[("process", 0.5), ("technology", 0.5)])),
            policy.prioritize(&closeness(&[("process", 0.9)])),
        ];
        ps.sort_by(ranking);
        let order: Vec<(Option<f64>, f64)> = ps.iter().map(|p| (p.score, p.coverage)).collect();
        assert_eq!(
            order,
            [
                (Some(0.9), 0.25),
                (Some(0.5), 0.5),
                (Some(0.5), 0.25),
                (None, 0.0)
            ]
        );
    }

    #[test]
    fn stakeholders_are_averaged_before_closeness() {
        use crate::domain::matrix::End;
        let corners: HashMap<String, Corner> = [(
            "purpose_intent".to_owned(),
            Corner {
                x: End::High,
                y: End::High,
            },
        )]
        .into();
        let points = [
            (1, "purpose_intent".to_owned(), (1.0, 1.0)),
            (1, "purpose_intent".to_owned(), (0.0, 1.0)),
            (2, "purpose_intent".to_owned(), (1.0, 1.0)),
            (2, "unknown".to_owned(), (0.0, 0.0)),
        ];
        let c = account_closeness(points, &corners);
        // Mean (0.5, 1): 1 − 0.5/√2 = 0.646447.
        assert!((c[&1]["purpose_intent"] - 0.646_446_609_406_726_3).abs() < 1e-12);
        assert_eq!(c[&2].len(), 1, "a matrix without a corner is skipped");
        assert_eq!(c[&2]["purpose_intent"], 1.0);
    }
}
