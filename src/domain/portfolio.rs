//! A matrix across the book of business: where each subject sits as of a
//! date, how many sit in each cell, and how subjects moved between cells.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::framework::Dimension;
use super::matrix::Matrix;

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

#[cfg(test)]
mod tests {
    use super::*;

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
