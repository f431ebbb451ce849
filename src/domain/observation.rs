//! Observations as a connector sends them: one value of one metric for one
//! account at one instant, the account named by id or by an external ref.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::external_ref::RecordKey;
use super::metric::{MetricDefinition, Source};
use super::validation::Invalid;

/// What a written batch of observations touched: the `observations.ingested`
/// event's data, one per batch rather than one per row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ingested {
    pub observations: usize,
    /// Distinct, in id order.
    pub accounts: Vec<Uuid>,
    /// Distinct, in key order.
    pub metrics: Vec<String>,
    /// The earliest and latest instant observed.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Ingested {
    /// The summary of `rows`; none for an empty batch.
    pub fn of(rows: &[Observation]) -> Option<Self> {
        let from = rows.iter().map(|r| r.observed_at).min()?;
        let to = rows.iter().map(|r| r.observed_at).max()?;
        let mut accounts: Vec<Uuid> = rows.iter().map(|r| r.account_id).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let mut metrics: Vec<String> = rows.iter().map(|r| r.metric.clone()).collect();
        metrics.sort_unstable();
        metrics.dedup();
        Some(Self {
            observations: rows.len(),
            accounts,
            metrics,
            from,
            to,
        })
    }
}

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
pub type AccountKey = RecordKey;

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
            e.push(
                self.account.field("account"),
                "names no account of this workspace",
            );
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
    #[test]
    fn an_ingested_batch_is_summed_up_once() {
        use chrono::TimeZone;
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(1));
        let at = |d| chrono::Utc.with_ymd_and_hms(2026, 3, d, 0, 0, 0).unwrap();
        let row = |account_id, metric: &str, d| super::Observation {
            account_id,
            metric: metric.into(),
            observed_at: at(d),
            value: 1.0,
        };
        let rows = [row(a, "nps", 5), row(b, "arr", 2), row(a, "arr", 9)];
        let summary = super::Ingested::of(&rows).unwrap();
        assert_eq!(summary.observations, 3);
        assert_eq!(summary.accounts, vec![b, a]);
        assert_eq!(summary.metrics, vec!["arr".to_owned(), "nps".to_owned()]);
        assert_eq!((summary.from, summary.to), (at(2), at(9)));
        assert_eq!(super::Ingested::of(&[]), None);
    }

    use super::*;
    use crate::domain::ExternalRef;
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
