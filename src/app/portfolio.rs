//! The book of business through a matrix: each account's classifications and
//! their history, who sits in which cell as of a date, how they moved, the
//! chart, and which accounts deserve high-touch support.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::page::{paginate, scan};
use super::{
    App, AppError, Listed, PageRequest, Principal, PublishedFramework, PublishedMatrix, now,
};
use crate::domain::Invalid;
use crate::domain::filter::AccountScope;
use crate::domain::framework::{Evaluation, Subject};
use crate::domain::framework_portfolio::{EquationSpread, HierarchySpread, spread};
use crate::domain::matrix::{Cell, Matrix};
use crate::domain::portfolio::{self, MoveFilter, Placement, Transition};
use crate::domain::portfolio::{ChartMarks, MAX_CHART_POINTS, PortfolioChart};
use crate::domain::validation::all_of;

/// A framework's models counted over the book as of a date.
#[derive(Debug, Clone)]
pub struct FrameworkPortfolio {
    pub framework: PublishedFramework,
    pub as_of: DateTime<Utc>,
    /// Subjects with an assessment on the framework by then.
    pub total: u64,
    /// Each matrix's cells in its order, with how many subjects sit in each.
    pub matrices: Vec<(String, Vec<CellCount>)>,
    pub equations: Vec<EquationSpread>,
    pub hierarchy: Option<HierarchySpread>,
}

/// A subject's placement with its cell as the matrix defines it (label, play).
#[derive(Debug, Clone)]
pub struct Placed {
    pub placement: Placement,
    pub cell: Cell,
}

fn placed(m: &Matrix, placement: Placement) -> Placed {
    Placed {
        cell: cell_of(m, &placement.cell),
        placement,
    }
}

/// A cell of the matrix with how many subjects sit in it.
#[derive(Debug, Clone)]
pub struct CellCount {
    pub cell: Cell,
    pub count: u64,
}

/// Who sits where on a matrix as of a date.
#[derive(Debug, Clone)]
pub struct Portfolio {
    pub matrix: PublishedMatrix,
    pub as_of: DateTime<Utc>,
    /// Every cell of the matrix in its order, then any cell an older version had.
    pub counts: Vec<CellCount>,
    pub total: u64,
    /// A page of subjects, by id.
    pub subjects: Listed<Placed>,
}

/// How subjects moved between two dates.
#[derive(Debug, Clone)]
pub struct Transitions {
    pub matrix: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub items: Vec<Transition>,
}

/// A subject that changed cells between two instants.
#[derive(Debug, Clone)]
pub struct Movement {
    /// The cell it sat in at the start; `None` when not yet assessed.
    pub from: Option<Cell>,
    /// Where it sits at the end, by the latest assessment up to then.
    pub to: Placed,
}

/// The subjects that moved on a matrix between two instants, a page at a time.
#[derive(Debug, Clone)]
pub struct Movements {
    pub matrix: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// By subject id.
    pub moves: Listed<Movement>,
}

/// One subject on one matrix: where it sits now and where it sat before, newest first.
#[derive(Debug, Clone)]
pub struct SubjectHistory {
    pub latest: Placed,
    pub history: Vec<Placed>,
}

/// The cell a stored key names; a key an older version had reads as itself.
fn cell_of(m: &Matrix, key: &str) -> Cell {
    m.cells
        .iter()
        .find(|c| c.key == key)
        .cloned()
        .unwrap_or_else(|| Cell {
            key: key.to_owned(),
            label: key.to_owned(),
            description: String::new(),
            play: String::new(),
        })
}

/// A time range must move forward: `from` strictly before `to`.
pub(super) fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), Invalid> {
    if from < to {
        Ok(())
    } else {
        Err(Invalid::single("to", "must be after from"))
    }
}

