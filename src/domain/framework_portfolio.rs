//! A whole framework across the book of business: how each equation's value
//! is spread and what blocks it, where accounts stand on the hierarchy and
//! what they work on next, and who sits in each matrix cell — from each
//! subject's latest assessment, so a CS lead sees where to spend effort on
//! adoption, renewal and expansion, not only on a matrix.

use std::collections::BTreeMap;

use super::framework::{Evaluation, Framework};
use super::hierarchy::Hierarchy;

/// Equation values are counted in these many bands of equal width over [0, 1].
pub const BANDS: usize = 5;

/// The label of level 0.
const NO_LEVEL: &str = "No level met";

/// How many subjects have an equation's value within `[from, to)` (the last
/// band includes 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// An equation across the book.
#[derive(Debug, Clone, PartialEq)]
pub struct EquationSpread {
    pub key: String,
    pub label: String,
    /// Subjects whose latest assessment has a value for it.
    pub assessed: u64,
    /// Their mean value; `None` when nobody has one.
    pub mean: Option<f64>,
    pub bands: Vec<Band>,
    /// Subjects with at least one term below its floor.
    pub blocked: u64,
    /// How many subjects each term blocks, most first, then by key.
    pub blocked_by: Vec<(String, u64)>,
}

/// One level of the hierarchy across the book.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelCount {
    /// 0 stands for "not even the base is met" and has no key.
    pub level: usize,
    pub key: Option<String>,
    /// The level's dimension label; "No level met" for level 0.
    pub label: String,
    /// Subjects standing exactly on this level.
    pub attained: u64,
    /// Subjects whose next focus is this level.
    pub next_focus: u64,
}

/// The hierarchy across the book; `levels` runs from 0 (none) to the apex.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchySpread {
    pub key: String,
    pub label: String,
    pub assessed: u64,
    pub levels: Vec<LevelCount>,
    /// Subjects with every level met, so no next focus.
    pub at_apex: u64,
}

/// A matrix across the book: subjects per cell, in the matrix's order, then
/// any cell an older version of the framework had.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSpread {
    pub matrix: String,
    pub cells: Vec<(String, u64)>,
}

/// Everything a framework computes, counted over the book.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkSpread {
    /// Subjects with an assessment on the framework.
    pub total: u64,
    pub matrices: Vec<CellSpread>,
    pub equations: Vec<EquationSpread>,
    pub hierarchy: Option<HierarchySpread>,
}

/// Counts the framework's current models over each subject's latest
/// evaluation. A result for a model the current version no longer has is
/// left out; one the evaluation lacks (an older version) is not counted.
pub fn spread<'a>(
    framework: &Framework,
    evaluations: impl IntoIterator<Item = &'a Evaluation>,
) -> FrameworkSpread {
    let evaluations: Vec<&Evaluation> = evaluations.into_iter().collect();
    FrameworkSpread {
        total: evaluations.len() as u64,
        matrices: framework
            .matrices
            .iter()
            .map(|m| cell_spread(&m.key, m.cells.iter().map(|c| c.key.as_str()), &evaluations))
            .collect(),
        equations: framework
            .equations
            .iter()
            .map(|e| equation_spread(&e.key, &e.label, &evaluations))
            .collect(),
        hierarchy: framework
            .hierarchy
            .as_ref()
            .map(|h| hierarchy_spread(framework, h, &evaluations)),
    }
}

fn cell_spread<'a>(
    matrix: &str,
    cells: impl Iterator<Item = &'a str>,
    evaluations: &[&Evaluation],
) -> CellSpread {
    let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, c) in evaluations
        .iter()
        .flat_map(|e| &e.classifications)
        .filter(|(m, _)| m == matrix)
    {
        *counted.entry(c.cell.key.as_str()).or_default() += 1;
    }
    let mut out: Vec<(String, u64)> = cells
        .map(|c| (c.to_owned(), counted.remove(c).unwrap_or(0)))
        .collect();
    out.extend(counted.into_iter().map(|(c, n)| (c.to_owned(), n)));
    CellSpread {
        matrix: matrix.to_owned(),
        cells: out,
    }
}

