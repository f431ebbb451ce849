//! Prioritisation: which accounts deserve high-touch support, from how close
//! they sit to success on the matrices a policy weighs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
pub struct WeightedMatrix {
    pub matrix: String,
    pub weight: f64,
}

/// Priority at or above `min` earns `tier`; cut points are tried from the highest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierCut {
    pub min: f64,
    pub tier: Tier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}