impl App {
    /// Every classification of an account and its stakeholders, grouped by
    /// matrix and subject, latest first.
    pub async fn account_classifications(
        &self,
        p: &Principal,
        account_id: Uuid,
    ) -> Result<Vec<SubjectHistory>, AppError> {
        self.account(p, account_id).await?;
        let matrices: HashMap<String, Matrix> = self
            .matrices(p)
            .await?
            .into_iter()
            .map(|m| (m.matrix.key.clone(), m.matrix))
            .collect();
        let rows = self
            .store
            .account_history(p.workspace_id, account_id)
            .await?;
        let mut out: Vec<SubjectHistory> = Vec::new();
        for row in rows {
            let row = match matrices.get(&row.matrix) {
                Some(m) => placed(m, row),
                None => continue,
            };
            match out.last_mut() {
                Some(h)
                    if h.latest.placement.matrix == row.placement.matrix
                        && h.latest.placement.subject_id == row.placement.subject_id =>
                {
                    h.history.push(row)
                }
                _ => out.push(SubjectHistory {
                    latest: row.clone(),
                    history: vec![row],
                }),
            }
        }
        Ok(out)
    }

    pub async fn portfolio(
        &self,
        p: &Principal,
        matrix_key: &str,
        as_of: Option<DateTime<Utc>>,
        scope: &AccountScope,
        page: &PageRequest,
    ) -> Result<Portfolio, AppError> {
        let (page, size) = page.resolve()?;
        let matrix = self.matrix(p, matrix_key).await?;
        let scope = &p.narrow(scope.clone());
        let as_of = as_of.unwrap_or_else(now);
        let ws = p.workspace_id;
        let mut counted: BTreeMap<String, i64> = self
            .store
            .cell_counts(ws, matrix_key, as_of, scope)
            .await?
            .into_iter()
            .collect();
        let mut counts: Vec<CellCount> = matrix
            .matrix
            .cells
            .iter()
            .map(|c| CellCount {
                cell: c.clone(),
                count: counted.remove(&c.key).unwrap_or(0) as u64,
            })
            .collect();
        counts.extend(counted.into_iter().map(|(key, n)| CellCount {
            cell: cell_of(&matrix.matrix, &key),
            count: n as u64,
        }));
        let rows = self
            .store
            .placements(ws, matrix_key, as_of, scope, page)
            .await?;
        let rows = rows
            .into_iter()
            .map(|r| placed(&matrix.matrix, r))
            .collect();
        Ok(Portfolio {
            total: counts.iter().map(|c| c.count).sum(),
            matrix,
            as_of,
            counts,
            subjects: paginate(rows, size, |s: &Placed| s.placement.subject_id),
        })
    }

    /// Where the book stands on every model of a framework as of a date
    /// (default now): equation values in bands with what blocks them, the
    /// hierarchy's levels, the matrices' cells, from each subject's latest
    /// assessment.
    pub async fn framework_portfolio(
        &self,
        p: &Principal,
        key: &str,
        as_of: Option<DateTime<Utc>>,
        scope: &AccountScope,
    ) -> Result<FrameworkPortfolio, AppError> {
        let framework = self.framework(p, key).await?;
        let scope = &p.narrow(scope.clone());
        let as_of = as_of.unwrap_or_else(now);
        let latest = self
            .store
            .latest_evaluations::<Evaluation>(p.workspace_id, key, as_of, scope)
            .await?;
        let spread = spread(&framework.framework, latest.iter().map(|l| &l.evaluation));
        let matrices = spread
            .matrices
            .into_iter()
            .filter_map(|m| {
                let matrix = framework.framework.matrix(&m.matrix)?;
                let counts = m
                    .cells
                    .into_iter()
                    .map(|(key, count)| CellCount {
                        cell: cell_of(matrix, &key),
                        count,
                    })
                    .collect();
                Some((m.matrix, counts))
            })
            .collect();
        Ok(FrameworkPortfolio {
            framework,
            as_of,
            total: spread.total,
            matrices,
            equations: spread.equations,
            hierarchy: spread.hierarchy,
        })
    }

