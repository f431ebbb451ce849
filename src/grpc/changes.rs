//! `csapi.v1.ChangeService`: the change feed.

use std::collections::VecDeque;
use std::pin::Pin;

use futures_util::Stream;
use tonic::{Request, Response, Status};

use super::convert::{self, timestamp};
use super::pb::change_service_server::ChangeService;
use super::pb::*;
use super::{GrpcState, call, status_of};
use crate::app::{App, ChangesQuery, MAX_CHANGES_WAIT, Principal};

/// Events a watch reads from the store at a time.
const WATCH_PAGE: i64 = 100;

type EventStream = Pin<Box<dyn Stream<Item = Result<Event, Status>> + Send>>;

pub struct ChangeGrpc(pub GrpcState);

fn event_to_pb(e: crate::domain::event::Event) -> Event {
    Event {
        id: e.position.id.to_string(),
        cursor: e.position.cursor(),
        r#type: e.kind,
        occurred_at: Some(timestamp(e.occurred_at)),
        resource: e.resource,
        resource_id: e.resource_id,
        account_id: e.account_id.map(|a| a.to_string()),
        account_refs: convert::refs_to(e.account_refs),
        data_json: e.data,
    }
}

/// A watch between reads: who watches, from where, and what it has read
/// but not yet sent.
struct Watch {
    app: App,
    caller: Principal,
    query: ChangesQuery,
    read: VecDeque<crate::domain::event::Event>,
}

impl Watch {
    /// The next event: from what was read, else from the store, waiting
    /// for one to commit. An error ends the stream.
    async fn next(mut self) -> (Result<Event, Status>, Self) {
        loop {
            if let Some(e) = self.read.pop_front() {
                self.query.after = Some(e.position.cursor());
                return (Ok(event_to_pb(e)), self);
            }
            match self.app.changes(&self.caller, &self.query).await {
                Ok(changes) => self.read.extend(changes.events),
                Err(e) => return (Err(status_of(e)), self),
            }
        }
    }
}

#[tonic::async_trait]
impl ChangeService for ChangeGrpc {
    type WatchChangesStream = EventStream;

    async fn watch_changes(
        &self,
        req: Request<WatchChangesRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let app = self.0.app.clone();
        call!(self.0, "WatchChanges", req, |p, m| {
            let mut query = ChangesQuery {
                after: Some(m.after).filter(|a| !a.is_empty()),
                types: m.types,
                account_id: m.account_id,
                page_size: Some(WATCH_PAGE),
                wait: None,
            };
            // The first read checks the request and catches up at once.
            let first = app.changes(&p, &query).await.map_err(status_of)?;
            query.wait = Some(MAX_CHANGES_WAIT.as_secs_f64());
            let watch = Watch {
                app,
                caller: p,
                query,
                read: first.events.into(),
            };
            let events = futures_util::stream::unfold(Some(watch), |watch| async move {
                let (item, next) = watch?.next().await;
                let goes_on = item.is_ok();
                Some((item, goes_on.then_some(next)))
            });
            Ok::<_, Status>(Box::pin(events) as EventStream)
        })
    }

    async fn list_changes(
        &self,
        req: Request<ListChangesRequest>,
    ) -> Result<Response<ListChangesResponse>, Status> {
        call!(self.0, "ListChanges", req, |p, m| {
            let query = ChangesQuery {
                after: Some(m.after).filter(|a| !a.is_empty()),
                types: m.types,
                account_id: m.account_id,
                page_size: convert::page(m.page_size, String::new()).page_size,
                wait: Some(m.wait),
            };
            let changes = self.0.app.changes(&p, &query).await.map_err(status_of)?;
            Ok::<_, Status>(ListChangesResponse {
                events: changes.events.into_iter().map(event_to_pb).collect(),
                next_cursor: changes.next_cursor.unwrap_or_default(),
            })
        })
    }
}
