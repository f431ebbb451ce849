//! Prioritisation: which accounts deserve high-touch support — or any
//! proactive support at all — weighing how close they sit to success on
//! matrices, their equations' values, their hierarchy level and fields of
//! the account (ARR, how near the renewal is), each term with its weight.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::account::LifecycleStage;
use super::framework::{Framework, Subject, is_key};
use super::matrix::{Corner, closeness};
use super::validation::{Invalid, check_text};
use super::words;

/// The tier of an account without data on any of the policy's terms.
pub const UNASSESSED: &str = "unassessed";
/// The tier of an account the policy's `exclude` names: no proactive support.
pub const NO_PROACTIVE_SUPPORT: &str = "no_proactive_support";
/// The tier below every cut of a policy whose last cut is above 0.
pub const LOW_TOUCH: &str = "low_touch";
const MAX_LABEL_LEN: usize = 200;
const MAX_TIERS: usize = 20;
const MAX_TERMS: usize = 50;

str_enum! {
    /// A field of the account a policy can weigh, scored within the accounts
    /// ranked: the lowest value scores 0 and the highest 1 (reversed for
    /// `days_to_renewal`, where the nearest renewal scores 1).
    pub enum AccountField {
        CurrentArr = "current_arr",
        OriginalArr = "original_arr",
        DaysToRenewal = "days_to_renewal",
    }
}

/// What one term of a policy weighs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weighed {
    /// Closeness to the matrix's optimal corner.
    Matrix(String),
    /// An equation's latest value (0–1).
    Equation {
        framework: String,
        equation: String,
    },
    /// The framework's hierarchy: attained level ÷ number of levels.
    Hierarchy(String),
    Field(AccountField),
}

impl Weighed {
    /// `matrix`, `equation`, `hierarchy` or `account_field`: the policy's field.
    pub fn kind(&self) -> &'static str {
        match self {
            Weighed::Matrix(_) => "matrix",
            Weighed::Equation { .. } => "equation",
            Weighed::Hierarchy(_) => "hierarchy",
            Weighed::Field(_) => "account_field",
        }
    }

    /// What the policy names: `readiness`, `success_equation.renewal`,
    /// `org_hierarchy`, `current_arr`.
    pub fn name(&self) -> String {
        match self {
            Weighed::Matrix(m) | Weighed::Hierarchy(m) => m.clone(),
            Weighed::Equation {
                framework,
                equation,
            } => format!("{framework}.{equation}"),
            Weighed::Field(f) => f.as_str().to_owned(),
        }
    }
}

/// A matrix's weight in a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedMatrix {
    pub matrix: String,
    pub weight: f64,
}

/// A term of a policy: exactly one of `matrix`, `equation`
/// (`framework.equation`), `hierarchy` (a framework key) or
/// `account_field`, with its weight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTerm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_field: Option<AccountField>,
    pub weight: f64,
}

impl PolicyTerm {
    /// What the term weighs; `None` unless it names exactly one thing
    /// (an equation as `framework.equation`).
    pub fn weighed(&self) -> Option<Weighed> {
        let named = [
            self.matrix.is_some(),
            self.equation.is_some(),
            self.hierarchy.is_some(),
            self.account_field.is_some(),
        ];
        if named.iter().filter(|n| **n).count() != 1 {
            return None;
        }
        if let Some(m) = &self.matrix {
            return Some(Weighed::Matrix(m.clone()));
        }
        if let Some(e) = &self.equation {
            let (framework, equation) = e.split_once('.')?;
            return Some(Weighed::Equation {
                framework: framework.to_owned(),
                equation: equation.to_owned(),
            });
        }
        if let Some(h) = &self.hierarchy {
            return Some(Weighed::Hierarchy(h.clone()));
        }
        self.account_field.map(Weighed::Field)
    }
}

/// A score at or above `min_score` earns the tier `key`; cuts are tried from
/// the highest. (`tier` and `min` are the names policies stored before tiers
/// had labels.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierCut {
    #[serde(alias = "tier")]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(alias = "min")]
    pub min_score: f64,
}

