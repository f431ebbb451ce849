//! `csapi.v1.WebhookService`: where the workspace's events are pushed (admin only).

use tonic::{Request, Response, Status};

use super::convert::{self, timestamp};
use super::pb::webhook_service_server::WebhookService;
use super::pb::*;
use super::{GrpcState, call, status_of};
use crate::app::{NewWebhook, WebhookChange, WithSecret};
use crate::domain::webhook::{Delivery, Webhook as Hook, WebhookPatch};

pub struct WebhookGrpc(pub GrpcState);

fn webhook_to_pb(w: Hook) -> Webhook {
    Webhook {
        id: w.id.to_string(),
        url: w.url,
        event_types: w.event_types,
        description: w.description,
        enabled: w.enabled,
        disabled_reason: w.disabled_reason,
        failing_since: w.failing_since.map(timestamp),
        created_at: Some(timestamp(w.created_at)),
        updated_at: Some(timestamp(w.updated_at)),
    }
}

fn with_secret_to_pb(w: WithSecret) -> WebhookWithSecret {
    WebhookWithSecret {
        webhook: Some(webhook_to_pb(w.webhook)),
        secret: w.secret.unwrap_or_default(),
    }
}

fn delivery_to_pb(d: Delivery) -> WebhookDelivery {
    WebhookDelivery {
        id: d.id.to_string(),
        webhook_id: d.webhook_id.to_string(),
        event_id: d.event_id.to_string(),
        event_type: d.event_type,
        status: d.status.as_str().to_owned(),
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at.map(timestamp),
        last_attempt_at: d.last_attempt_at.map(timestamp),
        last_status_code: d.last_status_code.map(u32::from),
        last_latency_ms: d.last_latency_ms,
        last_error: d.last_error,
        created_at: Some(timestamp(d.created_at)),
    }
}

fn id(field: &str, value: &str) -> Result<uuid::Uuid, Status> {
    convert::id(field, value).map_err(super::status::invalid_argument)
}

#[tonic::async_trait]
impl WebhookService for WebhookGrpc {
    async fn create_webhook(
        &self,
        req: Request<CreateWebhookRequest>,
    ) -> Result<Response<WebhookWithSecret>, Status> {
        call!(self.0, "CreateWebhook", req, |p, m| {
            let input = NewWebhook {
                url: m.url,
                event_types: m.event_types,
                description: Some(m.description).filter(|d| !d.is_empty()),
            };
            let created = self.0.app.create_webhook(&p, input).await;
            created.map(with_secret_to_pb).map_err(status_of)
        })
    }

    async fn list_webhooks(
        &self,
        req: Request<ListWebhooksRequest>,
    ) -> Result<Response<ListWebhooksResponse>, Status> {
        call!(self.0, "ListWebhooks", req, |p, m| {
            let listed = self
                .0
                .app
                .webhooks(&p, &convert::page(m.page_size, m.page_token))
                .await;
            listed.map_err(status_of).map(|l| ListWebhooksResponse {
                webhooks: l.items.into_iter().map(webhook_to_pb).collect(),
                next_page_token: l.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn get_webhook(
        &self,
        req: Request<GetWebhookRequest>,
    ) -> Result<Response<Webhook>, Status> {
        call!(self.0, "GetWebhook", req, |p, m| {
            let hook = self.0.app.webhook(&p, id("id", &m.id)?).await;
            hook.map(webhook_to_pb).map_err(status_of)
        })
    }

    async fn update_webhook(
        &self,
        req: Request<UpdateWebhookRequest>,
    ) -> Result<Response<WebhookWithSecret>, Status> {
        call!(self.0, "UpdateWebhook", req, |p, m| {
            let change = WebhookChange {
                patch: WebhookPatch {
                    url: m.url,
                    event_types: m.set_event_types.then_some(m.event_types),
                    description: m.description,
                    enabled: m.enabled,
                },
                rotate_secret: m.rotate_secret,
            };
            let updated = self
                .0
                .app
                .update_webhook(&p, id("id", &m.id)?, change)
                .await;
            updated.map(with_secret_to_pb).map_err(status_of)
        })
    }

    async fn delete_webhook(
        &self,
        req: Request<DeleteWebhookRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteWebhook", req, |p, m| {
            self.0
                .app
                .delete_webhook(&p, id("id", &m.id)?)
                .await
                .map_err(status_of)
        })
    }

    async fn test_webhook(
        &self,
        req: Request<TestWebhookRequest>,
    ) -> Result<Response<WebhookDelivery>, Status> {
        call!(self.0, "TestWebhook", req, |p, m| {
            let queued = self.0.app.test_webhook(&p, id("id", &m.id)?).await;
            queued.map(delivery_to_pb).map_err(status_of)
        })
    }

    async fn list_webhook_deliveries(
        &self,
        req: Request<ListWebhookDeliveriesRequest>,
    ) -> Result<Response<ListWebhookDeliveriesResponse>, Status> {
        call!(self.0, "ListWebhookDeliveries", req, |p, m| {
            let hook = id("webhook_id", &m.webhook_id)?;
            let status = Some(m.status.as_str()).filter(|s| !s.is_empty());
            let page = convert::page(m.page_size, m.page_token);
            let listed = self.0.app.webhook_deliveries(&p, hook, status, &page).await;
            listed
                .map_err(status_of)
                .map(|l| ListWebhookDeliveriesResponse {
                    deliveries: l.items.into_iter().map(delivery_to_pb).collect(),
                    next_page_token: l.next_page_token.unwrap_or_default(),
                })
        })
    }

    async fn redeliver_webhook_delivery(
        &self,
        req: Request<RedeliverWebhookDeliveryRequest>,
    ) -> Result<Response<WebhookDelivery>, Status> {
        call!(self.0, "RedeliverWebhookDelivery", req, |p, m| {
            let (hook, delivery) = (
                id("webhook_id", &m.webhook_id)?,
                id("delivery_id", &m.delivery_id)?,
            );
            let queued = self.0.app.redeliver(&p, hook, delivery).await;
            queued.map(delivery_to_pb).map_err(status_of)
        })
    }
}
