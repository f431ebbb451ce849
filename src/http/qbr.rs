//! `/v1/accounts/{id}/health`, `/v1/metric-sets/{key}/health` and
//! `/v1/accounts/{id}/qbr` (JSON, CSV or a self-contained HTML report).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::accept;
use super::extract::{Caller, PathId, Query};
use super::portfolio::PlacementView;
use super::problem::{Problem, ProblemResponses};
use super::success_plans::PlanView;
use super::successes::SuccessView;
use crate::app::views::{AccountRisksView, RenewalView};
use crate::app::{
    AccountHealth, App, DEFAULT_METRIC_SET, HealthRow, PageRequest, PortfolioHealth, Qbr,
};
use crate::domain::Invalid;
use crate::domain::filter::{AccountScope, HealthOrder, HealthRows};
use crate::domain::metric::{Category, Direction, Horizon, Unit};
use crate::domain::metric_set::{Health, Rag};
use crate::domain::qbr::{Audience, MetricReview, Period, SetReview};
use crate::domain::time::When;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// Weighted mean of the scores of rated metrics with data, 0–100; null without any.
    pub score: Option<f64>,
    /// ≥ 70 green, ≥ 40 amber, else red; `no_data` without a score;
    /// `insufficient_data` when `coverage` is below 50.
    pub colour: Rag,
    /// Percent (0–100) of the set's rated metrics with data: how much the score rests on.
    /// Null when the set rates no metric.
    pub coverage: Option<f64>,
}

