//! The change feed: what changed in a workspace, in commit order, from a
//! cursor on; and the events each write records with its change.

use std::time::Duration;

use serde::Serialize;
use uuid::Uuid;

use super::page::page_size;
use super::{App, AppError, Principal};
use crate::domain::event::{Event, FeedFilter, NewEvent, Position, is_type_pattern};
use crate::domain::{ExternalRef, Invalid, Role};
use crate::store::Tx;

/// How long the feed keeps an event unless configured.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest a reader may wait for news.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting reader looks again: events written by other replicas
/// are seen within this.
const LOOK_AGAIN: Duration = Duration::from_millis(200);

/// What a reader asks of the feed.
#[derive(Debug, Clone, Default)]
pub struct ChangesQuery {
    /// A cursor from an earlier page; none for the oldest retained event.
    pub after: Option<String>,
    pub types: Vec<String>,
    /// Only events about this account (a UUID).
    pub account_id: Option<String>,
    pub page_size: Option<i64>,
    /// Seconds to wait when nothing is new (0 to 30).
    pub wait: Option<f64>,
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    pub events: Vec<Event>,
    /// Where the next read starts: after the last event of this page, or
    /// where this read started when it found none.
    pub next_cursor: Option<String>,
}

struct Checked {
    after: Option<Position>,
    filter: FeedFilter,
    limit: usize,
    wait: Duration,
}

impl ChangesQuery {
    fn checked(&self) -> Result<Checked, Invalid> {
        let mut e = Invalid::default();
        let after = self.after.as_deref().and_then(|c| {
            let p = Position::from_cursor(c);
            if p.is_none() {
                e.push("after", "is not a cursor this API returned");
            }
            p
        });
        for t in &self.types {
            if !is_type_pattern(t) {
                e.push(
                    "types",
                    format!("{t:?} is not an event type (such as account.created) or a prefix of one ending in * (such as account.*)"),
                );
            }
        }
        let account_id = self.account_id.as_deref().and_then(|a| {
            let id = Uuid::try_parse(a).ok();
            if id.is_none() {
                e.push("account_id", "must be a UUID");
            }
            id
        });
        let limit = page_size(&mut e, self.page_size);
        let wait = match self.wait {
            None => Duration::ZERO,
            Some(w) if (0.0..=MAX_WAIT.as_secs_f64()).contains(&w) => Duration::from_secs_f64(w),
            Some(_) => {
                e.push(
                    "wait",
                    format!("must be between 0 and {} seconds", MAX_WAIT.as_secs()),
                );
                Duration::ZERO
            }
        };
        e.into_result()?;
        Ok(Checked {
            after,
            filter: FeedFilter {
                types: self.types.clone(),
                account_id,
            },
            limit,
            wait,
        })
    }
}

impl App {
    /// The events after a cursor. A cursor older than the feed's retention
    /// is refused: events behind it are gone, and the reader must resync.
    pub async fn changes(&self, p: &Principal, q: &ChangesQuery) -> Result<Changes, AppError> {
        p.require(Role::Read)?;
        let q = q.checked()?;
        if let Some(after) = q.after {
            let horizon = self.store.event_horizon(p.workspace_id).await?;
            if horizon.is_some_and(|h| after < h) {
                return Err(AppError::Expired(
                    "this cursor is older than the feed's retention; resync with updated_since, then read the feed from its start".into(),
                ));
            }
        }
        let until = tokio::time::Instant::now() + q.wait;
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        loop {
            let events = self
                .store
                .events_after(p.workspace_id, q.after, &q.filter, limit)
                .await?;
            let now = tokio::time::Instant::now();
            if !events.is_empty() || now >= until {
                let next = events.last().map(|e| e.position).or(q.after);
                return Ok(Changes {
                    events,
                    next_cursor: next.map(|p| p.cursor()),
                });
            }
            tokio::time::sleep(LOOK_AGAIN.min(until - now)).await;
        }
    }
}

impl App {
    /// Drops events past the feed's retention, moving each workspace's
    /// horizon past them; run periodically by the server.
    pub async fn purge_events(&self) -> Result<usize, AppError> {
        let retention = chrono::Duration::from_std(self.event_retention)
            .map_err(|e| AppError::Internal(format!("event retention: {e}")))?;
        Ok(self.store.prune_events(super::now() - retention).await?)
    }
}

/// Records `event` with the change it describes, in the same transaction.
pub(super) async fn record(tx: &mut Tx, event: NewEvent) -> Result<(), AppError> {
    Ok(tx.append_event(&event).await?)
}

/// Records `change` of something that hangs off account `account_id`, with
/// the account's refs as they are now.
pub(super) async fn record_about(
    tx: &mut Tx,
    account_id: Uuid,
    event: NewEvent,
) -> Result<(), AppError> {
    let refs = account_refs(tx, account_id).await?;
    record(tx, event.about(account_id, &refs)).await
}

/// The refs of account `account_id` as they are now, for events about it.
pub(super) async fn account_refs(
    tx: &mut Tx,
    account_id: Uuid,
) -> Result<Vec<ExternalRef>, AppError> {
    Ok(match tx.account(account_id).await? {
        Some(a) => a.fields.external_refs,
        None => Vec::new(),
    })
}

/// The JSON a resource's events carry: the resource as the REST API returns it.
pub(super) fn data_of(view: &impl Serialize) -> Result<String, AppError> {
    serde_json::to_string(view).map_err(|e| AppError::Internal(format!("an event's data: {e}")))
}
