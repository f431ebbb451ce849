//! The webhook worker every replica runs: it turns new events into
//! deliveries (reading the feed after each webhook's cursor, so no event is
//! skipped), then claims due deliveries and sends them. A claim moves the
//! delivery's next attempt past the send, so no other replica sends it
//! meanwhile; a replica that dies mid-send leaves it due again once that
//! time passes: delivery is at least once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use rand::Rng;
use tokio::sync::watch;
use uuid::Uuid;

use super::views::EventView;
use super::webhooks::record_webhook;
use super::{App, AppError, now};
use crate::domain::event::{Change, FeedFilter};
use crate::domain::webhook::{
    Attempt, Delivery, DeliveryStatus, DueDelivery, Reach, RetrySchedule, Webhook,
};
use crate::outbound::{Message, TIMEOUT, WebhookClient};

/// How webhooks are delivered in this replica.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    pub reach: Reach,
    pub retries: RetrySchedule,
    /// How long every delivery to a webhook may fail before it is disabled.
    pub disable_after: Duration,
    /// How often the worker looks for new events and due deliveries.
    pub poll: Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        Self {
            reach: Reach::Public,
            retries: RetrySchedule::default(),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            poll: Duration::from_secs(1),
        }
    }
}

/// Events read per webhook per statement while fanning out.
const FAN_OUT_BATCH: i64 = 500;
/// Deliveries one worker claims and sends at once.
const CLAIM_BATCH: i64 = 32;
/// How long a claim holds a delivery: past the send's timeout, with room.
const LEASE: Duration = Duration::from_secs(TIMEOUT.as_secs() * 6);

impl App {
    /// Runs the worker until `stopped`.
    pub async fn run_webhooks(&self, mut stopped: watch::Receiver<bool>) {
        let client = match WebhookClient::new(self.webhooks.reach) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhooks will not be delivered");
                return;
            }
        };
        loop {
            if let Err(e) = self.deliver_round(&client).await {
                tracing::warn!(error = %e, "delivering webhooks");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.webhooks.poll) => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
        }
    }

    /// One round: fan out every new event, then send what is due until
    /// nothing is.
    pub async fn deliver_round(&self, client: &WebhookClient) -> Result<(), AppError> {
        for (ws, hook) in self.store.webhooks_behind().await? {
            self.fan_out(ws, hook).await?;
        }
        loop {
            let at = now();
            let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
            let due = self
                .store
                .claim_deliveries(at, at + lease, CLAIM_BATCH)
                .await?;
            if due.is_empty() {
                return Ok(());
            }
            let sent = join_all(due.iter().map(|d| self.send(client, d))).await;
            for (d, attempt) in due.iter().zip(sent) {
                self.settle(d, &attempt).await?;
            }
        }
    }

    /// Turns the events after the webhook's cursor into its deliveries,
    /// unless another worker is doing so now.
    async fn fan_out(&self, ws: Uuid, id: Uuid) -> Result<(), AppError> {
        loop {
            let mut tx = self.store.begin(ws).await?;
            let Some((hook, cursor)) = tx.claim_fan_out(id).await? else {
                tx.rollback().await?;
                return Ok(());
            };
            let events = self
                .store
                .events_after(ws, Some(cursor), &FeedFilter::default(), FAN_OUT_BATCH)
                .await?;
            let Some(last) = events.last().map(|e| e.position) else {
                tx.rollback().await?;
                return Ok(());
            };
            let full = events.len() as i64 == FAN_OUT_BATCH;
            let at = now();
            let deliveries = events
                .into_iter()
                .filter(|e| hook.wants(&e.kind))
                .map(|e| {
                    let delivery = Delivery::new(id, e.position.id, &e.kind, at);
                    Ok((delivery, EventView::json(&e)?))
                })
                .collect::<Result<Vec<_>, serde_json::Error>>()
                .map_err(|e| AppError::Internal(format!("a delivery's body: {e}")))?;
            tx.add_deliveries(deliveries).await?;
            tx.advance_webhook(id, last).await?;
            tx.commit().await?;
            if !full {
                return Ok(());
            }
        }
    }

    async fn send(&self, client: &WebhookClient, d: &DueDelivery) -> Attempt {
        let id = d.event_id.to_string();
        client
            .send(&Message {
                url: &d.url,
                id: &id,
                body: &d.payload,
                secrets: &d.secrets,
            })
            .await
    }

    /// Records what an attempt found, on the delivery and on its webhook,
    /// which is disabled once it has failed for too long.
    async fn settle(&self, d: &DueDelivery, attempt: &Attempt) -> Result<(), AppError> {
        let jitter = rand::rng().random_range(-1.0..=1.0);
        let (status, delay) = attempt.outcome(d.attempts, &self.webhooks.retries, jitter);
        let at = now();
        let next = delay.map(|d| at + chrono::Duration::from_std(d).unwrap_or_default());
        let mut tx = self.store.begin(d.workspace_id).await?;
        tx.settle_delivery(d.id, status, next, attempt).await?;
        let failed_at = (status != DeliveryStatus::Delivered).then_some(at);
        let hook = tx.note_webhook_health(d.webhook_id, failed_at).await?;
        if let Some(hook) =
            hook.filter(|h| h.enabled && h.failed_too_long(at, self.webhooks.disable_after))
        {
            disable(&mut tx, hook, at).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Stops calling a webhook whose deliveries have all failed for too long,
/// saying so in the feed (`webhook.disabled`).
async fn disable(
    tx: &mut crate::store::Tx,
    hook: Webhook,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let since = hook.failing_since.unwrap_or(at);
    let off = Webhook {
        enabled: false,
        disabled_reason: Some(format!(
            "every delivery has failed since {}; fix the receiver, then enable the webhook again",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )),
        updated_at: at,
        ..hook
    };
    tx.update_webhook(&off).await?;
    record_webhook(tx, &off, Change::Disabled).await
}
