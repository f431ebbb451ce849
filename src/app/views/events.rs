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

impl EventView {
    /// Writes `event` as this view serialises it (byte for byte: a property
    /// test holds the two together) without building the view. The feed
    /// sends thousands of events a page and a webhook one per delivery:
    /// building each view and checking its stored `data` again (csapi wrote
    /// it, serialised from a view) was a fifth of a feed read's CPU time.
    pub fn write_json(event: &Event, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"id\":");
        uuid_json(out, event.position.id);
        out.extend_from_slice(b",\"type\":");
        serde_json::to_writer(&mut *out, &event.kind)?;
        out.extend_from_slice(b",\"occurred_at\":");
        serde_json::to_writer(&mut *out, &event.occurred_at)?;
        out.extend_from_slice(b",\"resource\":");
        serde_json::to_writer(&mut *out, &event.resource)?;
        out.extend_from_slice(b",\"resource_id\":");
        serde_json::to_writer(&mut *out, &event.resource_id)?;
        out.extend_from_slice(b",\"account_id\":");
        match event.account_id {
            Some(id) => uuid_json(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"account_refs\":[");
        for (i, r) in event.account_refs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"system\":");
            serde_json::to_writer(&mut *out, &r.system)?;
            out.extend_from_slice(b",\"id\":");
            serde_json::to_writer(&mut *out, &r.id)?;
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"data\":");
        out.extend_from_slice(event.data.as_bytes());
        out.extend_from_slice(b",\"cursor\":\"");
        out.extend_from_slice(event.position.cursor().as_bytes());
        out.extend_from_slice(b"\"}");
        Ok(())
    }

    /// [`Self::write_json`] as text: a webhook delivery's body.
    pub fn json(event: &Event) -> serde_json::Result<String> {
        let mut out = Vec::new();
        Self::write_json(event, &mut out)?;
        String::from_utf8(out).map_err(serde::ser::Error::custom)
    }
}

fn uuid_json(out: &mut Vec<u8>, id: Uuid) {
    out.push(b'"');
    out.extend_from_slice(
        id.hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.push(b'"');
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::ExternalRef;
    use crate::domain::event::Position;

    fn event(
        kind: String,
        resource_id: String,
        refs: Vec<(String, String)>,
        micros: i64,
        account: bool,
    ) -> Event {
        Event {
            position: Position {
                tx: micros,
                id: Uuid::from_u128(micros as u128 * 7919),
            },
            kind,
            occurred_at: Utc.timestamp_micros(micros).single().unwrap_or_default(),
            resource: "account".into(),
            resource_id,
            account_id: account.then(|| Uuid::from_u128(42)),
            account_refs: refs
                .into_iter()
                .map(|(s, i)| ExternalRef::new(s, i))
                .collect(),
            data: r#"{"id":"x","attributes":{"note":"a \"quoted\" \\ line\n"},"n":[1,2.5,null]}"#
                .into(),
        }
    }

    proptest! {
        /// The writer and the view's derived serialisation are the same
        /// bytes, whatever the text (quotes, backslashes, control
        /// characters, any Unicode) and whenever the event occurred.
        #[test]
        fn the_writer_writes_what_the_view_serialises(
            kind in any::<String>(),
            resource_id in any::<String>(),
            refs in proptest::collection::vec((any::<String>(), any::<String>()), 0..3),
            micros in 0..4_102_444_800_000_000i64,
            account in any::<bool>(),
        ) {
            let e = event(kind, resource_id, refs, micros, account);
            prop_assert_eq!(EventView::json(&e).unwrap(), serde_json::to_string(&EventView::from(e)).unwrap());
        }
    }

    #[test]
    fn a_whole_second_and_a_millisecond_are_written_as_the_view_writes_them() {
        for micros in [1_764_547_200_000_000, 1_764_547_200_123_000] {
            let e = event("account.created".into(), "r".into(), vec![], micros, false);
            assert_eq!(
                EventView::json(&e).unwrap(),
                serde_json::to_string(&EventView::from(e)).unwrap()
            );
        }
    }
}
