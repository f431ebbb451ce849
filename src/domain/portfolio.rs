//! A matrix across the book of business: where each subject sits as of a
//! date, how many sit in each cell, and how subjects moved between cells.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::framework::Dimension;
use super::matrix::Matrix;
use super::validation::Invalid;

/// Above this many subjects, a portfolio chart shows where they crowd
/// (density) instead of one point each.
pub const MAX_CHART_POINTS: usize = 5000;

/// What a portfolio chart shows; `present::chart` draws it.
#[derive(Debug, Clone)]
pub struct PortfolioChart {
    pub matrix: Matrix,
    pub x: Dimension,
    pub y: Dimension,
    /// A line under the title, e.g. "48 accounts as of 2026-11-23".
    pub subtitle: String,
    pub marks: ChartMarks,
}

/// The subjects of a chart: each one, or where many sit (normalised points).
#[derive(Debug, Clone)]
pub enum ChartMarks {
    Subjects(Vec<Placement>),
    Density(Vec<(f64, f64)>),
}

/// One subject's latest classification on a matrix as of some date.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub matrix: String,
    pub subject_id: Uuid,
    pub account_id: Uuid,
    pub stakeholder_id: Option<Uuid>,
    /// The account's name, or the stakeholder's for stakeholder matrices.
    pub subject_name: String,
    pub account_name: String,
    pub cell: String,
    /// The normalised point in [0, 1]².
    pub point: (f64, f64),
    pub closeness: f64,
    pub assessed_at: DateTime<Utc>,
    pub assessment_id: Uuid,
}

/// How many subjects moved from one cell (`None`: unassessed) to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<String>,
    pub to: String,
    pub count: u64,
}

/// Counts moves between the cells subjects held at the start (`before`, by
/// subject) and at the end (`after`). A subject absent at the start moved
/// from unassessed; one that stayed put counts as a move to its own cell.
/// Ordered by count, largest first, then by cells.
pub fn transitions<'a>(
    before: &HashMap<Uuid, String>,
    after: impl IntoIterator<Item = (Uuid, &'a str)>,
) -> Vec<Transition> {
    let mut counts: BTreeMap<(Option<String>, String), u64> = BTreeMap::new();
    for (subject, to) in after {
        *counts
            .entry((before.get(&subject).cloned(), to.to_owned()))
            .or_default() += 1;
    }
    let mut out: Vec<Transition> = counts
        .into_iter()
        .map(|((from, to), count)| Transition { from, to, count })
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.count));
    out
}

/// Which moves a CSM asks to see: from and to which cells (any when `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveFilter {
    pub from_cell: Option<String>,
    pub to_cell: Option<String>,
}

impl MoveFilter {
    /// Each cell named must be one of `m`'s: a misspelt cell would otherwise
    /// answer that nobody moved.
    pub fn check(&self, m: &Matrix) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for (field, cell) in [("from_cell", &self.from_cell), ("to_cell", &self.to_cell)] {
            if cell
                .as_ref()
                .is_some_and(|c| !m.cells.iter().any(|x| &x.key == c))
            {
                let cells: Vec<&str> = m.cells.iter().map(|x| x.key.as_str()).collect();
                e.push(
                    field,
                    format!(
                        "is not a cell of matrix {}; its cells are {}",
                        m.key,
                        cells.join(", ")
                    ),
                );
            }
        }
        e.into_result()
    }

    /// Whether a subject that sat in `from` at the start (`None`: not yet
    /// assessed) and sits in `to` at the end moved, and is a move asked
    /// for. Staying in a cell is not a move; a first assessment is.
    pub fn keeps(&self, from: Option<&str>, to: &str) -> bool {
        from != Some(to)
            && self.from_cell.as_deref().is_none_or(|f| from == Some(f))
            && self.to_cell.as_deref().is_none_or(|t| to == t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_is_a_change_of_cell_the_filter_asks_for() {
        let any = MoveFilter::default();
        assert!(any.keeps(Some("wanderer"), "achiever"));
        assert!(any.keeps(None, "dreamer"), "a first assessment is a move");
        assert!(!any.keeps(Some("dreamer"), "dreamer"), "staying put is not");
        let from_wanderer = MoveFilter {
            from_cell: Some("wanderer".into()),
            to_cell: None,
        };
        assert!(from_wanderer.keeps(Some("wanderer"), "soldier"));
        assert!(!from_wanderer.keeps(None, "soldier"));
        assert!(!from_wanderer.keeps(Some("dreamer"), "soldier"));
        let into_achiever = MoveFilter {
            from_cell: None,
            to_cell: Some("achiever".into()),
        };
        assert!(into_achiever.keeps(None, "achiever"));
        assert!(!into_achiever.keeps(Some("soldier"), "dreamer"));
    }

    #[test]
    fn a_misspelt_cell_is_named_with_the_cells_there_are() {
        let readiness = crate::domain::builtin::frameworks()
            .iter()
            .flat_map(|f| &f.matrices)
            .find(|m| m.key == "readiness")
            .unwrap();
        let filter = MoveFilter {
            from_cell: Some("wandrer".into()),
            to_cell: Some("achiever".into()),
        };
        let e = filter.check(readiness).unwrap_err();
        assert_eq!(e.fields(), ["from_cell"]);
        assert_eq!(
            e.0[0].message,
            "is not a cell of matrix readiness; its cells are wanderer, dreamer, soldier, achiever"
        );
    }

    #[test]
    fn moves_are_counted_from_unassessed_and_between_cells() {
        let (a, b, c, d) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let before: HashMap<Uuid, String> = [
            (a, "wanderer".into()),
            (b, "wanderer".into()),
            (c, "dreamer".into()),
        ]
        .into();
        let after = [
            (a, "achiever"),
            (b, "achiever"),
            (c, "dreamer"),
            (d, "soldier"),
        ];
        let t = transitions(&before, after);
        let row = |from: Option<&str>, to: &str, count: u64| Transition {
            from: from.map(str::to_owned),
            to: to.to_owned(),
            count,
        };
        assert_eq!(
            t,
            [
                row(Some("wanderer"), "achiever", 2),
                row(None, "soldier", 1),
                row(Some("dreamer"), "dreamer", 1),
            ]
        );
    }
}
