//! Events and webhooks as returned: an event is the same JSON in the feed
//! and in a webhook delivery's body.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ExternalRefDto, refs_to};
use crate::domain::event::Event;
use crate::domain::webhook::{Delivery, Webhook};

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Unique; the same event delivered twice has the same id.
    pub id: Uuid,
    /// `<resource>.<created|updated|deleted>`, e.g. `account.updated`, or a moment:
    /// `classification.changed`, `success_plan.health_changed`, `success.captured`,
    /// `observations.ingested`.
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    /// The kind of record that changed, e.g. `account`.
    pub resource: String,
    /// The record's id; the key of a definition named by key (framework, metric definition,
    /// metric set, prioritization policy); the subject's id for a classification.
    pub resource_id: String,
    /// The account the change concerns, if any.
    pub account_id: Option<Uuid>,
    /// That account's refs when the change was made (kept for a deleted account).
    pub account_refs: Vec<ExternalRefDto>,
    /// The record as a GET returned it after the change; for a delete, a tombstone of its
    /// id and refs.
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
    /// A cursor just after this event.
    pub cursor: String,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            id: e.position.id,
            cursor: e.position.cursor(),
            kind: e.kind,
            occurred_at: e.occurred_at,
            resource: e.resource,
            resource_id: e.resource_id,
            account_id: e.account_id,
            account_refs: refs_to(e.account_refs),
            // Written by csapi as JSON; a row that were not would show as null.
            data: RawValue::from_string(e.data).unwrap_or_else(|_| RawValue::NULL.to_owned()),
        }
    }
}

/// Where a workspace's events are pushed. The signing secret is never shown again after it is
/// made.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    /// Receives a POST per event, signed per Standard Webhooks.
    pub url: String,
    /// Event types, prefixes ending in `*` (`account.*`), or `*` for all.
    pub event_types: Vec<String>,
    pub description: String,
    /// Disabled webhooks get nothing; their pending deliveries wait.
    pub enabled: bool,
    /// Why csapi disabled it (every delivery failing for too long), if it did.
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed, if they do.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            event_types: w.event_types,
            description: w.description,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            failing_since: w.failing_since,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// One message to a webhook and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The event delivered, sent as `webhook-id`: receivers deduplicate by it.
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending` (an attempt is due at `next_attempt_at`), `delivered` (a 2xx answered) or
    /// `failed` (every retry failed; redeliver to try again).
    #[schema(pattern = "^(pending|delivered|failed)$")]
    pub status: String,
    /// Attempts made so far.
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's status code at the last attempt, if it answered.
    pub last_status_code: Option<u16>,
    /// How long the last attempt took, in milliseconds.
    pub last_latency_ms: Option<u32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_latency_ms: d.last_latency_ms,
            last_error: d.last_error,
            created_at: d.created_at,
        }
    }
}
