//! `GET /v1/exports/accounts`: the book, streamed a page of accounts at a
//! time as NDJSON or CSV, for BI tools and CRM data loaders.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use super::accept;
use super::extract::{Caller, Query};
use super::problem::{Problem, ProblemResponses};
use super::streamed::{NDJSON, line_of};
use crate::app::views::ExportedAccountView;
use crate::app::{App, ExportPlan};
use crate::domain::api_key::Principal;
use crate::domain::filter::AccountScope;
use crate::present::export;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Only accounts of this segment, matched in any case (`Enterprise` finds `enterprise`).
    pub segment: Option<String>,
    /// Only accounts of this owner (the CSM's email), matched in any case.
    pub owner: Option<String>,
    /// Comma-separated metric set keys whose health to give; every set by default.
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}(,[a-z][a-z0-9_]{0,63}){0,19}$")]
    pub metric_sets: Option<String>,
}

/// Export the book: every account in scope with its cells, equations, health and plans.
///
/// Every account of the scope (segment, owner), in id order, with its refs, where it sits on
/// each matrix that places accounts, each equation's latest result, its health on each metric
/// set this quarter and its active plans' progress: one NDJSON line per account
/// (`Accept: application/x-ndjson`, the default) or one CSV row (`Accept: text/csv`, a column
/// per matrix, equation and set). Streamed a page of accounts at a time, so memory stays flat
/// however large the book; each page is read as it stands when it is read. Should a read fail
/// midway, an NDJSON export ends with `{"error": <problem>}` and a CSV one is cut off (the
/// transfer does not complete). Any role.
#[utoipa::path(get, path = "/v1/exports/accounts", operation_id = "export_accounts", tag = "accounts",
    params(ExportQuery),
    responses((status = 200, description = "One line per account, as the Accept header asks",
        content((ExportedAccountView = "application/x-ndjson"), (String = "text/csv"))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn export_accounts(
    State(app): State<App>,
    Caller(p): Caller,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Problem> {
    let csv = wants_csv(&headers)?;
    let scope = AccountScope::of(q.segment, q.owner);
    let sets: Vec<String> = q
        .metric_sets
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let plan = app.export_plan(&p, scope, &sets).await?;
    let (out, lines) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(pages(app, p, plan, csv, out));
    let stream = futures_util::stream::unfold(lines, |mut lines| async move {
        lines.recv().await.map(|line| (line, lines))
    });
    let media = if csv {
        "text/csv; charset=utf-8"
    } else {
        NDJSON
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, media)],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Sends the export page by page until the book ends or the client goes.
async fn pages(
    app: App,
    p: Principal,
    plan: ExportPlan,
    csv: bool,
    out: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    if csv && out.send(Ok(export::header(&plan).into())).await.is_err() {
        return;
    }
    let mut after = None;
    loop {
        let rows = match app.export_page(&p, &plan, after).await {
            Ok(rows) if rows.is_empty() => return,
            Ok(rows) => rows,
            Err(e) => {
                let end = if csv {
                    Err(std::io::Error::other(e.to_string()))
                } else {
                    Ok(line_of(&json!({ "error": Problem::from(e) })))
                };
                let _ = out.send(end).await;
                return;
            }
        };
        after = rows.last().map(|r| r.account.id);
        let mut chunk = Vec::new();
        for row in rows {
            let view = ExportedAccountView::from(row);
            if csv {
                chunk.extend_from_slice(export::row(&plan, &view).as_bytes());
            } else {
                chunk.extend_from_slice(&line_of(&view));
            }
        }
        if out.send(Ok(chunk.into())).await.is_err() {
            return;
        }
    }
}

/// Whether `Accept` asks for CSV rather than NDJSON (the default).
fn wants_csv(headers: &HeaderMap) -> Result<bool, Problem> {
    let offers = [
        (NDJSON, false),
        ("application/*", false),
        ("*/*", false),
        ("text/csv", true),
        ("text/*", true),
    ];
    let available = "the export is available as application/x-ndjson or text/csv";
    accept::negotiate(headers, &offers, false, available)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Result<bool, Problem> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        wants_csv(&headers)
    }

    #[test]
    fn accept_picks_the_format_by_q_value() {
        assert!(!wants_csv(&HeaderMap::new()).unwrap());
        assert!(accept("text/csv").unwrap());
        assert!(!accept("text/csv;q=0.5, application/x-ndjson").unwrap());
        assert!(accept("application/json, text/csv;q=0.1").unwrap());
        assert_eq!(accept("application/json").unwrap_err().status, 406);
    }
}
