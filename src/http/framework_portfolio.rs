//! `/v1/frameworks/{key}/portfolio`: every model of a framework across the
//! book — equations in bands with what blocks them, the hierarchy's levels,
//! the matrices' cells.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Caller, Query};
use super::portfolio::{CellCountView, SnapshotQuery};
use super::problem::{Problem, ProblemResponses};
use crate::app::{App, FrameworkPortfolio};
use crate::domain::framework_portfolio::{Band, EquationSpread, HierarchySpread, LevelCount};

/// How many subjects have a value within `[from, to)`; the last band includes 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct BandView {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// How many subjects a term holds below its floor.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockingTermView {
    pub term: String,
    pub count: u64,
}

/// An equation across the book.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquationSpreadView {
    pub key: String,
    pub label: String,
    /// Subjects whose latest assessment gives it a value.
    pub assessed: u64,
    /// Their mean value; null when nobody has one.
    pub mean: Option<f64>,
    /// Five bands of width 0.2 from 0 to 1.
    pub bands: Vec<BandView>,
    /// Subjects with at least one term below its floor.
    pub blocked: u64,
    /// How many subjects each term blocks, most first.
    pub blocked_by: Vec<BlockingTermView>,
}

/// One level of the hierarchy across the book.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelCountView {
    /// 0: not even the base is met.
    pub level: usize,
    /// The level's dimension; null for level 0.
    pub key: Option<String>,
    pub label: String,
    /// Subjects standing exactly on this level.
    pub attained: u64,
    /// Subjects whose next focus is this level.
    pub next_focus: u64,
}

/// The hierarchy across the book, level 0 (none met) to the apex.
#[derive(Debug, Serialize, ToSchema)]
pub struct HierarchySpreadView {
    pub key: String,
    pub label: String,
    pub assessed: u64,
    pub levels: Vec<LevelCountView>,
    /// Subjects with every level met.
    pub at_apex: u64,
}

/// A matrix of the framework across the book.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixCellsView {
    pub matrix: String,
    /// Every cell in the matrix's order, then any an older version had.
    pub cells: Vec<CellCountView>,
}

/// A framework's models across the book as of an instant, from each subject's latest
/// assessment on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkPortfolioView {
    pub framework: String,
    pub version: i32,
    pub as_of: DateTime<Utc>,
    /// Subjects with an assessment on the framework by `as_of`.
    pub total: u64,
    pub matrices: Vec<MatrixCellsView>,
    pub equations: Vec<EquationSpreadView>,
    pub hierarchy: Option<HierarchySpreadView>,
}

impl From<Band> for BandView {
    fn from(b: Band) -> Self {
        Self {
            from: b.from,
            to: b.to,
            count: b.count,
        }
    }
}

impl From<EquationSpread> for EquationSpreadView {
    fn from(e: EquationSpread) -> Self {
        Self {
            key: e.key,
            label: e.label,
            assessed: e.assessed,
            mean: e.mean,
            bands: e.bands.into_iter().map(Into::into).collect(),
            blocked: e.blocked,
            blocked_by: e
                .blocked_by
                .into_iter()
                .map(|(term, count)| BlockingTermView { term, count })
                .collect(),
        }
    }
}

impl From<LevelCount> for LevelCountView {
    fn from(l: LevelCount) -> Self {
        Self {
            level: l.level,
            key: l.key,
            label: l.label,
            attained: l.attained,
            next_focus: l.next_focus,
        }
    }
}

impl From<HierarchySpread> for HierarchySpreadView {
    fn from(h: HierarchySpread) -> Self {
        Self {
            key: h.key,
            label: h.label,
            assessed: h.assessed,
            levels: h.levels.into_iter().map(Into::into).collect(),
            at_apex: h.at_apex,
        }
    }
}

impl From<FrameworkPortfolio> for FrameworkPortfolioView {
    fn from(p: FrameworkPortfolio) -> Self {
        Self {
            framework: p.framework.framework.key,
            version: p.framework.version,
            as_of: p.as_of,
            total: p.total,
            matrices: p
                .matrices
                .into_iter()
                .map(|(matrix, cells)| MatrixCellsView {
                    matrix,
                    cells: cells.into_iter().map(Into::into).collect(),
                })
                .collect(),
            equations: p.equations.into_iter().map(Into::into).collect(),
            hierarchy: p.hierarchy.map(Into::into),
        }
    }
}

/// Where the book stands on a framework: equations in bands, hierarchy levels, matrix cells.
///
/// From each subject's latest assessment on the framework as of an instant (default now),
/// filtered by segment or owner: for each equation (adoption, renewal, expansion) how many
/// subjects fall in each band of value and which terms block them; for the hierarchy how many
/// stand on each level and what they work on next; for each matrix how many sit in each cell.
/// Any role.
#[utoipa::path(get, path = "/v1/frameworks/{key}/portfolio", operation_id = "get_framework_portfolio", tag = "frameworks",
    params(("key" = String, Path, description = "e.g. success_equation"), SnapshotQuery),
    responses((status = 200, description = "The framework across the book", body = FrameworkPortfolioView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn portfolio(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Query(q): Query<SnapshotQuery>,
) -> Result<Response, Problem> {
    let portfolio = app
        .framework_portfolio(&p, &key, q.as_of.map(|w| w.instant(p.zone)), &q.scope())
        .await?;
    Ok(axum::Json(FrameworkPortfolioView::from(portfolio)).into_response())
}
