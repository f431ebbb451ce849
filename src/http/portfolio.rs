//! The book of business through a matrix: `/v1/accounts/{id}/classifications`,
//! `/v1/matrices/{key}/portfolio`, `…/transitions`, `…/chart.svg` and
//! `/v1/prioritization`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::extract::{Caller, PathId, Query};
use super::frameworks::Point;
use super::problem::{Problem, ProblemResponses};
use crate::app::{
    App, CellCount, Movements, PageRequest, Placed, Portfolio, RankedAccount, SubjectHistory,
    Transitions,
};
use crate::domain::filter::AccountScope;
use crate::domain::matrix::Cell;
use crate::domain::portfolio::MoveFilter;
use crate::domain::time::When;

/// One subject's classification on a matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementView {
    pub matrix: String,
    /// The stakeholder's id for stakeholder matrices, else the account's.
    pub subject_id: Uuid,
    pub account_id: Uuid,
    pub stakeholder_id: Option<Uuid>,
    pub subject_name: String,
    pub account_name: String,
    pub cell: Cell,
    pub point: Point,
    pub closeness: f64,
    pub assessed_at: DateTime<Utc>,
    pub assessment_id: Uuid,
}

impl From<Placed> for PlacementView {
    fn from(p: Placed) -> Self {
        let s = p.placement;
        Self {
            matrix: s.matrix,
            subject_id: s.subject_id,
            account_id: s.account_id,
            stakeholder_id: s.stakeholder_id,
            subject_name: s.subject_name,
            account_name: s.account_name,
            cell: p.cell,
            point: Point {
                x: s.point.0,
                y: s.point.1,
            },
            closeness: s.closeness,
            assessed_at: s.assessed_at,
            assessment_id: s.assessment_id,
        }
    }
}

/// One subject on one matrix: its latest classification and every one, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectHistoryView {
    pub matrix: String,
    pub subject_id: Uuid,
    pub latest: PlacementView,
    pub history: Vec<PlacementView>,
}

