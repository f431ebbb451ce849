//! The organisation's hierarchy of needs: levels from base to apex, each met
//! when its score is high; an organisation stands on the highest level whose
//! whole foundation is met, and works next on the first unmet one.

use serde::{Deserialize, Serialize};

use super::matrix::band;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hierarchy {
    pub key: String,
    pub label: String,
    /// Dimension keys from base to apex.
    pub levels: Vec<String>,
    /// A level is met at or above this score.
    pub cut: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelState {
    pub key: String,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HierarchyResult {
    /// 1-based level reached with every level below it met; 0 when the base is unmet.
    pub attained_level: usize,
    /// The first unmet level from the base; `None` when all are met.
    pub next_focus: Option<String>,
    pub levels: Vec<LevelState>,
}

impl Hierarchy {
    /// `score(level)` gives each level's score.
    pub fn assess(&self, score: impl Fn(&str) -> f64) -> HierarchyResult {
        let levels: Vec<LevelState> = self
            .levels
            .iter()
            .map(|k| LevelState {
                key: k.clone(),
                met: band(&[self.cut], score(k)) == 1,
            })
            .collect();
        let attained_level = levels.iter().take_while(|l| l.met).count();
        let next_focus = levels.iter().find(|l| !l.met).map(|l| l.key.clone());
        HierarchyResult {
            attained_level,
            next_focus,
            levels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Hierarchy {
        Hierarchy {
            key: "org_hierarchy".into(),
            label: "Organisation's hierarchy of needs".into(),
            levels: [
                "business_model",
                "technology_and_space",
                "culture",
                "performance_and_learning",
                "creativity_and_innovation",
            ]
            .map(String::from)
            .to_vec(),
            cut: 5.5,
        }
    }

    fn assess(scores: [f64; 5]) -> HierarchyResult {
        let h = org();
        h.assess(|k| scores[h.levels.iter().position(|l| l == k).unwrap()])
    }

    #[test]
    fn the_design_example() {
        let r = assess([7.0, 8.0, 4.0, 9.0, 9.0]);
        assert_eq!(r.attained_level, 2);
        assert_eq!(r.next_focus.as_deref(), Some("culture"));
        assert_eq!(
            r.levels.iter().map(|l| l.met).collect::<Vec<_>>(),
            [true, true, false, true, true]
        );
    }

    #[test]
    fn none_and_all() {
        let r = assess([5.0, 9.0, 9.0, 9.0, 9.0]);
        assert_eq!(
            (r.attained_level, r.next_focus.as_deref()),
            (0, Some("business_model"))
        );
        let r = assess([5.5; 5]);
        assert_eq!((r.attained_level, r.next_focus), (5, None));
    }
}
