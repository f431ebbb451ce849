//! Frameworks: a versioned set of dimensions a CSM scores a customer (or a
//! stakeholder) on, and the models computed from them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::equation::{self, Equation, EquationResult, TermSource};
use super::hierarchy::{Hierarchy, HierarchyResult};
use super::matrix::{Classification, Matrix};
use super::scale::Scale;
use super::validation::{Invalid, check_text};

str_enum! {
    /// Who a framework scores.
    pub enum Subject {
        Account = "account",
        Stakeholder = "stakeholder",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub key: String,
    pub label: String,
    /// The question a CSM answers with the score.
    pub question: String,
    pub scale: Scale,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub key: String,
    pub name: String,
    pub description: String,
    pub subject: Subject,
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub matrices: Vec<Matrix>,
    #[serde(default)]
    pub equations: Vec<Equation>,
    #[serde(default)]
    pub hierarchy: Option<Hierarchy>,
}

/// Scores by dimension key.
pub type Scores = BTreeMap<String, f64>;

/// Everything a framework computes from one set of scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// By matrix, in the framework's order.
    pub classifications: Vec<(String, Classification)>,
    pub equations: Vec<EquationResult>,
    pub hierarchy: Option<HierarchyResult>,
}

/// What a ranking reads of a stored evaluation: each equation's value and
/// the hierarchy's attainment. Reading a whole book's results into this
/// skips the rest of each (classifications, terms, levels) rather than
/// building it, which is most of the cost.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attainment {
    pub equations: Vec<EquationValue>,
    pub hierarchy: Option<LevelAttained>,
}

/// An equation's value, without its terms.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EquationValue {
    pub key: String,
    pub value: f64,
}

/// The level a hierarchy reached, out of how many.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LevelAttained {
    pub attained_level: usize,
    levels: Vec<serde::de::IgnoredAny>,
}

impl LevelAttained {
    pub fn levels(&self) -> usize {
        self.levels.len()
    }
}

