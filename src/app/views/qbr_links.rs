//! A share link as returned: everything but its token, which only the answer
//! that made it shows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::qbr_link::QbrLink;

#[derive(Debug, Serialize, ToSchema)]
pub struct QbrLinkView {
    pub id: Uuid,
    pub account_id: Uuid,
    /// The metric set the pack shows.
    pub metric_set: String,
    pub created_at: DateTime<Utc>,
    /// The link answers 404 from then on.
    pub expires_at: DateTime<Utc>,
    /// Set when revoked: the link answers 404 from then on.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The last time the link was opened while live.
    pub last_opened_at: Option<DateTime<Utc>>,
    /// How many times it was opened while live.
    pub open_count: i64,
}

impl From<QbrLink> for QbrLinkView {
    fn from(l: QbrLink) -> Self {
        Self {
            id: l.id,
            account_id: l.account_id,
            metric_set: l.metric_set,
            created_at: l.created_at,
            expires_at: l.expires_at,
            revoked_at: l.revoked_at,
            last_opened_at: l.last_opened_at,
            open_count: l.open_count,
        }
    }
}