impl TierCut {
    /// The label given, or the key in words.
    pub fn label(&self) -> String {
        self.label.clone().unwrap_or_else(|| words(&self.key))
    }
}

/// The accounts a policy gives no proactive support, whatever their score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclude {
    #[serde(default)]
    pub lifecycle_stages: Vec<LifecycleStage>,
}

/// Churned accounts, unless a policy says otherwise.
impl Default for Exclude {
    fn default() -> Self {
        Self {
            lifecycle_stages: vec![LifecycleStage::Churned],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub key: String,
    pub label: String,
    /// Matrices and their weights: the shorthand of `terms` with `matrix`.
    #[serde(default)]
    pub matrices: Vec<WeightedMatrix>,
    #[serde(default)]
    pub terms: Vec<PolicyTerm>,
    /// Highest first; a score below every cut is `low_touch`.
    pub tiers: Vec<TierCut>,
    #[serde(default)]
    pub exclude: Exclude,
}

/// What the workspace has for a policy's terms to name.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub matrices: BTreeSet<String>,
    /// `framework.equation`.
    pub equations: BTreeSet<String>,
    /// Keys of frameworks with a hierarchy.
    pub hierarchies: BTreeSet<String>,
}

impl Known {
    /// What `frameworks` offer: every matrix; the equations and hierarchies
    /// of those that assess accounts (a stakeholder's equation says nothing
    /// of the account's priority).
    pub fn of<'a>(frameworks: impl IntoIterator<Item = &'a Framework>) -> Self {
        let mut known = Known::default();
        for f in frameworks {
            known
                .matrices
                .extend(f.matrices.iter().map(|m| m.key.clone()));
            if f.subject != Subject::Account {
                continue;
            }
            known
                .equations
                .extend(f.equations.iter().map(|e| format!("{}.{}", f.key, e.key)));
            if f.hierarchy.is_some() {
                known.hierarchies.insert(f.key.clone());
            }
        }
        known
    }
}

/// One term's part in an account's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub term: Weighed,
    pub weight: f64,
    /// The account's value on the term, 0–1; `None` without data.
    pub value: Option<f64>,
    /// `weight · value / Σ weight` over the terms with data: the score is
    /// their sum.
    pub contribution: f64,
}

/// An account's priority under a policy, with what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    /// `Σ w·value / Σ w` over terms with data; `None` without any, or when excluded.
    pub score: Option<f64>,
    /// Share of the policy's terms with data.
    pub coverage: f64,
    /// The tier's key.
    pub tier: String,
    pub tier_label: String,
    /// Closeness per matrix with data.
    pub closeness: BTreeMap<String, f64>,
    /// Every term, in the policy's order.
    pub contributions: Vec<Contribution>,
}

impl Policy {
    /// Every term with its weight, matrices first, in the policy's order;
    /// a term that names nothing is left out (validation names it).
    pub fn weighed(&self) -> Vec<(Weighed, f64)> {
        self.matrices
            .iter()
            .map(|m| (Weighed::Matrix(m.matrix.clone()), m.weight))
            .chain(
                self.terms
                    .iter()
                    .filter_map(|t| t.weighed().map(|w| (w, t.weight))),
            )
            .collect()
    }

