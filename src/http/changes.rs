//! `/v1/changes`: the change feed a sync tails.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caching::content_etag;
use super::extract::{Caller, Query};
use super::problem::{Problem, ProblemResponses};
pub use crate::app::views::EventView;
use crate::app::{App, AppError, Changes, ChangesQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesParams {
    /// `next_cursor` of the previous read; none to start at the oldest retained event.
    pub after: Option<String>,
    /// Comma-separated event types or prefixes ending in `*` (`account.*,stakeholder.deleted`).
    pub types: Option<String>,
    /// Only events about this account.
    #[param(value_type = Option<Uuid>)]
    pub account_id: Option<String>,
    /// 1–1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// Seconds (0–30) to wait for an event when none is new: a long poll.
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<f64>,
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesView {
    pub events: Vec<EventView>,
    /// Pass back as `after`; null only when the feed is empty and no cursor was given.
    pub next_cursor: Option<String>,
}

/// The page as [`ChangesView`] serialises it (a test holds the two
/// together), written event by event into a buffer of about its size.
fn page_json(changes: &Changes) -> serde_json::Result<Vec<u8>> {
    let size: usize = changes.events.iter().map(|e| e.data.len() + 400).sum();
    let mut out = Vec::with_capacity(size + 64);
    out.extend_from_slice(b"{\"events\":[");
    for (i, e) in changes.events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        EventView::write_json(e, &mut out)?;
    }
    out.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut out, &changes.next_cursor)?;
    out.push(b'}');
    Ok(out)
}

/// Read the change feed.
///
/// Every create, update and delete, in the order they committed, after `after`. No event is
/// skipped or repeated when paging by `next_cursor`, however writers interleave. With `wait`,
/// an empty read waits up to that many seconds for one. A cursor older than the feed's
/// retention answers 410: resync with `updated_since`, then read the feed from its start. Any
/// role.
#[utoipa::path(operation_id = "list_changes", get, path = "/v1/changes", tag = "changes",
    params(ChangesParams),
    responses((status = 200, description = "A page of events", body = ChangesView),
        (status = 410, description = "The cursor is older than the feed's retention", body = Problem,
            content_type = "application/problem+json"),
        ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    RawQuery(raw): RawQuery,
    Query(q): Query<ChangesParams>,
) -> Result<Response, Problem> {
    let query = ChangesQuery {
        after: q.after,
        types: q
            .types
            .as_deref()
            .map(|t| t.split(',').map(|t| t.trim().to_owned()).collect())
            .unwrap_or_default(),
        account_id: q.account_id,
        page_size: q.page_size,
        wait: q.wait,
    };
    let changes = app.changes(&p, &query).await?;
    // A page's events are settled: the request and where the page ends name
    // its content, so the ETag need not hash the whole page.
    let name = format!(
        "changes?{}#{}",
        raw.unwrap_or_default(),
        changes.next_cursor.as_deref().unwrap_or_default()
    );
    let body =
        page_json(&changes).map_err(|e| AppError::Internal(format!("writing a feed page: {e}")))?;
    let mut res = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    res.headers_mut()
        .insert(header::ETAG, content_etag(name.as_bytes()));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::domain::ExternalRef;
    use crate::domain::event::{Event, Position};

    fn event(n: u128, account: bool) -> Event {
        Event {
            position: Position {
                tx: 7,
                id: Uuid::from_u128(n),
            },
            kind: "account.updated".into(),
            occurred_at: chrono::Utc
                .timestamp_micros(1_764_547_200_000_001)
                .single()
                .unwrap(),
            resource: "account".into(),
            resource_id: format!("id \"{n}\""),
            account_id: account.then(|| Uuid::from_u128(n)),
            account_refs: vec![
                ExternalRef::new("salesforce", "001"),
                ExternalRef::new("hubspot", "9"),
            ],
            data: r#"{"name":"Acme \u00e9","tier":null}"#.into(),
        }
    }

    /// A page of none, one and several events is the bytes its view
    /// serialises to, with and without a next cursor.
    #[test]
    fn a_page_is_written_as_its_view_serialises() {
        for (events, next) in [
            (vec![], None),
            (vec![event(1, true)], Some("c1".to_owned())),
            (
                vec![event(1, true), event(2, false), event(3, true)],
                Some("c2".to_owned()),
            ),
        ] {
            let changes = Changes {
                events,
                next_cursor: next,
            };
            let view = ChangesView {
                events: changes
                    .events
                    .iter()
                    .cloned()
                    .map(EventView::from)
                    .collect(),
                next_cursor: changes.next_cursor.clone(),
            };
            assert_eq!(
                String::from_utf8(page_json(&changes).unwrap()).unwrap(),
                serde_json::to_string(&view).unwrap()
            );
        }
    }
}