/// Keys of frameworks, dimensions and models: lower snake case, so they read
/// the same in URLs, JSON and metric names.
pub fn is_key(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && s.len() <= 64
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_key(e: &mut Invalid, field: &str, key: &str, seen: &mut BTreeSet<String>) {
    if !is_key(key) {
        e.push(
            field,
            "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
        );
    } else if !seen.insert(key.to_owned()) {
        e.push(field, format!("{key:?} is used twice"));
    }
}

impl Framework {
    pub fn dimension(&self, key: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.key == key)
    }

    pub fn matrix(&self, key: &str) -> Option<&Matrix> {
        self.matrices.iter().find(|m| m.key == key)
    }

    /// Checks a definition, naming every bad field.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !is_key(&self.key) {
            e.push(
                "key",
                "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
            );
        }
        check_text(&mut e, "name", &self.name, 200);
        if self.dimensions.is_empty() {
            e.push("dimensions", "must list at least one dimension");
        }
        let mut keys = BTreeSet::new();
        for (i, d) in self.dimensions.iter().enumerate() {
            check_key(&mut e, &format!("dimensions[{i}].key"), &d.key, &mut keys);
            check_text(&mut e, &format!("dimensions[{i}].label"), &d.label, 200);
            if !d.scale.is_valid() {
                e.push(format!("dimensions[{i}].scale"), "min must be below max");
            }
        }
        let mut models = BTreeSet::new();
        for (i, m) in self.matrices.iter().enumerate() {
            self.check_matrix(&mut e, &format!("matrices[{i}]"), m, &mut models);
        }
        let mut equations = BTreeSet::new();
        for (i, eq) in self.equations.iter().enumerate() {
            self.check_equation(&mut e, &format!("equations[{i}]"), eq, &mut equations);
        }
        if let Some(h) = &self.hierarchy {
            self.check_hierarchy(&mut e, h);
        }
        e.into_result()
    }

    fn check_matrix(&self, e: &mut Invalid, at: &str, m: &Matrix, seen: &mut BTreeSet<String>) {
        check_key(e, &format!("{at}.key"), &m.key, seen);
        check_text(e, &format!("{at}.label"), &m.label, 200);
        for (axis, dim, cuts) in [("x", &m.x, &m.x_cuts), ("y", &m.y, &m.y_cuts)] {
            match self.dimension(dim) {
                None => e.push(
                    format!("{at}.{axis}"),
                    format!("{dim:?} is not a dimension of this framework"),
                ),
                Some(d) => check_cuts(e, &format!("{at}.{axis}_cuts"), cuts, &d.scale),
            }
        }
        if m.x == m.y {
            e.push(format!("{at}.y"), "must differ from x");
        }
        let expected = m.columns() * m.rows();
        if m.cells.len() != expected {
            e.push(
                format!("{at}.cells"),
                format!(
                    "a {}×{} grid needs {expected} cells, not {}",
                    m.columns(),
                    m.rows(),
                    m.cells.len()
                ),
            );
        }
        let mut cells = BTreeSet::new();
        for (j, c) in m.cells.iter().enumerate() {
            check_key(e, &format!("{at}.cells[{j}].key"), &c.key, &mut cells);
            check_text(e, &format!("{at}.cells[{j}].label"), &c.label, 200);
        }
    }

    fn check_equation(
        &self,
        e: &mut Invalid,
        at: &str,
        eq: &Equation,
        seen: &mut BTreeSet<String>,
    ) {
        check_key(e, &format!("{at}.key"), &eq.key, seen);
        if eq.terms.is_empty() {
            e.push(format!("{at}.terms"), "must list at least one term");
        }
        for (j, t) in eq.terms.iter().enumerate() {
            let known = match &t.source {
                TermSource::Dimension(k) => self.dimension(k).is_some(),
                TermSource::Equation(k) => self.equations.iter().any(|o| &o.key == k),
            };
            if !known {
                e.push(
                    format!("{at}.terms[{j}]"),
                    format!(
                        "{:?} is not a {} of this framework",
                        t.source.key(),
                        kind(&t.source)
                    ),
                );
            }
            if !(t.weight.is_finite() && t.weight > 0.0) {
                e.push(format!("{at}.terms[{j}].weight"), "must be a number > 0");
            }
            if !(0.0..=1.0).contains(&t.floor) {
                e.push(format!("{at}.terms[{j}].floor"), "must be between 0 and 1");
            }
        }
        if equation::has_cycle(&self.equations, &eq.key) {
            e.push(
                format!("{at}.terms"),
                "an equation may not depend on itself, directly or through others",
            );
        }
    }

    fn check_hierarchy(&self, e: &mut Invalid, h: &Hierarchy) {
        if h.levels.is_empty() {
            e.push("hierarchy.levels", "must list at least one level");
        }
        let mut seen = BTreeSet::new();
        for (j, level) in h.levels.iter().enumerate() {
            match self.dimension(level) {
                None => e.push(
                    format!("hierarchy.levels[{j}]"),
                    format!("{level:?} is not a dimension of this framework"),
                ),
                Some(d) if !(d.scale.min < h.cut && h.cut <= d.scale.max) => {
                    e.push(
                        "hierarchy.cut",
                        format!("must lie within the scale of {level:?}"),
                    );
                }
                Some(_) => {}
            }
            if !seen.insert(level) {
                e.push(
                    format!("hierarchy.levels[{j}]"),
                    format!("{level:?} is used twice"),
                );
            }
        }
    }

    /// Checks one set of scores: every dimension present, each within its scale, no unknown keys.
    pub fn check_scores(&self, scores: &Scores) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for d in &self.dimensions {
            match scores.get(&d.key) {
                None => e.push(format!("scores.{}", d.key), "is missing"),
                Some(v) if !d.scale.contains(*v) => {
                    e.push(
                        format!("scores.{}", d.key),
                        format!("must be between {} and {}", d.scale.min, d.scale.max),
                    );
                }
                Some(_) => {}
            }
        }
        for k in scores.keys().filter(|k| self.dimension(k).is_none()) {
            e.push(
                format!("scores.{k}"),
                "is not a dimension of this framework",
            );
        }
        e.into_result()
    }

    /// Every model's result for `scores`, after checking them.
    pub fn evaluate(&self, scores: &Scores) -> Result<Evaluation, Invalid> {
        self.check_scores(scores)?;
        let score = |k: &str| scores.get(k).copied().unwrap_or_default();
        let scale = |k: &str| self.dimension(k).map_or(Scale::ONE_TO_TEN, |d| d.scale);
        let classifications = self
            .matrices
            .iter()
            .map(|m| {
                (
                    m.key.clone(),
                    m.classify(score(&m.x), score(&m.y), &scale(&m.x), &scale(&m.y)),
                )
            })
            .collect();
        let normalised: BTreeMap<String, f64> = self
            .dimensions
            .iter()
            .map(|d| (d.key.clone(), d.scale.norm(score(&d.key))))
            .collect();
        Ok(Evaluation {
            classifications,
            equations: equation::evaluate_all(&self.equations, &normalised),
            hierarchy: self.hierarchy.as_ref().map(|h| h.assess(score)),
        })
    }
}

fn kind(source: &TermSource) -> &'static str {
    match source {
        TermSource::Dimension(_) => "dimension",
        TermSource::Equation(_) => "equation",
    }
}

