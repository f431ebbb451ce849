//! Observations as a connector sends them: one value of one metric for one
//! account at one instant, the account named by id or by an external ref.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::external_ref::ExternalRef;
use super::metric::{MetricDefinition, Source};
use super::validation::Invalid;

/// One stored value of a metric for an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub account_id: Uuid,
    pub metric: String,
    pub observed_at: DateTime<Utc>,
    pub value: f64,
}

/// Where a list of observations resumes: after this (account, metric, instant).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationCursor {
    pub account_id: Uuid,
    pub metric: String,
    pub observed_at: DateTime<Utc>,
}

/// A row whose metric is not even shaped like a key is malformed (it fails
/// any batch), where an unknown but well-formed key is merely refused.
pub fn check_metric_key(errors: &mut Invalid, key: &str) {
    if !super::framework::is_key(key) {
        errors.push(
            "metric",
            "must be a metric key: a-z, 0-9 and _, starting with a letter",
        );
    }
}

/// The most rows one batch may carry.
pub const MAX_BATCH: usize = 10_000;

/// How a row names its account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountKey {
    Id(Uuid),
    /// The account's id in another system, e.g. Salesforce.
    Ref(ExternalRef),
}

impl AccountKey {
    /// The field a row names its account in.
    pub fn field(&self) -> &'static str {
        match self {
            AccountKey::Id(_) => "account_id",
            AccountKey::Ref(_) => "account_ref",
        }
    }
}

/// One row of a batch, parsed but not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationDraft {
    pub account: AccountKey,
    pub metric: String,
    pub observed_at: DateTime<Utc>,
    pub value: f64,
}

impl ObservationDraft {
    /// Names every bad field of the row: `metric` is its definition if the
    /// workspace has one, `account` the account it names if that exists.
    pub fn check(
        &self,
        metric: Option<&MetricDefinition>,
        account: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, Invalid> {
        let mut e = Invalid::default();
        if account.is_none() {
            e.push(self.account.field(), "names no account of this workspace");
        }
        match metric {
            None => e.push("metric", format!("{:?} is not a metric", self.metric)),
            Some(m) if m.source == Source::Derived => e.push(
                "metric",
                format!(
                    "{:?} is derived: csapi computes it, it is not observed",
                    m.key
                ),
            ),
            Some(m) => {
                if let Err(why) = m.unit.check(self.value) {
                    e.push("value", why);
                }
            }
        }
        if self.observed_at > now {
            e.push("observed_at", "must not be in the future");
        }
        match account {
            Some(id) if e.0.is_empty() => Ok(id),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::builtin;

    fn draft(metric: &str, value: f64) -> ObservationDraft {
        ObservationDraft {
            account: AccountKey::Ref(ExternalRef::new("salesforce", "001")),
            metric: metric.into(),
            observed_at: Utc::now() - chrono::Duration::days(1),
            value,
        }
    }

    #[test]
    fn rows_name_every_bad_field() {
        let now = Utc::now();
        let id = Uuid::from_u128(7);
        let ok = draft("active_users_pct", 55.0);
        assert_eq!(
            ok.check(builtin::metric("active_users_pct"), Some(id), now),
            Ok(id)
        );
        let bad = ObservationDraft {
            observed_at: now + chrono::Duration::hours(1),
            ..draft("active_users_pct", 120.0)
        };
        assert_eq!(
            bad.check(builtin::metric("active_users_pct"), None, now)
                .unwrap_err()
                .fields(),
            ["account_ref", "value", "observed_at"]
        );
        let derived = draft("tenure_months", 3.0);
        assert_eq!(
            derived
                .check(builtin::metric("tenure_months"), Some(id), now)
                .unwrap_err()
                .fields(),
            ["metric"]
        );
        assert_eq!(
            draft("nope", 1.0)
                .check(None, Some(id), now)
                .unwrap_err()
                .fields(),
            ["metric"]
        );
    }
}