    /// Checks a definition against what the workspace has, naming every bad field.
    pub fn validate(&self, known: &Known) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !is_key(&self.key) {
            e.push(
                "key",
                "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
            );
        }
        check_text(&mut e, "label", &self.label, MAX_LABEL_LEN);
        self.check_terms(&mut e, known);
        self.check_tiers(&mut e);
        e.into_result()
    }

    fn check_terms(&self, e: &mut Invalid, known: &Known) {
        if self.matrices.is_empty() && self.terms.is_empty() {
            e.push("terms", "must weigh at least one matrix or term");
        }
        if self.matrices.len() + self.terms.len() > MAX_TERMS {
            e.push("terms", format!("must weigh at most {MAX_TERMS} terms"));
        }
        let mut seen = BTreeSet::new();
        let named = self
            .matrices
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let w = Some(Weighed::Matrix(m.matrix.clone()));
                (format!("matrices[{i}]"), "matrix", w, m.weight)
            })
            .chain(self.terms.iter().enumerate().map(|(i, t)| {
                let field = t.weighed().map_or("term", |w| w.kind());
                (format!("terms[{i}]"), field, t.weighed(), t.weight)
            }));
        for (at, field, weighed, weight) in named {
            match weighed {
                None if field == "term" => e.push(
                    at.clone(),
                    "must name exactly one of matrix, equation (framework.equation), hierarchy \
                     or account_field",
                ),
                None => {}
                Some(w) if !w.is_known(known) => e.push(
                    format!("{at}.{field}"),
                    format!(
                        "{:?} is not a{} {}",
                        w.name(),
                        a_or_an(field),
                        words(field).to_lowercase()
                    ),
                ),
                Some(w) if !seen.insert(w.clone()) => e.push(
                    format!("{at}.{field}"),
                    format!("{:?} is weighed twice", w.name()),
                ),
                Some(_) => {}
            }
            if !(weight.is_finite() && weight > 0.0) {
                e.push(format!("{at}.weight"), "must be a number > 0");
            }
        }
    }

    fn check_tiers(&self, e: &mut Invalid) {
        if self.tiers.len() > MAX_TIERS {
            e.push("tiers", format!("must list at most {MAX_TIERS} tiers"));
        }
        let mut keys = BTreeSet::new();
        for (i, t) in self.tiers.iter().enumerate() {
            if !(0.0..=1.0).contains(&t.min_score) {
                e.push(format!("tiers[{i}].min_score"), "must be between 0 and 1");
            }
            if !is_key(&t.key) {
                e.push(
                    format!("tiers[{i}].key"),
                    "must be 1-64 characters of a-z, 0-9 and _, starting with a letter",
                );
            } else if [UNASSESSED, NO_PROACTIVE_SUPPORT].contains(&t.key.as_str()) {
                e.push(
                    format!("tiers[{i}].key"),
                    format!("{} is kept for accounts the policy does not score", t.key),
                );
            } else if !keys.insert(&t.key) {
                e.push(
                    format!("tiers[{i}].key"),
                    format!("{:?} is used twice", t.key),
                );
            }
            if let Some(label) = &t.label {
                check_text(e, &format!("tiers[{i}].label"), label, MAX_LABEL_LEN);
            }
        }
        if self
            .tiers
            .windows(2)
            .any(|w| w[0].min_score <= w[1].min_score)
        {
            e.push("tiers", "cut points must strictly decrease, highest first");
        }
    }

    /// Whether the policy's `exclude` names an account at this stage.
    pub fn excludes(&self, stage: Option<LifecycleStage>) -> bool {
        stage.is_some_and(|s| self.exclude.lifecycle_stages.contains(&s))
    }

    /// Every tier an account can land in under the policy: its cuts, the
    /// fallback below them, and the two it keeps for accounts not scored.
    pub fn tier_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.tiers.iter().map(|t| t.key.clone()).collect();
        if self.tiers.last().is_none_or(|t| t.min_score > 0.0) {
            keys.push(LOW_TOUCH.to_owned());
        }
        keys.extend([UNASSESSED.to_owned(), NO_PROACTIVE_SUPPORT.to_owned()]);
        keys
    }

    /// What ranks a book under the policy: its terms worked out once, not
    /// once per account ranked.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer {
            policy: self,
            terms: self.weighed(),
        }
    }

    /// The tier's key for a score: the first cut it reaches, highest first.
    fn tier_key(&self, score: Option<f64>, excluded: bool) -> &str {
        match score {
            _ if excluded => NO_PROACTIVE_SUPPORT,
            None => UNASSESSED,
            Some(s) => self
                .tiers
                .iter()
                .find(|t| s >= t.min_score)
                .map_or(LOW_TOUCH, |t| t.key.as_str()),
        }
    }

    fn tier_label(&self, key: &str) -> String {
        self.tiers
            .iter()
            .find(|t| t.key == key)
            .map_or_else(|| words(key), TierCut::label)
    }
}