/// The band a value falls in: `[k/BANDS, (k+1)/BANDS)`, the last closed.
fn band_of(value: f64) -> usize {
    ((value.clamp(0.0, 1.0) * BANDS as f64) as usize).min(BANDS - 1)
}

fn equation_spread(key: &str, label: &str, evaluations: &[&Evaluation]) -> EquationSpread {
    let results: Vec<_> = evaluations
        .iter()
        .filter_map(|e| e.equations.iter().find(|r| r.key == key))
        .collect();
    let mut bands: Vec<Band> = (0..BANDS)
        .map(|k| Band {
            from: k as f64 / BANDS as f64,
            to: (k + 1) as f64 / BANDS as f64,
            count: 0,
        })
        .collect();
    let mut blocked_by: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &results {
        bands[band_of(r.value)].count += 1;
        for term in &r.blocked_by {
            *blocked_by.entry(term).or_default() += 1;
        }
    }
    let mut blocked_by: Vec<(String, u64)> = blocked_by
        .into_iter()
        .map(|(t, n)| (t.to_owned(), n))
        .collect();
    blocked_by.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let assessed = results.len() as u64;
    EquationSpread {
        key: key.to_owned(),
        label: label.to_owned(),
        assessed,
        mean: (assessed > 0)
            .then(|| results.iter().map(|r| r.value).sum::<f64>() / assessed as f64),
        bands,
        blocked: results.iter().filter(|r| !r.blocked_by.is_empty()).count() as u64,
        blocked_by,
    }
}