    pub async fn transitions(
        &self,
        p: &Principal,
        matrix_key: &str,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
        scope: &AccountScope,
    ) -> Result<Transitions, AppError> {
        let to = to.unwrap_or_else(now);
        check_range(from, to)?;
        self.matrix(p, matrix_key).await?;
        let scope = &p.narrow(scope.clone());
        let ws = p.workspace_id;
        let before: HashMap<Uuid, String> = self
            .store
            .cells(ws, matrix_key, from, scope)
            .await?
            .into_iter()
            .collect();
        let after = self.store.cells(ws, matrix_key, to, scope).await?;
        Ok(Transitions {
            matrix: matrix_key.to_owned(),
            from,
            to,
            items: portfolio::transitions(&before, after.iter().map(|(s, c)| (*s, c.as_str()))),
        })
    }

    /// Which subjects moved between `from` and `to` (default now), and from
    /// and to which cells, so a CSM can act on each one rather than on a
    /// count. A cell the filter names must be one of the matrix's.
    pub async fn movements(
        &self,
        p: &Principal,
        matrix_key: &str,
        (from, to): (DateTime<Utc>, Option<DateTime<Utc>>),
        filter: &MoveFilter,
        scope: &AccountScope,
        page: &PageRequest,
    ) -> Result<Movements, AppError> {
        let to = to.unwrap_or_else(now);
        let matrix = self.matrix(p, matrix_key).await?.matrix;
        let paged = page.resolve();
        all_of([
            check_range(from, to),
            filter.check(&matrix),
            paged.as_ref().map(|_| ()).map_err(Clone::clone),
        ])?;
        let (page, size) = paged?;
        let scope = &p.narrow(scope.clone());
        let ws = p.workspace_id;
        let before: HashMap<Uuid, String> = self
            .store
            .cells(ws, matrix_key, from, scope)
            .await?
            .into_iter()
            .collect();
        let was = |s: &Placement| before.get(&s.subject_id).map(String::as_str);
        let rows = scan(
            page,
            true,
            |page| async move {
                Ok(self
                    .store
                    .placements(ws, matrix_key, to, scope, page)
                    .await?)
            },
            |s| filter.keeps(was(s), &s.cell),
            |s| s.subject_id,
        )
        .await?;
        let moves = rows
            .into_iter()
            .map(|s| Movement {
                from: was(&s).map(|c| cell_of(&matrix, c)),
                to: placed(&matrix, s),
            })
            .collect();
        Ok(Movements {
            matrix: matrix_key.to_owned(),
            from,
            to,
            moves: paginate(moves, size, |m: &Movement| m.to.placement.subject_id),
        })
    }

    /// What the portfolio chart of a matrix shows.
    pub async fn portfolio_chart(
        &self,
        p: &Principal,
        matrix_key: &str,
        as_of: Option<DateTime<Utc>>,
        scope: &AccountScope,
    ) -> Result<PortfolioChart, AppError> {
        let matrix = self.matrix(p, matrix_key).await?;
        let scope = &p.narrow(scope.clone());
        let as_of = as_of.unwrap_or_else(now);
        let ws = p.workspace_id;
        let enough = crate::store::Page {
            after: None,
            limit: MAX_CHART_POINTS + 1,
        };
        let subjects = self
            .store
            .placements(ws, matrix_key, as_of, scope, enough)
            .await?;
        let (marks, count) = if subjects.len() > MAX_CHART_POINTS {
            let points = self.store.points(ws, matrix_key, as_of, scope).await?;
            let count = points.len();
            (ChartMarks::Density(points), count)
        } else {
            let count = subjects.len();
            (ChartMarks::Subjects(subjects), count)
        };
        let noun = match (matrix.subject, count) {
            (Subject::Account, 1) => "account",
            (Subject::Account, _) => "accounts",
            (Subject::Stakeholder, 1) => "stakeholder",
            (Subject::Stakeholder, _) => "stakeholders",
        };
        Ok(PortfolioChart {
            matrix: matrix.matrix,
            x: matrix.x,
            y: matrix.y,
            subtitle: format!(
                "{count} {noun} as of {}",
                as_of.format("%Y-%m-%d %H:%M UTC")
            ),
            marks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_must_move_forward() {
        let t = Utc::now();
        assert!(check_range(t, t).is_err());
        assert!(check_range(t, t + chrono::Duration::seconds(1)).is_ok());
    }
}