impl From<Health> for HealthView {
    fn from(h: Health) -> Self {
        Self {
            score: h.score,
            colour: h.colour,
            coverage: h.coverage,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    /// Inclusive.
    pub start: DateTime<Utc>,
    /// Exclusive.
    pub end: DateTime<Utc>,
}

impl From<Period> for PeriodView {
    fn from(p: Period) -> Self {
        Self {
            start: p.start,
            end: p.end,
        }
    }
}

/// One metric's value in the period and how it rates.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricScoreView {
    pub metric: String,
    pub name: String,
    pub unit: Unit,
    pub category: Category,
    pub horizon: Horizon,
    pub direction: Direction,
    /// On the metric's own scale (an NPS from -100 to 100, a percent from 0 to 100); null
    /// when there is no data, and `missing_reason` says why.
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
    /// For a stock metric (a level, such as ARR or NPS): when `value` was observed.
    pub observed_at: Option<DateTime<Utc>>,
    /// True when a stock metric had no observation in the period and `value` is the level
    /// it was left at: the latest observation before the period, at `observed_at`.
    pub carried_forward: bool,
    pub target: Option<f64>,
    /// 0–1, 1 = target met or beaten; null without a value or target.
    pub attainment: Option<f64>,
    pub weight: f64,
    pub green_at: Option<f64>,
    pub red_at: Option<f64>,
    /// Not on the metric's scale: where `value` sits between `red_at` (0) and `green_at`
    /// (100), clamped; what the health score weighs. Null when not rated.
    pub normalised_score: Option<f64>,
    /// Null for metrics without thresholds; `no_data` for rated metrics without a value.
    pub rag: Option<Rag>,
}

impl From<&MetricReview> for MetricScoreView {
    fn from(m: &MetricReview) -> Self {
        Self {
            metric: m.metric.key.clone(),
            name: m.metric.name.clone(),
            unit: m.metric.unit,
            category: m.metric.category,
            horizon: m.metric.horizon,
            direction: m.metric.direction,
            value: m.reading.ok(),
            missing_reason: m.reading.err().map(|why| why.to_string()),
            observed_at: m.last_observed.map(|o| o.at),
            carried_forward: m.last_observed.is_some_and(|o| o.carried_forward),
            target: m.setting.target,
            attainment: m.attainment,
            weight: m.setting.weight,
            green_at: m.setting.green_at,
            red_at: m.setting.red_at,
            normalised_score: m.rating.map(|r| r.score),
            rag: m.rag(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    pub quarter: String,
    pub value: Option<f64>,
}

/// One metric of a QBR: the quarter against the one before and the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct QbrMetricView {
    #[serde(flatten)]
    pub current: MetricScoreView,
    /// The value `compared_with.previous` covers: the previous quarter, or its same elapsed
    /// span while the quarter runs.
    pub previous: Option<f64>,
    /// The whole previous quarter's value.
    pub previous_full_quarter: Option<f64>,
    pub change: Option<f64>,
    /// `change / |previous| × 100`; null when the previous value is 0 or missing.
    pub change_pct: Option<f64>,
    /// The last four quarters, oldest first.
    pub trend: Vec<TrendPoint>,
}

impl From<&MetricReview> for QbrMetricView {
    fn from(m: &MetricReview) -> Self {
        Self {
            current: m.into(),
            previous: m.previous,
            previous_full_quarter: m.previous_full_quarter,
            change: m.change,
            change_pct: m.change_pct,
            trend: m
                .trend
                .iter()
                .map(|(q, v)| TrendPoint {
                    quarter: q.to_string(),
                    value: *v,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissingView {
    pub metric: String,
    pub reason: String,
}

fn missing(r: &SetReview) -> Vec<MissingView> {
    r.missing()
        .map(|(metric, why)| MissingView {
            metric: metric.to_owned(),
            reason: why.to_string(),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountHealthView {
    pub account_id: Uuid,
    pub account_name: String,
    pub metric_set: String,
    pub as_of: DateTime<Utc>,
    /// The quarter `as_of` falls in; values cover its start up to `as_of`.
    pub quarter: String,
    pub period: PeriodView,
    pub health: HealthView,
    /// The same rule as a QBR's: the health over the previous quarter's same elapsed span
    /// (day 58 against day 58; its whole once the quarter has ended).
    pub previous: PreviousHealthView,
    pub metrics: Vec<MetricScoreView>,
    /// Metrics without data, and why.
    pub missing: Vec<MissingView>,
    /// The renewal and what threatens it on `as_of`'s day; red health counts as a risk within
    /// the renewal window.
    pub risks: AccountRisksView,
}

/// Where the account stood at the same point of the previous quarter.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousHealthView {
    pub period: PeriodView,
    pub health: HealthView,
}

impl From<AccountHealth> for AccountHealthView {
    fn from(h: AccountHealth) -> Self {
        Self {
            account_id: h.account.id,
            account_name: h.account.fields.name.clone(),
            metric_set: h.review.set.key.clone(),
            as_of: h.as_of,
            quarter: h.quarter.to_string(),
            period: h.period.into(),
            health: h.review.health.into(),
            previous: PreviousHealthView {
                period: h.compared_with.into(),
                health: h.previous_health.into(),
            },
            metrics: h.review.metrics.iter().map(Into::into).collect(),
            missing: missing(&h.review),
            risks: h.risks.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthCounts {
    pub green: u64,
    pub amber: u64,
    pub red: u64,
    pub no_data: u64,
    pub insufficient_data: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountHealthRow {
    pub account_id: Uuid,
    pub name: String,
    pub health: HealthView,
    /// Metrics of the set without data in the quarter.
    pub missing: Vec<String>,
    /// How near the renewal is on the quarter's last day (today while it runs).
    pub renewal: RenewalView,
    /// Risks raised against the account and not yet resolved.
    pub open_risks: u64,
}

impl From<HealthRow> for AccountHealthRow {
    fn from(r: HealthRow) -> Self {
        Self {
            account_id: r.account_id,
            name: r.name,
            health: r.health.into(),
            missing: r.missing,
            renewal: r.renewal.into(),
            open_risks: r.open_risks,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioHealthView {
    pub metric_set: String,
    pub quarter: String,
    pub period: PeriodView,
    /// Over every account in scope, not just this page.
    pub counts: HealthCounts,
    /// Worst first (lowest health, then no data), or soonest renewal first with `sort=renewal`.
    pub items: Vec<AccountHealthRow>,
    pub next_page_token: Option<String>,
}

impl From<PortfolioHealth> for PortfolioHealthView {
    fn from(h: PortfolioHealth) -> Self {
        let count = |c: Rag| h.count(c);
        Self {
            metric_set: h.metric_set.key.clone(),
            quarter: h.quarter.to_string(),
            period: h.period.into(),
            counts: HealthCounts {
                green: count(Rag::Green),
                amber: count(Rag::Amber),
                red: count(Rag::Red),
                no_data: count(Rag::NoData),
                insufficient_data: count(Rag::InsufficientData),
            },
            items: h.accounts.items.into_iter().map(Into::into).collect(),
            next_page_token: h.accounts.next_page_token,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QbrSectionView {
    pub metric_set: String,
    pub label: String,
    pub health: HealthView,
    pub metrics: Vec<QbrMetricView>,
    pub missing: Vec<MissingView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QbrAccountView {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
}

/// Like for like: a running quarter to date against the same elapsed span of the previous one.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonView {
    /// `previous_quarter` (a quarter that has ended, against the whole previous one) or
    /// `same_span_of_previous_quarter` (the quarter to date, day 58 against day 58).
    #[schema(pattern = "^(previous_quarter|same_span_of_previous_quarter)$")]
    pub basis: String,
    /// What the quarter's values cover: the quarter, or its start up to now.
    pub reviewed: PeriodView,
    /// What each metric's `previous` covers.
    pub previous: PeriodView,
}

/// The QBR pack of one account and quarter.
#[derive(Debug, Serialize, ToSchema)]
pub struct QbrView {
    pub account: QbrAccountView,
    pub quarter: String,
    pub previous_quarter: String,
    pub period: PeriodView,
    pub fiscal_year_start_month: u32,
    /// What the values cover and what each metric's `previous` is.
    pub compared_with: ComparisonView,
    /// Who the pack is for; a customer's has no classifications and no anatomy gaps.
    pub audience: Audience,
    /// One per metric set asked for (`metric_set`, or each of `compare`).
    pub sections: Vec<QbrSectionView>,
    /// The latest classification per matrix and subject as of the quarter's end.
    pub classifications: Vec<PlacementView>,
    /// The quarter's last day, or today while it runs: what plans and successes are judged at.
    pub as_of: NaiveDate,
    /// The account's success plans begun by `as_of`, with their progress then.
    pub plans: Vec<PlanView>,
    /// The successes achieved in the quarter, with their anatomy at `as_of`.
    pub successes: Vec<SuccessView>,
    /// The renewal and what threatens it at `as_of`; the team's pack only (null in a
    /// customer's).
    pub risks: Option<AccountRisksView>,
}

impl From<Qbr> for QbrView {
    fn from(q: Qbr) -> Self {
        Self {
            account: QbrAccountView {
                id: q.account.id,
                name: q.account.fields.name.clone(),
                currency: q.account.fields.currency.clone(),
            },
            quarter: q.quarter.to_string(),
            previous_quarter: q.quarter.previous().to_string(),
            period: q.period.into(),
            fiscal_year_start_month: q.fiscal_year_start_month,
            compared_with: ComparisonView {
                basis: q.comparison.basis().to_owned(),
                reviewed: q.reviewed.into(),
                previous: q.compared_with.into(),
            },
            audience: q.audience,
            sections: q
                .sections
                .iter()
                .map(|s| QbrSectionView {
                    metric_set: s.set.key.clone(),
                    label: s.set.label.clone(),
                    health: s.health.into(),
                    metrics: s.metrics.iter().map(Into::into).collect(),
                    missing: missing(s),
                })
                .collect(),
            classifications: q.classifications.into_iter().map(Into::into).collect(),
            as_of: q.as_of,
            plans: q.plans.into_iter().map(PlanView::from).collect(),
            successes: q.successes.into_iter().map(SuccessView::from).collect(),
            risks: q.risks.map(Into::into),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountHealthQuery {
    /// The set's key; defaults to `qbr_traditional`.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric_set: Option<String>,
    /// Defaults to now; values cover its quarter (of a year from 1000 to 9998) up to this instant. Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub as_of: Option<When>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PortfolioHealthQuery {
    /// `YYYY-Qn` of the workspace's fiscal year (years 1000–9998); defaults to the current quarter.
    #[param(pattern = "^(1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-Q[1-4]$")]
    pub quarter: Option<String>,
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
    /// Only accounts renewing within this many days of the quarter's last day (today while it
    /// runs); overdue renewals count.
    #[param(minimum = 0, maximum = 730)]
    pub renewal_within_days: Option<u32>,
    /// `worst_first` (the default) or `renewal`: soonest renewal first, accounts without a
    /// renewal date last.
    #[param(inline)]
    pub sort: Option<HealthOrder>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QbrQuery {
    /// The set's key; defaults to `qbr_traditional`. Not with `compare`.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric_set: Option<String>,
    /// Up to four set keys, comma-separated, shown side by side.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}(,[a-z][a-z0-9_]{0,63}){0,3}$")]
    pub compare: Option<String>,
    /// `YYYY-Qn` of the workspace's fiscal year (years 1000–9998); defaults to the current quarter.
    #[param(pattern = "^(1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-Q[1-4]$")]
    pub quarter: Option<String>,
    /// Who the pack is for: `team` (the default) or `customer`, which leaves out the team's
    /// working notes (plays, cells, closeness, anatomy gaps). A key limited to accounts gets
    /// `customer` and may not ask for `team`.
    pub audience: Option<Audience>,
}

/// An account's health on a metric set, quarter to date.
///
/// Scores each metric of the set (default `qbr_traditional`) from the quarter's observations up
/// to `as_of`, with RAG per metric, the weighted health and why any metric has no data. Any
/// role.
#[utoipa::path(get, path = "/v1/accounts/{id}/health", operation_id = "get_account_health", tag = "qbr",
    params(("id" = Uuid, Path, description = "The account"), AccountHealthQuery),
    responses((status = 200, description = "Per-metric scores and the weighted health", body = AccountHealthView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn account_health(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    Query(q): Query<AccountHealthQuery>,
) -> Result<Response, Problem> {
    let set = q.metric_set.as_deref().unwrap_or(DEFAULT_METRIC_SET);
    let health = app
        .account_health(&p, id, set, q.as_of.map(|w| w.instant(p.zone)))
        .await?;
    Ok(axum::Json(AccountHealthView::from(health)).into_response())
}

/// A quarter's health on a metric set across accounts, worst first.
///
/// Every account's health on the set for a quarter, worst first, filtered by segment or owner,
/// paged. Any role.
#[utoipa::path(get, path = "/v1/metric-sets/{key}/health", operation_id = "get_portfolio_health", tag = "qbr",
    params(("key" = String, Path, description = "e.g. qbr_future"), PortfolioHealthQuery),
    responses((status = 200, description = "Counts per colour and the accounts, paged", body = PortfolioHealthView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn portfolio_health(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Query(q): Query<PortfolioHealthQuery>,
) -> Result<Response, Problem> {
    let scope = AccountScope::of(q.segment, q.owner);
    let page = PageRequest {
        page_size: q.page_size,
        page_token: q.page_token,
    };
    let view = HealthRows {
        renewal_within_days: q.renewal_within_days,
        order: q.sort.unwrap_or(HealthOrder::WorstFirst),
    };
    let health = app
        .portfolio_health(&p, &key, q.quarter.as_deref(), (&scope, view), &page)
        .await?;
    Ok(axum::Json(PortfolioHealthView::from(health)).into_response())
}

/// The representations of a QBR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Html,
}

/// The client's preferred format by `Accept` (JSON by default).
fn negotiate(headers: &HeaderMap) -> Result<Format, Problem> {
    let offers = [
        ("application/json", Format::Json),
        ("application/*", Format::Json),
        ("*/*", Format::Json),
        ("text/csv", Format::Csv),
        ("text/html", Format::Html),
        ("text/*", Format::Html),
    ];
    let available = "a QBR is available as application/json, text/csv or text/html";
    accept::negotiate(headers, &offers, Format::Json, available)
}

/// The sets a QBR request names: `compare`, or `metric_set`, or the default.
fn chosen_sets(q: &QbrQuery) -> Result<Vec<String>, Invalid> {
    match (&q.metric_set, &q.compare) {
        (Some(_), Some(_)) => Err(Invalid::single(
            "compare",
            "give metric_set or compare, not both",
        )),
        (_, Some(list)) => Ok(list.split(',').map(str::to_owned).collect()),
        (Some(one), None) => Ok(vec![one.clone()]),
        (None, None) => Ok(vec![DEFAULT_METRIC_SET.to_owned()]),
    }
}

/// An account's QBR pack for a quarter: JSON, CSV (one row per metric) or HTML.
///
/// The quarter against the one before, a four-quarter trend per metric, health, the account's
/// success plans and the quarter's successes. `Accept: text/csv` for a sheet, `text/html` for a
/// self-contained report. Any role.
#[utoipa::path(get, path = "/v1/accounts/{id}/qbr", operation_id = "get_qbr", tag = "qbr",
    params(("id" = Uuid, Path, description = "The account"), QbrQuery),
    responses((status = 200, description = "The QBR pack, as the Accept header asks",
        content((QbrView = "application/json"), (String = "text/csv"), (String = "text/html"))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn qbr(
    State(app): State<App>,
    Caller(p): Caller,
    PathId(id): PathId,
    headers: HeaderMap,
    Query(q): Query<QbrQuery>,
) -> Result<Response, Problem> {
    let format = negotiate(&headers)?;
    let sets = chosen_sets(&q).map_err(Problem::invalid)?;
    let qbr = app
        .qbr(&p, id, &sets, q.quarter.as_deref(), q.audience)
        .await?;
    let qbr_quarter = qbr.quarter;
    let (body, content_type) = match format {
        Format::Json => return Ok(axum::Json(QbrView::from(qbr)).into_response()),
        Format::Csv => (crate::present::report::csv(&qbr), "text/csv; charset=utf-8"),
        Format::Html => (
            crate::present::report::html(&qbr, Utc::now()),
            "text/html; charset=utf-8",
        ),
    };
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if format == Format::Csv {
        let name = format!(
            "attachment; filename=\"qbr-{quarter}-{id}.csv\"",
            quarter = qbr_quarter
        );
        if let Ok(v) = HeaderValue::from_str(&name) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(res)
}