fn hierarchy_spread(f: &Framework, h: &Hierarchy, evaluations: &[&Evaluation]) -> HierarchySpread {
    let mut out: Vec<LevelCount> = std::iter::once(None)
        .chain(h.levels.iter().map(Some))
        .enumerate()
        .map(|(level, key)| LevelCount {
            level,
            key: key.cloned(),
            label: key
                .map_or(NO_LEVEL, |k| f.dimension(k).map_or(k, |d| &d.label))
                .to_owned(),
            attained: 0,
            next_focus: 0,
        })
        .collect();
    let mut spread = HierarchySpread {
        key: h.key.clone(),
        label: h.label.clone(),
        assessed: 0,
        levels: Vec::new(),
        at_apex: 0,
    };
    for h in evaluations.iter().filter_map(|e| e.hierarchy.as_ref()) {
        spread.assessed += 1;
        if let Some(l) = out.get_mut(h.attained_level) {
            l.attained += 1;
        }
        match &h.next_focus {
            Some(focus) => {
                if let Some(l) = out.iter_mut().find(|l| l.key.as_ref() == Some(focus)) {
                    l.next_focus += 1;
                }
            }
            None => spread.at_apex += 1,
        }
    }
    spread.levels = out;
    spread
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::builtin;
    use crate::domain::framework::Scores;

    fn evaluate(key: &str, scores: &[(&str, f64)]) -> Evaluation {
        let f = builtin::framework(key).unwrap();
        let scores: Scores = scores.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        f.evaluate(&scores).unwrap()
    }

    fn success(s: [f64; 6]) -> Evaluation {
        let keys = [
            "product_quality",
            "outcome_clarity",
            "enablement",
            "guidance",
            "relationship_trust",
            "business_need",
        ];
        evaluate(
            "success_equation",
            &keys.iter().copied().zip(s).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn bands_split_the_unit_interval_evenly_and_close_the_last() {
        assert_eq!(band_of(0.0), 0);
        assert_eq!(band_of(0.1999), 0);
        assert_eq!(band_of(0.2), 1);
        assert_eq!(band_of(0.7222), 3);
        assert_eq!(band_of(1.0), 4);
    }

    #[test]
    fn equations_count_bands_and_blocking_terms_by_hand() {
        // DESIGN §3.3: 8, 9, 7, 6, trust 3, need 8 → adoption 0.7222 (band 3),
        // renewal and expansion blocked by relationship_trust at 0.2222 (band 1).
        // All tens → every value 1 (band 4). All ones → every term 0: adoption
        // blocked by its four terms, value 0 (band 0).
        let book = [
            success([8.0, 9.0, 7.0, 6.0, 3.0, 8.0]),
            success([10.0; 6]),
            success([1.0; 6]),
        ];
        let f = builtin::framework("success_equation").unwrap();
        let s = spread(f, &book);
        assert_eq!(s.total, 3);
        let adoption = &s.equations[0];
        assert_eq!(adoption.key, "adoption");
        assert_eq!(adoption.assessed, 3);
        let counts: Vec<u64> = adoption.bands.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 0, 0, 1, 1]);
        assert_eq!(adoption.blocked, 1);
        assert_eq!(adoption.blocked_by.len(), 4);
        assert!(adoption.blocked_by.iter().all(|(_, n)| *n == 1));
        let mean = adoption.mean.unwrap();
        assert!((mean - (0.722_222_2 + 1.0 + 0.0) / 3.0).abs() < 1e-6);
        let renewal = &s.equations[1];
        let counts: Vec<u64> = renewal.bands.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 1, 0, 0, 1]);
        assert_eq!(renewal.blocked, 2);
        // The all-ones account is blocked by adoption and trust; the first by trust.
        assert_eq!(renewal.blocked_by[0], ("relationship_trust".to_owned(), 2));
        assert_eq!(renewal.blocked_by[1], ("adoption".to_owned(), 1));
    }

    #[test]
    fn hierarchy_counts_attained_levels_and_next_focus_by_hand() {
        let org = |s: [f64; 5]| {
            let keys = [
                "business_model",
                "technology_and_space",
                "culture",
                "performance_and_learning",
                "creativity_and_innovation",
            ];
            evaluate(
                "org_hierarchy",
                &keys.iter().copied().zip(s).collect::<Vec<_>>(),
            )
        };
        // Base unmet; two levels met (culture next); all met; the base and
        // the third met but not the second (stands on 1, works on the second).
        let book = [
            org([3.0, 9.0, 9.0, 9.0, 9.0]),
            org([8.0, 7.0, 2.0, 9.0, 9.0]),
            org([6.0; 5]),
            org([9.0, 5.0, 9.0, 1.0, 1.0]),
        ];
        let f = builtin::framework("org_hierarchy").unwrap();
        let h = spread(f, &book).hierarchy.unwrap();
        assert_eq!(h.assessed, 4);
        assert_eq!(h.at_apex, 1);
        let attained: Vec<u64> = h.levels.iter().map(|l| l.attained).collect();
        assert_eq!(attained, [1, 1, 1, 0, 0, 1]);
        let next: Vec<u64> = h.levels.iter().map(|l| l.next_focus).collect();
        assert_eq!(next, [0, 1, 1, 1, 0, 0]);
        assert_eq!(h.levels[0].key, None);
        assert_eq!(h.levels[3].key.as_deref(), Some("culture"));
    }

    #[test]
    fn matrices_count_cells_in_the_matrix_order() {
        let book = [
            evaluate("readiness", &[("goal_clarity", 9.0), ("priority", 9.0)]),
            evaluate("readiness", &[("goal_clarity", 2.0), ("priority", 9.0)]),
            evaluate("readiness", &[("goal_clarity", 8.0), ("priority", 7.0)]),
        ];
        let f = builtin::framework("readiness").unwrap();
        let s = spread(f, &book);
        assert_eq!(
            s.matrices[0].cells,
            [
                ("wanderer".to_owned(), 0),
                ("dreamer".to_owned(), 0),
                ("soldier".to_owned(), 1),
                ("achiever".to_owned(), 2)
            ]
        );
        assert!(s.equations.is_empty() && s.hierarchy.is_none());
    }
}