impl From<SubjectHistory> for SubjectHistoryView {
    fn from(h: SubjectHistory) -> Self {
        Self {
            matrix: h.latest.placement.matrix.clone(),
            subject_id: h.latest.placement.subject_id,
            latest: h.latest.into(),
            history: h.history.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassificationsView {
    /// By matrix, then subject.
    pub items: Vec<SubjectHistoryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CellCountView {
    pub cell: Cell,
    pub count: u64,
}

impl From<CellCount> for CellCountView {
    fn from(c: CellCount) -> Self {
        Self {
            cell: c.cell,
            count: c.count,
        }
    }
}

impl SnapshotQuery {
    pub fn scope(&self) -> AccountScope {
        AccountScope::of(self.segment.clone(), self.owner.clone())
    }
}

/// Counts per cell and a page of the subjects, as of a time.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioView {
    pub matrix: String,
    pub framework: String,
    pub as_of: DateTime<Utc>,
    pub total: u64,
    /// Every cell of the matrix in its order.
    pub cells: Vec<CellCountView>,
    /// A page of subjects, by id.
    pub items: Vec<PlacementView>,
    pub next_page_token: Option<String>,
}

impl From<Portfolio> for PortfolioView {
    fn from(p: Portfolio) -> Self {
        Self {
            matrix: p.matrix.matrix.key,
            framework: p.matrix.framework,
            as_of: p.as_of,
            total: p.total,
            cells: p.counts.into_iter().map(Into::into).collect(),
            items: p.subjects.items.into_iter().map(Into::into).collect(),
            next_page_token: p.subjects.next_page_token,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    /// The cell at `from`; null when the subject was not yet assessed.
    pub from: Option<String>,
    /// The cell at `to`.
    pub to: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionsView {
    pub matrix: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Largest first.
    pub items: Vec<TransitionView>,
}

impl From<Transitions> for TransitionsView {
    fn from(t: Transitions) -> Self {
        Self {
            matrix: t.matrix,
            from: t.from,
            to: t.to,
            items: t
                .items
                .into_iter()
                .map(|i| TransitionView {
                    from: i.from,
                    to: i.to,
                    count: i.count,
                })
                .collect(),
        }
    }
}

/// A subject that changed cells: where it sat at `from` and where it sits at `to`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    /// The cell at `from`; null when the subject was not yet assessed.
    pub from: Option<Cell>,
    /// Its classification at `to` (the latest assessment up to then).
    pub to: PlacementView,
}

/// The subjects that moved between two instants, a page at a time.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementsView {
    pub matrix: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// By subject id.
    pub items: Vec<MovementView>,
    pub next_page_token: Option<String>,
}

impl From<Movements> for MovementsView {
    fn from(m: Movements) -> Self {
        Self {
            matrix: m.matrix,
            from: m.from,
            to: m.to,
            items: m
                .moves
                .items
                .into_iter()
                .map(|mv| MovementView {
                    from: mv.from,
                    to: mv.to.into(),
                })
                .collect(),
            next_page_token: m.moves.next_page_token,
        }
    }
}

/// An account's priority under a policy, with what each term contributed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedAccountView {
    pub account_id: Uuid,
    pub name: String,
    /// `Σ weight × value ÷ Σ weight` over the policy's terms with data, 0–1; null without any,
    /// or when the policy excludes the account.
    pub score: Option<f64>,
    /// Share of the policy's terms with data.
    pub coverage: f64,
    /// The policy's tier key; `unassessed` without data, `no_proactive_support` when the
    /// policy's `exclude` names the account.
    pub tier: String,
    pub tier_label: String,
    /// Closeness per matrix with data.
    pub closeness: BTreeMap<String, f64>,
    /// Every term of the policy, in its order: what it added to the score.
    pub contributions: Vec<ContributionView>,
}

/// One term's part in an account's score.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContributionView {
    /// `matrix`, `equation`, `hierarchy` or `account_field`.
    pub kind: String,
    /// What the policy names: `readiness`, `success_equation.renewal`, `current_arr`.
    pub term: String,
    pub weight: f64,
    /// The account's value on the term, 0–1 (closeness; the equation's value; attained
    /// level ÷ levels; the field scored within the accounts ranked); null without data.
    pub value: Option<f64>,
    /// `weight × value ÷ Σ weight` of the terms with data: the score is their sum.
    pub contribution: f64,
}

impl From<RankedAccount> for RankedAccountView {
    fn from(r: RankedAccount) -> Self {
        Self {
            account_id: r.account_id,
            name: r.name,
            score: r.priority.score,
            coverage: r.priority.coverage,
            tier: r.priority.tier,
            tier_label: r.priority.tier_label,
            closeness: r.priority.closeness,
            contributions: r
                .priority
                .contributions
                .into_iter()
                .map(|c| ContributionView {
                    kind: c.term.kind().to_owned(),
                    term: c.term.name(),
                    weight: c.weight,
                    value: c.value,
                    contribution: c.contribution,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrioritizationView {
    pub policy: String,
    /// Highest priority first; unassessed accounts last.
    pub items: Vec<RankedAccountView>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PortfolioQuery {
    /// Defaults to now. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<When>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementsQuery {
    /// Where subjects stood at the start. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = String, format = DateTime)]
    pub from: When,
    /// Where they stand at the end; defaults to now. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<When>,
    /// Only subjects that sat in this cell at `from`.
    pub from_cell: Option<String>,
    /// Only subjects that sit in this cell at `to`.
    pub to_cell: Option<String>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransitionsQuery {
    /// Where subjects stood at the start. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = String, format = DateTime)]
    pub from: When,
    /// Where they stand at the end; defaults to now. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<When>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
}

/// The book as of an instant, narrowed to a segment or an owner.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    /// Defaults to now. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<When>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrioritizationQuery {
    /// The policy's key; defaults to `default`.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub policy: Option<String>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
    /// Only accounts of this tier of the policy (`unassessed` and `no_proactive_support`
    /// too).
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub tier: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

/// An account's classifications: the latest per matrix and subject, with history.
///
/// For each matrix and subject (the account, its stakeholders), the current cell with its
/// closeness to success, and every earlier classification, newest first. Any role.
#[utoipa::path(get, path = "/v1/accounts/{id}/classifications", operation_id = "list_account_classifications", tag = "matrices",
    params(("id" = Uuid, Path, description = "The account")),
    responses((status = 200, description = "Latest classification per matrix and subject, with history", body = ClassificationsView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn classifications(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
) -> Result<Response, Problem> {
    let items = app
        .account_classifications(&p, id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(ClassificationsView { items }).into_response())
}

/// Who sits in which cell as of a time: counts per cell and the subjects, paged.
///
/// Counts per cell as of an instant (default now) and the subjects in each, filtered by segment
/// or owner, paged. Any role.
#[utoipa::path(get, path = "/v1/matrices/{key}/portfolio", operation_id = "get_portfolio", tag = "matrices",
    params(("key" = String, Path, description = "e.g. readiness"), PortfolioQuery),
    responses((status = 200, description = "The portfolio", body = PortfolioView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn portfolio(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Query(q): Query<PortfolioQuery>,
) -> Result<Response, Problem> {
    let scope = AccountScope::of(q.segment, q.owner);
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let portfolio = app
        .portfolio(&p, &key, q.as_of.map(|w| w.instant(p.zone)), &scope, &page)
        .await?;
    Ok(axum::Json(PortfolioView::from(portfolio)).into_response())
}

/// How subjects moved between cells from one time to another (null `from`: newly assessed).
///
/// Counts of subjects per (from cell, to cell) between two instants; `from: null` counts
/// subjects first assessed in between. Any role.
#[utoipa::path(get, path = "/v1/matrices/{key}/transitions", operation_id = "get_transitions", tag = "matrices",
    params(("key" = String, Path, description = "e.g. readiness"), TransitionsQuery),
    responses((status = 200, description = "Counts per from-cell and to-cell", body = TransitionsView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn transitions(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Query(q): Query<TransitionsQuery>,
) -> Result<Response, Problem> {
    let scope = AccountScope::of(q.segment, q.owner);
    let t = app
        .transitions(
            &p,
            &key,
            q.from.instant(p.zone),
            q.to.map(|w| w.instant(p.zone)),
            &scope,
        )
        .await?;
    Ok(axum::Json(TransitionsView::from(t)).into_response())
}

/// Which subjects moved between cells from one time to another.
///
/// Each subject whose cell at `to` differs from its cell at `from` (a first assessment in
/// between is a move from null), by subject id, with where it sits now: the accounts a CSM
/// acts on, where `transitions` gives counts. `from_cell` and `to_cell` narrow to one move.
/// Any role.
#[utoipa::path(get, path = "/v1/matrices/{key}/movements", operation_id = "list_movements", tag = "matrices",
    params(("key" = String, Path, description = "e.g. readiness"), MovementsQuery),
    responses((status = 200, description = "A page of the subjects that moved", body = MovementsView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn movements(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Query(q): Query<MovementsQuery>,
) -> Result<Response, Problem> {
    let scope = AccountScope::of(q.segment, q.owner);
    let filter = MoveFilter {
        from_cell: q.from_cell,
        to_cell: q.to_cell,
    };
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let range = (q.from.instant(p.zone), q.to.map(|w| w.instant(p.zone)));
    let moved = app
        .movements(&p, &key, range, &filter, &scope, &page)
        .await?;
    Ok(axum::Json(MovementsView::from(moved)).into_response())
}

/// The portfolio as a self-contained SVG chart.
///
/// Every subject's current point on the matrix, for a QBR deck; no scripts or external assets.
/// Any role.
#[utoipa::path(get, path = "/v1/matrices/{key}/chart.svg", operation_id = "get_portfolio_chart", tag = "matrices",
    params(("key" = String, Path, description = "e.g. readiness"), SnapshotQuery),
    responses((status = 200, description = "An SVG image", body = String, content_type = "image/svg+xml"), ProblemResponses),
    security(("bearer" = [])))]
pub async fn chart(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Query(q): Query<SnapshotQuery>,
) -> Result<Response, Problem> {
    let chart = app
        .portfolio_chart(&p, &key, q.as_of.map(|w| w.instant(p.zone)), &q.scope())
        .await?;
    let svg = crate::present::chart::svg(&chart);
    let mut res = svg.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    Ok(res)
}

/// Accounts ranked by priority under a policy: who deserves high-touch support.
///
/// Each account's priority (the weighted closeness to success over the policy's matrices) and
/// the support tier it earns, highest first, paged. Any role.
#[utoipa::path(get, path = "/v1/prioritization", operation_id = "prioritize", tag = "prioritization",
    params(PrioritizationQuery),
    responses((status = 200, description = "Ranked accounts", body = PrioritizationView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn prioritization(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<PrioritizationQuery>,
) -> Result<Response, Problem> {
    let policy = q.policy.unwrap_or_else(|| "default".to_owned());
    let scope = AccountScope::of(q.segment, q.owner);
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let listed = app
        .prioritization(&p, &policy, &scope, q.tier.as_deref(), &page)
        .await?;
    Ok(axum::Json(PrioritizationView {
        policy,
        items: listed.items.into_iter().map(Into::into).collect(),
        next_page_token: listed.next_page_token,
    })
    .into_response())
}