/// Where an account stands under a policy: all it takes to order and page a
/// whole book, worked out without allocating, so that only the accounts on
/// the page shown need their [`Priority`] explained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// `Σ w·value / Σ w` over terms with data; `None` without any, or when excluded.
    pub score: Option<f64>,
    /// Share of the policy's terms with data.
    pub coverage: f64,
    pub excluded: bool,
}

/// A policy ready to rank accounts. An account's values come as one slot per
/// term, in [`Scorer::terms`] order: its value (0–1), or `None` without data.
pub struct Scorer<'a> {
    policy: &'a Policy,
    terms: Vec<(Weighed, f64)>,
}

impl Scorer<'_> {
    /// Every term with its weight: the order of an account's value slots.
    pub fn terms(&self) -> &[(Weighed, f64)] {
        &self.terms
    }

    /// An account's standing from its values; an excluded account gets no
    /// score.
    pub fn standing(&self, values: &[Option<f64>], excluded: bool) -> Standing {
        let (mut total, mut sum, mut with_data) = (0.0, 0.0, 0usize);
        for ((_, w), v) in self.terms.iter().zip(values) {
            if let Some(v) = v {
                total += w;
                sum += w * v;
                with_data += 1;
            }
        }
        Standing {
            score: (!excluded && total > 0.0).then(|| sum / total),
            coverage: if self.terms.is_empty() {
                0.0
            } else {
                with_data as f64 / self.terms.len() as f64
            },
            excluded,
        }
    }

    /// The tier's key for a standing.
    pub fn tier(&self, s: &Standing) -> &str {
        self.policy.tier_key(s.score, s.excluded)
    }

    /// An account's priority with what it rests on: its tier and label, its
    /// closeness per matrix and every term's contribution.
    pub fn explain(&self, values: &[Option<f64>], excluded: bool) -> Priority {
        let standing = self.standing(values, excluded);
        let value = |i: usize| values.get(i).copied().flatten();
        let total: f64 = (0..self.terms.len())
            .filter(|i| value(*i).is_some())
            .map(|i| self.terms[i].1)
            .sum();
        let contributions = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, (t, w))| Contribution {
                term: t.clone(),
                weight: *w,
                value: value(i),
                contribution: match (standing.score, value(i)) {
                    (Some(_), Some(v)) => w * v / total,
                    _ => 0.0,
                },
            })
            .collect();
        let tier = self.tier(&standing).to_owned();
        Priority {
            score: standing.score,
            coverage: standing.coverage,
            tier_label: self.policy.tier_label(&tier),
            tier,
            closeness: self
                .terms
                .iter()
                .enumerate()
                .filter_map(|(i, (t, _))| match t {
                    Weighed::Matrix(m) => Some((m.clone(), value(i)?)),
                    _ => None,
                })
                .collect(),
            contributions,
        }
    }
}

impl Weighed {
    fn is_known(&self, known: &Known) -> bool {
        match self {
            Weighed::Matrix(m) => known.matrices.contains(m),
            Weighed::Equation { .. } => known.equations.contains(&self.name()),
            Weighed::Hierarchy(f) => known.hierarchies.contains(f),
            Weighed::Field(_) => true,
        }
    }
}

fn a_or_an(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "n"
    } else {
        ""
    }
}

/// Each account's score on an account field within the accounts given: the
/// range of their values maps onto 0–1 (reversed for `days_to_renewal`, so
/// the nearest renewal scores 1); when all are equal, each scores 1.
pub fn field_scores<A: Copy + Eq + Hash>(
    field: AccountField,
    values: &[(A, f64)],
) -> HashMap<A, f64> {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    let span = hi - lo;
    values
        .iter()
        .map(|(a, v)| {
            let up = if span > 0.0 { (v - lo) / span } else { 1.0 };
            let score = match field {
                AccountField::DaysToRenewal if span > 0.0 => 1.0 - up,
                _ => up,
            };
            (*a, score)
        })
        .collect()
}

/// A hierarchy's attained level as a share of its levels.
pub fn hierarchy_score(attained_level: usize, levels: usize) -> Option<f64> {
    (levels > 0).then(|| attained_level as f64 / levels as f64)
}

