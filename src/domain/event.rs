//! Change events: what a sync reads to learn that a record changed or went
//! away, in the order the changes committed.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ExternalRef;

/// A place in a workspace's feed: after the event at `(tx, id)`. Events are
/// ordered by the transaction that wrote them, then by id within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx: i64,
    pub id: Uuid,
}

/// What a cursor starts with, so that a cursor is told from other text.
const CURSOR_PREFIX: &str = "c1";

impl Position {
    /// The opaque cursor a client sends back: stable across replicas and
    /// restarts, as it names the event itself.
    pub fn cursor(&self) -> String {
        format!("{CURSOR_PREFIX}{:016x}{}", self.tx, self.id.simple())
    }

    /// The position a cursor names; `None` for text no cursor has.
    pub fn from_cursor(cursor: &str) -> Option<Self> {
        let hex = cursor.strip_prefix(CURSOR_PREFIX)?;
        if hex.len() != 48 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let tx = u64::from_str_radix(&hex[..16], 16).ok()?;
        let id = Uuid::try_parse(&hex[16..]).ok()?;
        Some(Self {
            tx: i64::try_from(tx).ok()?,
            id,
        })
    }
}

/// A resource kind whose changes the feed carries, as events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Account,
    Stakeholder,
    Assessment,
    SuccessPlan,
    PlanTemplate,
    Success,
    Framework,
    MetricDefinition,
    MetricSet,
    Policy,
    ApiKey,
    /// A subject's place on a matrix (the subject's id names it).
    Classification,
    /// A batch of observations written at once (`observations.ingested`).
    Observations,
    Webhook,
    /// A link that shows a customer their QBR without a key.
    QbrLink,
    /// A risk someone raised against an account's renewal.
    Risk,
}

impl Resource {
    pub const ALL: [Resource; 16] = [
        Resource::Account,
        Resource::Stakeholder,
        Resource::Assessment,
        Resource::SuccessPlan,
        Resource::PlanTemplate,
        Resource::Success,
        Resource::Framework,
        Resource::MetricDefinition,
        Resource::MetricSet,
        Resource::Policy,
        Resource::ApiKey,
        Resource::Classification,
        Resource::Observations,
        Resource::Webhook,
        Resource::QbrLink,
        Resource::Risk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Account => "account",
            Resource::Stakeholder => "stakeholder",
            Resource::Assessment => "assessment",
            Resource::SuccessPlan => "success_plan",
            Resource::PlanTemplate => "success_plan_template",
            Resource::Success => "success",
            Resource::Framework => "framework",
            Resource::MetricDefinition => "metric_definition",
            Resource::MetricSet => "metric_set",
            Resource::Policy => "prioritization_policy",
            Resource::ApiKey => "api_key",
            Resource::Classification => "classification",
            Resource::Observations => "observations",
            Resource::Webhook => "webhook",
            Resource::QbrLink => "qbr_link",
            Resource::Risk => "risk",
        }
    }
}

/// What happened to a resource: its lifecycle, or a moment a CS team acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Deleted,
    /// `classification.changed`: a subject moved to another cell.
    Moved,
    /// `success_plan.health_changed`: between on track, at risk and off track.
    HealthChanged,
    /// `success.captured`: a success was recorded.
    Captured,
    /// `observations.ingested`: one event for a whole batch.
    Ingested,
    /// `webhook.disabled`: csapi stopped calling a receiver that kept failing.
    Disabled,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Deleted => "deleted",
            Change::Moved => "changed",
            Change::HealthChanged => "health_changed",
            Change::Captured => "captured",
            Change::Ingested => "ingested",
            Change::Disabled => "disabled",
        }
    }
}

/// An event about to be written with the change it describes.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    /// `<resource>.<change>`, e.g. `account.deleted`.
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub resource: Resource,
    /// The resource's id, or its key for definitions named by key.
    pub resource_id: String,
    /// The account the change concerns, with its refs as they were: a sync
    /// finds its own record by them, even for a deleted account.
    pub account: Option<(Uuid, Vec<ExternalRef>)>,
    /// The JSON text of the resource as the REST API returns it; for a
    /// delete, a tombstone. Text, not a tree: it is stored as it is.
    pub data: String,
}

impl NewEvent {
    pub fn new(
        resource: Resource,
        change: Change,
        resource_id: impl std::fmt::Display,
        occurred_at: DateTime<Utc>,
        data: String,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: format!("{}.{}", resource.as_str(), change.as_str()),
            occurred_at,
            resource,
            resource_id: resource_id.to_string(),
            account: None,
            data,
        }
    }

    /// The account the change concerns.
    pub fn about(mut self, account: Uuid, refs: &[ExternalRef]) -> Self {
        self.account = Some((account, refs.to_vec()));
        self
    }
}

/// An event as the feed returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub position: Position,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub resource: String,
    pub resource_id: String,
    pub account_id: Option<Uuid>,
    pub account_refs: Vec<ExternalRef>,
    /// The JSON text of `data`, as stored: passed on, never parsed.
    pub data: String,
}

/// Which events a reader wants.
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    /// Event types, or prefixes of them (a pattern ending in `*`); empty
    /// for all.
    pub types: Vec<String>,
    pub account_id: Option<Uuid>,
}

/// Checks an event-type pattern a client sent: lowercase words joined by
/// dots and underscores, optionally ending in `*`.
pub fn is_type_pattern(pattern: &str) -> bool {
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    pattern.len() <= 100
        && body
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
        && (!body.is_empty() || pattern == "*")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_names_its_position() {
        let p = Position {
            tx: 0x1234,
            id: Uuid::from_u128(0xabc),
        };
        assert_eq!(
            p.cursor(),
            "c1000000000000123400000000000000000000000000000abc"
        );
        assert_eq!(Position::from_cursor(&p.cursor()), Some(p));
        for bad in [
            "",
            "c1",
            "x1000000000000123400000000000000000000000000000abc",
            "c1000000000000123400000000000000000000000000000ab",
            "c1ffffffffffffffff00000000000000000000000000000abc",
            "c1000000000000123400000000000000000000000000000abg",
        ] {
            assert_eq!(Position::from_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn type_patterns_are_dotted_words_with_an_optional_star() {
        for ok in ["*", "account.*", "success_plan.health_changed"] {
            assert!(is_type_pattern(ok), "{ok}");
        }
        for bad in [
            "",
            "Account.created",
            "account.**",
            "a b",
            "account.cr*ated",
        ] {
            assert!(!is_type_pattern(bad), "{bad}");
        }
    }

    proptest! {
        /// Cursors sort as the positions they name do, so a client may
        /// compare them as text, and every cursor reads back as itself.
        #[test]
        fn cursors_round_trip_and_keep_order(
            a in (0..i64::MAX, any::<u128>()),
            b in (0..i64::MAX, any::<u128>()),
        ) {
            let (a, b) = (
                Position { tx: a.0, id: Uuid::from_u128(a.1) },
                Position { tx: b.0, id: Uuid::from_u128(b.1) },
            );
            prop_assert_eq!(Position::from_cursor(&a.cursor()), Some(a));
            prop_assert_eq!(a.cmp(&b), a.cursor().cmp(&b.cursor()));
        }
    }
}