/// Cut points lie inside the scale (above min, at most max) and strictly increase.
fn check_cuts(e: &mut Invalid, field: &str, cuts: &[f64], scale: &Scale) {
    if cuts
        .iter()
        .any(|c| !(c.is_finite() && *c > scale.min && *c <= scale.max))
    {
        e.push(
            field,
            format!(
                "every cut must lie above {} and at most {}",
                scale.min, scale.max
            ),
        );
    }
    if cuts.windows(2).any(|w| w[0] >= w[1]) {
        e.push(field, "cuts must strictly increase");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::builtin;
    use crate::domain::equation::{DEFAULT_FLOOR, Term};
    use crate::domain::matrix::{Cell, Corner, End};

    fn fields(f: &Framework) -> Vec<String> {
        let e = f.validate().unwrap_err();
        e.fields().into_iter().map(str::to_owned).collect()
    }

    fn cell(key: &str) -> Cell {
        Cell {
            key: key.into(),
            label: key.into(),
            description: String::new(),
            play: String::new(),
        }
    }

    /// A custom account framework with a 3×3 grid and an equation.
    fn custom() -> Framework {
        let dim = |k: &str| Dimension {
            key: k.into(),
            label: k.into(),
            question: String::new(),
            scale: Scale::ONE_TO_TEN,
        };
        Framework {
            key: "health_grid".into(),
            name: "Health grid".into(),
            description: String::new(),
            subject: Subject::Account,
            dimensions: vec![dim("value"), dim("engagement")],
            matrices: vec![Matrix {
                key: "health".into(),
                label: "Health".into(),
                x: "value".into(),
                y: "engagement".into(),
                x_cuts: vec![4.0, 7.0],
                y_cuts: vec![4.0, 7.0],
                cells: (0..9).map(|i| cell(&format!("c{i}"))).collect(),
                optimal: Corner {
                    x: End::High,
                    y: End::High,
                },
            }],
            equations: vec![Equation {
                key: "stickiness".into(),
                label: "Stickiness".into(),
                terms: vec![
                    Term {
                        source: TermSource::Dimension("value".into()),
                        weight: 3.0,
                        floor: DEFAULT_FLOOR,
                    },
                    Term {
                        source: TermSource::Dimension("engagement".into()),
                        weight: 1.0,
                        floor: 0.2,
                    },
                ],
            }],
            hierarchy: None,
        }
    }

    #[test]
    fn a_custom_three_by_three_grid_and_equation() {
        let f = custom();
        assert_eq!(f.validate(), Ok(()));
        let scores: Scores = [("value".to_owned(), 5.0), ("engagement".to_owned(), 8.0)].into();
        let e = f.evaluate(&scores).unwrap();
        let c = &e.classifications[0].1;
        assert_eq!((c.column, c.row, c.cell.key.as_str()), (1, 2, "c7"));
        let stickiness = &e.equations[0];
        // (3·4/9 + 1·7/9)/4 = 19/36; value 4/9 is below its floor 0.5 and caps it.
        assert!((stickiness.value - 4.0 / 9.0).abs() < 1e-12);
        assert_eq!(stickiness.blocked_by, ["value"]);
    }

    #[test]
    fn every_definition_rule_names_its_field() {
        let mut f = custom();
        f.dimensions[1].key = "value".into();
        assert!(fields(&f).contains(&"dimensions[1].key".to_owned()));

        let mut f = custom();
        f.dimensions[0].scale = Scale { min: 5.0, max: 5.0 };
        assert_eq!(fields(&f)[0], "dimensions[0].scale");

        let mut f = custom();
        f.matrices[0].x = "nps".into();
        assert_eq!(fields(&f), ["matrices[0].x"]);

        let mut f = custom();
        f.matrices[0].x_cuts = vec![4.0, 11.0];
        f.matrices[0].y_cuts = vec![7.0, 4.0];
        assert_eq!(fields(&f), ["matrices[0].x_cuts", "matrices[0].y_cuts"]);

        let mut f = custom();
        f.matrices[0].cells.pop();
        assert_eq!(fields(&f), ["matrices[0].cells"]);

        let mut f = custom();
        f.equations[0].terms[0].source = TermSource::Equation("loyalty".into());
        assert_eq!(fields(&f), ["equations[0].terms[0]"]);

        let mut f = custom();
        f.equations[0].terms.push(Term {
            source: TermSource::Equation("stickiness".into()),
            weight: 1.0,
            floor: 0.5,
        });
        assert_eq!(fields(&f), ["equations[0].terms"]);

        let mut f = custom();
        f.hierarchy = Some(Hierarchy {
            key: "h".into(),
            label: "H".into(),
            levels: vec!["value".into(), "vision".into()],
            cut: 5.5,
        });
        assert_eq!(fields(&f), ["hierarchy.levels[1]"]);
    }

    #[test]
    fn every_builtin_key_is_a_key() {
        for f in builtin::frameworks() {
            assert!(is_key(&f.key));
        }
        assert!(!is_key("Readiness") && !is_key("1st") && !is_key("") && !is_key("a-b"));
    }
}