/// Each account's closeness per matrix, from its subjects' current points
/// with the weight of each subject's view: the closeness of their weighted
/// mean point to the matrix's optimal corner (an account matrix has one
/// subject per account; a stakeholder matrix weighs the account's assessed
/// stakeholders by influence). Points of no weight (someone who left) do not
/// count; matrices without a corner are skipped.
pub fn account_closeness<A: Eq + Hash, M: Eq + Hash>(
    points: impl IntoIterator<Item = (A, M, (f64, f64), f64)>,
    corners: &HashMap<M, Corner>,
) -> HashMap<(A, M), f64> {
    let mut sums: HashMap<(A, M), (f64, f64, f64)> = HashMap::new();
    for (account, matrix, (x, y), w) in points.into_iter().filter(|p| p.3 > 0.0) {
        let s = sums.entry((account, matrix)).or_default();
        *s = (s.0 + w * x, s.1 + w * y, s.2 + w);
    }
    sums.into_iter()
        .filter_map(|((account, m), (x, y, w))| {
            let corner = corners.get(&m)?;
            let c = closeness((x / w, y / w), *corner);
            Some(((account, m), c))
        })
        .collect()
}

/// Ranking order: highest score first, then accounts without data, then
/// those the policy excludes; ties go to the better-covered account.
pub fn ranking(a: &Standing, b: &Standing) -> Ordering {
    a.excluded.cmp(&b.excluded).then(match (a.score, b.score) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(b.coverage.total_cmp(&a.coverage)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(key: &str, min_score: f64) -> TierCut {
        TierCut {
            key: key.into(),
            label: None,
            min_score,
        }
    }

    fn matrix(k: &str, w: f64) -> WeightedMatrix {
        WeightedMatrix {
            matrix: k.into(),
            weight: w,
        }
    }

    fn four_matrices() -> Policy {
        Policy {
            key: "four".into(),
            label: "Four".into(),
            matrices: vec![
                matrix("readiness", 2.0),
                matrix("purpose_intent", 1.0),
                matrix("process", 1.0),
                matrix("technology", 1.0),
            ],
            terms: Vec::new(),
            tiers: vec![cut("high_touch", 0.7), cut("standard", 0.4)],
            exclude: Exclude::default(),
        }
    }

    /// An account's value slots under `policy` from (term, value) pairs.
    fn values(policy: &Policy, pairs: &[(Weighed, f64)]) -> Vec<Option<f64>> {
        policy
            .weighed()
            .iter()
            .map(|(t, _)| pairs.iter().find(|(p, _)| p == t).map(|(_, v)| *v))
            .collect()
    }

    fn m(key: &str) -> Weighed {
        Weighed::Matrix(key.into())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn weighted_over_terms_with_data() {
        let policy = four_matrices();
        let p = policy.scorer().explain(
            &values(&policy, &[(m("readiness"), 0.9), (m("technology"), 0.3)]),
            false,
        );
        assert!(close(p.score.unwrap(), 0.7), "(2·0.9 + 0.3)/3 = 0.7");
        assert_eq!(p.coverage, 0.5);
        assert_eq!(
            (p.tier.as_str(), p.tier_label.as_str()),
            ("high_touch", "High touch")
        );
        let parts: Vec<(String, Option<f64>)> = p
            .contributions
            .iter()
            .map(|c| (c.term.name(), c.value))
            .collect();
        assert_eq!(
            parts,
            [
                ("readiness".into(), Some(0.9)),
                ("purpose_intent".into(), None),
                ("process".into(), None),
                ("technology".into(), Some(0.3))
            ]
        );
        assert!(
            close(p.contributions[0].contribution, 0.6)
                && close(p.contributions[3].contribution, 0.1)
        );
    }

    /// Readiness 2, the renewal equation 1, ARR 1 and days to renewal 1, over
    /// three accounts. ARR 300k, 100k, 200k scores 1, 0, 0.5; renewals in 30,
    /// 90, 60 days score 1, 0, 0.5 (nearest highest). So A is
    /// (2·0.9 + 0.5 + 1 + 1)/5 = 0.86, B (2·0.6 + 1 + 0 + 0)/5 = 0.44 and
    /// C (2·0.3 + 0.2 + 0.5 + 0.5)/5 = 0.36.
    #[test]
    fn a_policy_over_every_kind_of_term() {
        let renewal = Weighed::Equation {
            framework: "success_equation".into(),
            equation: "renewal".into(),
        };
        let arr = Weighed::Field(AccountField::CurrentArr);
        let days = Weighed::Field(AccountField::DaysToRenewal);
        let mut p = four_matrices();
        p.matrices.truncate(1);
        p.terms = vec![
            PolicyTerm {
                equation: Some("success_equation.renewal".into()),
                weight: 1.0,
                ..PolicyTerm::default()
            },
            PolicyTerm {
                account_field: Some(AccountField::CurrentArr),
                weight: 1.0,
                ..PolicyTerm::default()
            },
            PolicyTerm {
                account_field: Some(AccountField::DaysToRenewal),
                weight: 1.0,
                ..PolicyTerm::default()
            },
        ];
        let arr_scores = field_scores(
            AccountField::CurrentArr,
            &[('a', 300e3), ('b', 100e3), ('c', 200e3)],
        );
        let day_scores = field_scores(
            AccountField::DaysToRenewal,
            &[('a', 30.0), ('b', 90.0), ('c', 60.0)],
        );
        assert_eq!(
            (arr_scores[&'a'], arr_scores[&'b'], arr_scores[&'c']),
            (1.0, 0.0, 0.5)
        );
        assert_eq!(
            (day_scores[&'a'], day_scores[&'b'], day_scores[&'c']),
            (1.0, 0.0, 0.5)
        );
        let of = |who: char, readiness: f64, equation: f64| {
            p.scorer().explain(
                &values(
                    &p,
                    &[
                        (m("readiness"), readiness),
                        (renewal.clone(), equation),
                        (arr.clone(), arr_scores[&who]),
                        (days.clone(), day_scores[&who]),
                    ],
                ),
                false,
            )
        };
        let (a, b, c) = (of('a', 0.9, 0.5), of('b', 0.6, 1.0), of('c', 0.3, 0.2));
        assert!(
            close(a.score.unwrap(), 0.86)
                && close(b.score.unwrap(), 0.44)
                && close(c.score.unwrap(), 0.36)
        );
        assert_eq!(
            [a.tier.as_str(), b.tier.as_str(), c.tier.as_str()],
            ["high_touch", "standard", "low_touch"]
        );
        let parts: Vec<f64> = a.contributions.iter().map(|x| x.contribution).collect();
        for (got, want) in parts.iter().zip([0.36, 0.1, 0.2, 0.2]) {
            assert!(close(*got, want), "{parts:?}");
        }
        assert_eq!(a.closeness, BTreeMap::from([("readiness".to_owned(), 0.9)]));
    }

    #[test]
    fn tier_edges_and_custom_tiers() {
        let policy = four_matrices();
        let tier = |c: f64| {
            policy
                .scorer()
                .explain(&values(&policy, &[(m("process"), c)]), false)
                .tier
        };
        assert_eq!(tier(0.7), "high_touch");
        assert_eq!(tier(0.6999), "standard");
        assert_eq!(tier(0.4), "standard");
        assert_eq!(tier(0.3999), "low_touch");
        let none = policy.scorer().explain(&[], false);
        assert_eq!(
            (none.score, none.coverage, none.tier.as_str()),
            (None, 0.0, UNASSESSED)
        );
        let excluded = policy
            .scorer()
            .explain(&values(&policy, &[(m("process"), 1.0)]), true);
        assert_eq!(
            (
                excluded.score,
                excluded.tier.as_str(),
                excluded.tier_label.as_str()
            ),
            (None, NO_PROACTIVE_SUPPORT, "No proactive support")
        );

        let mut custom = four_matrices();
        custom.tiers = vec![
            TierCut {
                key: "strategic".into(),
                label: Some("Strategic (pooled CSM)".into()),
                min_score: 0.5,
            },
            cut("digital", 0.0),
        ];
        let p = custom
            .scorer()
            .explain(&values(&custom, &[(m("process"), 0.5)]), false);
        assert_eq!(
            (p.tier.as_str(), p.tier_label.as_str()),
            ("strategic", "Strategic (pooled CSM)")
        );
        assert_eq!(
            custom
                .scorer()
                .explain(&values(&custom, &[(m("process"), 0.1)]), false)
                .tier,
            "digital"
        );
        assert_eq!(
            custom.tier_keys(),
            ["strategic", "digital", UNASSESSED, NO_PROACTIVE_SUPPORT]
        );
        assert_eq!(
            four_matrices().tier_keys(),
            [
                "high_touch",
                "standard",
                LOW_TOUCH,
                UNASSESSED,
                NO_PROACTIVE_SUPPORT
            ]
        );
    }

    #[test]
    fn old_policies_read_as_new() {
        let stored = r#"{"key": "old", "label": "Old", "matrices": [{"matrix": "process", "weight": 1}],
            "tiers": [{"min": 0.5, "tier": "high_touch"}]}"#;
        let p: Policy = serde_json::from_str(stored).unwrap();
        assert_eq!(p.tiers, [cut("high_touch", 0.5)]);
        assert_eq!(p.exclude.lifecycle_stages, [LifecycleStage::Churned]);
    }

    #[test]
    fn a_policy_names_every_bad_field() {
        let known = Known {
            matrices: ["readiness".to_owned(), "process".to_owned()].into(),
            equations: ["success_equation.renewal".to_owned()].into(),
            hierarchies: ["org".to_owned()].into(),
        };
        assert_eq!(
            four_matrices().validate(&known).unwrap_err().fields(),
            ["matrices[1].matrix", "matrices[3].matrix"]
        );
        let mut p = four_matrices();
        p.key = "Bad Key".into();
        p.matrices = vec![matrix("readiness", 0.0)];
        p.terms = vec![
            PolicyTerm {
                matrix: Some("readiness".into()),
                weight: 1.0,
                ..PolicyTerm::default()
            },
            PolicyTerm {
                equation: Some("success_equation.expansion".into()),
                weight: 1.0,
                ..PolicyTerm::default()
            },
            PolicyTerm {
                hierarchy: Some("org".into()),
                matrix: Some("process".into()),
                weight: 1.0,
                ..PolicyTerm::default()
            },
            PolicyTerm {
                hierarchy: Some("nope".into()),
                weight: f64::NAN,
                ..PolicyTerm::default()
            },
            PolicyTerm {
                equation: Some("success_equation.renewal".into()),
                weight: 1.0,
                ..PolicyTerm::default()
            },
        ];
        p.tiers = vec![
            cut("unassessed", 0.5),
            cut("standard", 0.9),
            TierCut {
                key: "standard".into(),
                label: Some(" ".into()),
                min_score: 1.5,
            },
        ];
        assert_eq!(
            p.validate(&known).unwrap_err().fields(),
            [
                "key",
                "matrices[0].weight",
                "terms[0].matrix",
                "terms[1].equation",
                "terms[2]",
                "terms[3].hierarchy",
                "terms[3].weight",
                "tiers[0].key",
                "tiers[2].min_score",
                "tiers[2].key",
                "tiers[2].label",
                "tiers"
            ]
        );
        let empty = Policy {
            matrices: Vec::new(),
            ..four_matrices()
        };
        assert_eq!(empty.validate(&known).unwrap_err().fields(), ["terms"]);
    }

    #[test]
    fn ranking_puts_unassessed_then_excluded_last() {
        let policy = four_matrices();
        let scorer = policy.scorer();
        let standing =
            |pairs: &[(Weighed, f64)], excluded| scorer.standing(&values(&policy, pairs), excluded);
        let mut ps = [
            standing(&[(m("process"), 1.0)], true),
            standing(&[], false),
            standing(&[(m("process"), 0.5)], false),
            standing(&[(m("process"), 0.5), (m("technology"), 0.5)], false),
            standing(&[(m("process"), 0.9)], false),
        ];
        ps.sort_by(ranking);
        let order: Vec<(Option<f64>, f64, &str)> = ps
            .iter()
            .map(|p| (p.score, p.coverage, scorer.tier(p)))
            .collect();
        assert_eq!(
            order,
            [
                (Some(0.9), 0.25, "high_touch"),
                (Some(0.5), 0.5, "standard"),
                (Some(0.5), 0.25, "standard"),
                (None, 0.0, UNASSESSED),
                (None, 0.25, NO_PROACTIVE_SUPPORT),
            ]
        );
    }

    #[test]
    fn equal_fields_all_score_one() {
        let s = field_scores(AccountField::DaysToRenewal, &[(1, 10.0), (2, 10.0)]);
        assert_eq!((s[&1], s[&2]), (1.0, 1.0));
        assert_eq!(hierarchy_score(2, 4), Some(0.5));
        assert_eq!(hierarchy_score(0, 0), None);
    }

    proptest::proptest! {
        /// A score stays within 0–1, and raising one term's value never lowers it.
        #[test]
        fn scores_are_bounded_and_monotone(vs in proptest::collection::vec(0.0f64..=1.0, 4), i in 0usize..4, up in 0.0f64..=1.0) {
            let policy = four_matrices();
            let keys = ["readiness", "purpose_intent", "process", "technology"];
            let before: Vec<(Weighed, f64)> = keys.iter().zip(&vs).map(|(k, v)| (m(k), *v)).collect();
            let mut after = before.clone();
            after[i].1 = (vs[i] + up).min(1.0);
            let score = |pairs: &[(Weighed, f64)]| policy.scorer().standing(&values(&policy, pairs), false).score.unwrap();
            let (a, b) = (score(&before), score(&after));
            proptest::prop_assert!((0.0..=1.0).contains(&a) && b >= a - 1e-12);
        }
    }

    #[test]
    fn stakeholders_are_weighed_by_influence_before_closeness() {
        use crate::domain::matrix::End;
        let corners: HashMap<String, Corner> = [(
            "purpose_intent".to_owned(),
            Corner {
                x: End::High,
                y: End::High,
            },
        )]
        .into();
        // A committed executive sponsor (3) and an unconvinced user (1): the
        // mean point is (3·1 + 1·0)/4 = 0.75 across, 1 up, so closeness is
        // 1 − 0.25/√2 = 0.823223; unweighted it would be 1 − 0.5/√2 = 0.646447.
        // Someone who left weighs nothing.
        let points = [
            (1, "purpose_intent".to_owned(), (1.0, 1.0), 3.0),
            (1, "purpose_intent".to_owned(), (0.0, 1.0), 1.0),
            (1, "purpose_intent".to_owned(), (0.0, 0.0), 0.0),
        ];
        let c = account_closeness(points, &corners);
        let pi = "purpose_intent".to_owned();
        assert!((c[&(1, pi)] - (1.0 - 0.25 / 2f64.sqrt())).abs() < 1e-12);
        let gone = account_closeness(
            [(2, "purpose_intent".to_owned(), (1.0, 1.0), 0.0)],
            &corners,
        );
        assert!(gone.is_empty(), "no one left to weigh");
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
            (1, "purpose_intent".to_owned(), (1.0, 1.0), 1.0),
            (1, "purpose_intent".to_owned(), (0.0, 1.0), 1.0),
            (2, "purpose_intent".to_owned(), (1.0, 1.0), 1.0),
            (2, "unknown".to_owned(), (0.0, 0.0), 1.0),
        ];
        let c = account_closeness(points, &corners);
        // Mean (0.5, 1): 1 − 0.5/√2 = 0.646447.
        let pi = |a| (a, "purpose_intent".to_owned());
        assert!((c[&pi(1)] - 0.646_446_609_406_726_3).abs() < 1e-12);
        assert_eq!(c.len(), 2, "a matrix without a corner is skipped");
        assert_eq!(c[&pi(2)], 1.0);
    }
}
