//! `csapi.v1.ChangeService`: the change feed.

use tonic::{Request, Response, Status};

use super::convert::{self, timestamp};
use super::pb::change_service_server::ChangeService;
use super::pb::*;
use super::{GrpcState, call, status_of};
use crate::app::ChangesQuery;

pub struct ChangeGrpc(pub GrpcState);

fn event_to_pb(e: crate::domain::event::Event) -> Event {
    Event {
        id: e.position.id.to_string(),
        cursor: e.position.cursor(),
        r#type: e.kind,
        occurred_at: Some(timestamp(e.occurred_at)),
        resource: e.resource,
        resource_id: e.resource_id.to_string(),
        account_id: e.account_id.map(|a| a.to_string()),
        account_refs: convert::refs_to(e.account_refs),
        data_json: e.data.to_string(),
    }
}

#[tonic::async_trait]
impl ChangeService for ChangeGrpc {
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
