//! Links that show a customer their QBR without a key: an account's pack
//! for its customer, at a URL that expires and can be revoked.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Invalid;
use super::framework::is_key;

/// How long a link lives unless asked otherwise.
pub const DEFAULT_LIFETIME_DAYS: i64 = 30;
/// The longest a link may live: a quarter's QBR is stale after a year.
pub const MAX_LIFETIME_DAYS: i64 = 365;

/// A share link as listed: never its token, which is shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct QbrLink {
    pub id: Uuid,
    pub account_id: Uuid,
    /// The metric set the pack shows.
    pub metric_set: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_opened_at: Option<DateTime<Utc>>,
    /// How many times the link was opened while it was live.
    pub open_count: i64,
}

/// What a CSM asks for when sharing a QBR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRequest {
    pub metric_set: String,
    pub lifetime_days: i64,
}

impl ShareRequest {
    /// Checks the set's key and the lifetime, naming each bad field.
    pub fn new(metric_set: String, lifetime_days: Option<i64>) -> Result<Self, Invalid> {
        let mut e = Invalid::default();
        if !is_key(&metric_set) {
            e.push("metric_set", "must be a metric set key");
        }
        let lifetime_days = lifetime_days.unwrap_or(DEFAULT_LIFETIME_DAYS);
        if !(1..=MAX_LIFETIME_DAYS).contains(&lifetime_days) {
            e.push(
                "expires_in_days",
                format!("must be 1 to {MAX_LIFETIME_DAYS} days"),
            );
        }
        e.into_result().map(|()| Self {
            metric_set,
            lifetime_days,
        })
    }

    /// When a link made at `now` stops working.
    pub fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::days(self.lifetime_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<ShareRequest, Invalid>) -> Vec<String> {
        r.err()
            .map_or_else(Vec::new, |e| e.0.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn a_link_lives_a_month_unless_asked_and_at_most_a_year() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let default = ShareRequest::new("qbr_traditional".into(), None).unwrap();
        assert_eq!(
            default.expires_at(now).to_rfc3339(),
            "2026-12-31T10:00:00+00:00"
        );
        let year = ShareRequest::new("qbr_future".into(), Some(365)).unwrap();
        assert_eq!(
            year.expires_at(now).to_rfc3339(),
            "2027-12-01T10:00:00+00:00"
        );
        assert_eq!(
            fields(ShareRequest::new("x".into(), Some(0))),
            ["expires_in_days"]
        );
        assert_eq!(
            fields(ShareRequest::new("x".into(), Some(366))),
            ["expires_in_days"]
        );
        assert_eq!(
            fields(ShareRequest::new("Not A Key".into(), Some(-1))),
            ["metric_set", "expires_in_days"]
        );
    }
}
