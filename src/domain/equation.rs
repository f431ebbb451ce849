//! Equations: how ready a customer is to adopt, renew or expand, as a weighted
//! mean of normalised scores and other equations, gated by floors so that one
//! weak essential (say, trust) cannot be averaged away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The built-in floor of a required term.
pub const DEFAULT_FLOOR: f64 = 0.5;

/// What a term reads: a dimension's normalised score or another equation's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum TermSource {
    Dimension(String),
    Equation(String),
}

impl TermSource {
    pub fn key(&self) -> &str {
        match self {
            TermSource::Dimension(k) | TermSource::Equation(k) => k,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub source: TermSource,
    pub weight: f64,
    /// Below this the term blocks the equation.
    pub floor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equation {
    pub key: String,
    pub label: String,
    pub terms: Vec<Term>,
}

/// One term's part in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermValue {
    pub key: String,
    pub value: f64,
    pub weight: f64,
    pub floor: f64,
}

/// An equation's value with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquationResult {
    pub key: String,
    pub value: f64,
    /// Terms below their floor, weakest first; empty when nothing blocks.
    pub blocked_by: Vec<String>,
    pub terms: Vec<TermValue>,
}

/// `value = Σ wᵢtᵢ / Σ wᵢ`, capped at the lowest term below its floor.
pub fn gate(terms: &[TermValue]) -> (f64, Vec<String>) {
    let total: f64 = terms.iter().map(|t| t.weight).sum();
    let mean = if total > 0.0 {
        terms.iter().map(|t| t.weight * t.value).sum::<f64>() / total
    } else {
        0.0
    };
    let mut failing: Vec<&TermValue> = terms.iter().filter(|t| t.value < t.floor).collect();
    failing.sort_by(|a, b| a.value.total_cmp(&b.value).then_with(|| a.key.cmp(&b.key)));
    let value = failing
        .first()
        .map_or(mean, |weakest| mean.min(weakest.value));
    (value, failing.into_iter().map(|t| t.key.clone()).collect())
}

/// Evaluates every equation from normalised dimension values. Definitions
/// are validated before use, so a cycle or an unknown term cannot occur here;
/// should one slip through it reads as 0.
pub fn evaluate_all(
    equations: &[Equation],
    normalised: &BTreeMap<String, f64>,
) -> Vec<EquationResult> {
    let mut done: BTreeMap<String, EquationResult> = BTreeMap::new();
    equations
        .iter()
        .map(|e| evaluate(e, equations, normalised, &mut done, 0))
        .collect()
}

fn evaluate(
    equation: &Equation,
    all: &[Equation],
    normalised: &BTreeMap<String, f64>,
    done: &mut BTreeMap<String, EquationResult>,
    depth: usize,
) -> EquationResult {
    if let Some(r) = done.get(&equation.key) {
        return r.clone();
    }
    let terms: Vec<TermValue> = equation
        .terms
        .iter()
        .map(|t| {
            let value = match &t.source {
                TermSource::Dimension(k) => normalised.get(k).copied().unwrap_or(0.0),
                TermSource::Equation(k) => match all.iter().find(|e| &e.key == k) {
                    Some(inner) if depth < all.len() => {
                        evaluate(inner, all, normalised, done, depth + 1).value
                    }
                    _ => 0.0,
                },
            };
            TermValue {
                key: t.source.key().to_owned(),
                value,
                weight: t.weight,
                floor: t.floor,
            }
        })
        .collect();
    let (value, blocked_by) = gate(&terms);
    let result = EquationResult {
        key: equation.key.clone(),
        value,
        blocked_by,
        terms,
    };
    done.insert(equation.key.clone(), result.clone());
    result
}

/// The equations' term graph has a cycle through `start`.
pub fn has_cycle(equations: &[Equation], start: &str) -> bool {
    let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((key, depth)) = stack.pop() {
        let Some(eq) = equations.iter().find(|e| e.key == key) else {
            continue;
        };
        for t in &eq.terms {
            if let TermSource::Equation(next) = &t.source {
                if next == start {
                    return true;
                }
                if seen.insert(next.as_str()) && depth < equations.len() {
                    stack.push((next, depth + 1));
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scale::Scale;
    use proptest::prelude::*;

    fn dim(k: &str) -> Term {
        Term {
            source: TermSource::Dimension(k.into()),
            weight: 1.0,
            floor: DEFAULT_FLOOR,
        }
    }

    fn eq(k: &str) -> Term {
        Term {
            source: TermSource::Equation(k.into()),
            weight: 1.0,
            floor: DEFAULT_FLOOR,
        }
    }

    fn success_equations() -> Vec<Equation> {
        let adoption = [
            "product_quality",
            "outcome_clarity",
            "enablement",
            "guidance",
        ];
        vec![
            Equation {
                key: "adoption".into(),
                label: "Adoption".into(),
                terms: adoption.iter().map(|k| dim(k)).collect(),
            },
            Equation {
                key: "renewal".into(),
                label: "Renewal".into(),
                terms: vec![eq("adoption"), dim("relationship_trust")],
            },
            Equation {
                key: "expansion".into(),
                label: "Expansion".into(),
                terms: vec![
                    eq("adoption"),
                    dim("relationship_trust"),
                    dim("business_need"),
                ],
            },
        ]
    }

    #[test]
    fn the_design_example() {
        let s = Scale::ONE_TO_TEN;
        let scores = [
            ("product_quality", 8.0),
            ("outcome_clarity", 9.0),
            ("enablement", 7.0),
            ("guidance", 6.0),
            ("relationship_trust", 3.0),
            ("business_need", 8.0),
        ];
        let normalised: BTreeMap<String, f64> = scores
            .iter()
            .map(|(k, v)| (k.to_string(), s.norm(*v)))
            .collect();
        let r = evaluate_all(&success_equations(), &normalised);
        assert!(
            (r[0].value - 0.7222).abs() < 1e-4,
            "adoption {}",
            r[0].value
        );
        assert!(r[0].blocked_by.is_empty());
        assert!((r[1].value - 0.2222).abs() < 1e-4, "renewal {}", r[1].value);
        assert_eq!(r[1].blocked_by, ["relationship_trust"]);
        assert!(
            (r[2].value - 0.2222).abs() < 1e-4,
            "expansion {}",
            r[2].value
        );
        assert_eq!(r[2].blocked_by, ["relationship_trust"]);
        assert!(
            (r[1].terms[0].value - 0.7222).abs() < 1e-4,
            "renewal explains adoption's part"
        );
    }

    #[test]
    fn blocked_by_lists_the_weakest_first() {
        let terms = [
            TermValue {
                key: "a".into(),
                value: 0.4,
                weight: 1.0,
                floor: 0.5,
            },
            TermValue {
                key: "b".into(),
                value: 0.1,
                weight: 1.0,
                floor: 0.5,
            },
            TermValue {
                key: "c".into(),
                value: 0.9,
                weight: 2.0,
                floor: 0.5,
            },
        ];
        let (value, blocked) = gate(&terms);
        assert_eq!(blocked, ["b", "a"]);
        assert_eq!(value, 0.1);
    }

    #[test]
    fn cycles_are_found() {
        let mut eqs = success_equations();
        assert!(!has_cycle(&eqs, "renewal"));
        eqs[0].terms.push(eq("expansion"));
        assert!(has_cycle(&eqs, "adoption"));
        assert!(has_cycle(&eqs, "expansion"));
    }

    proptest! {
        /// A gated value is never above any failing term.
        #[test]
        fn gated_value_is_at_most_every_failing_term(
            terms in proptest::collection::vec((0.0..=1.0f64, 0.1..=5.0f64, 0.0..=1.0f64), 1..6)
        ) {
            let terms: Vec<TermValue> = terms
                .into_iter()
                .enumerate()
                .map(|(i, (value, weight, floor))| TermValue { key: format!("t{i}"), value, weight, floor })
                .collect();
            let (value, blocked) = gate(&terms);
            for t in terms.iter().filter(|t| t.value < t.floor) {
                prop_assert!(value <= t.value + 1e-12);
                prop_assert!(blocked.contains(&t.key));
            }
            prop_assert!((0.0..=1.0).contains(&value));
        }
    }
}
