//! Observation use cases: a connector's batch in (atomic by default,
//! accounts named by id or external ref), pages of observations out.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::catalogue::hold;
use super::changes::{data_of, record, record_about};
use super::page;
use super::portfolio::check_range;
use super::{App, AppError, Listed, Principal, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::filter::ObservationFilter;
use crate::domain::framework::is_key;
use crate::domain::metric::MetricDefinition;
use crate::domain::observation::{AccountKey, MAX_BATCH, ObservationDraft};
use crate::domain::observation::{Ingested, Observation, ObservationCursor};
use crate::domain::{Invalid, Role};
use crate::store::Tx;

/// A batch as received: each row parsed, or the errors that kept it from parsing.
#[derive(Debug, Clone)]
pub struct ObservationBatch {
    pub rows: Vec<Result<ObservationDraft, Invalid>>,
    /// All or nothing (the default); otherwise good rows are written and
    /// refused ones reported. A malformed row fails the batch either way.
    pub atomic: bool,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    pub written: usize,
    /// Bad rows (non-atomic batches only): row index and its errors, named
    /// `observations[i].field`.
    pub rejected: Vec<(usize, Invalid)>,
}

/// The most errors one answer lists; a batch of 10,000 bad rows would otherwise fill megabytes.
const MAX_LISTED_ERRORS: usize = 1000;

impl App {
    /// Checks every row; writes all (atomic) or the good ones, replacing the
    /// value of an (account, metric, instant) already stored.
    pub async fn write_observations(
        &self,
        p: &Principal,
        batch: ObservationBatch,
    ) -> Result<BatchOutcome, AppError> {
        p.require(Role::Write)?;
        if batch.rows.is_empty() || batch.rows.len() > MAX_BATCH {
            return Err(Invalid::single(
                "observations",
                format!("must hold 1 to {MAX_BATCH} observations"),
            )
            .into());
        }
        self.charge_rows(p, batch.rows.len())?;
        let metrics = self.metrics_by_key(p).await?;
        let accounts = self.resolve_accounts(p, &batch.rows).await?;
        let at = now();
        let mut good: HashMap<(Uuid, &str, DateTime<Utc>), f64> = HashMap::new();
        let mut rejected = Vec::new();
        let malformed = batch.rows.iter().any(Result::is_err);
        for (i, row) in batch.rows.iter().enumerate() {
            let checked = match row {
                Ok(d) => d
                    .check(
                        metrics.get(&d.metric),
                        accounts.get(&d.account).copied(),
                        at,
                    )
                    .map(|account| (account, d)),
                Err(e) => Err(e.clone()),
            };
            match checked {
                Ok((account, d)) => {
                    good.insert((account, d.metric.as_str(), d.observed_at), d.value);
                }
                Err(e) => {
                    let mut named = Invalid::default();
                    named.extend_under(&format!("observations[{i}]"), e);
                    rejected.push((i, named));
                }
            }
        }
        // A malformed row fails any batch; only well-formed rows that are
        // refused (unknown account, value out of range …) can be skipped.
        if (batch.atomic || malformed) && !rejected.is_empty() {
            return Err(listed_errors(rejected).into());
        }
        let mut rows: Vec<Observation> = good
            .into_iter()
            .map(|((account_id, metric, observed_at), value)| Observation {
                account_id,
                metric: metric.to_owned(),
                observed_at,
                value,
            })
            .collect();
        // In key order: batches that overlap lock their rows in one order and
        // cannot deadlock each other.
        rows.sort_unstable_by(|a, b| {
            (a.account_id, &a.metric, a.observed_at).cmp(&(b.account_id, &b.metric, b.observed_at))
        });
        let mut work = self.begin(p).await?;
        let result = async {
            hold::<MetricDefinition>(&mut work, rows.iter().map(|r| r.metric.as_str())).await?;
            work.upsert_observations(&rows).await?;
            record_ingested(&mut work, &rows, at).await?;
            Ok(BatchOutcome {
                written: rows.len(),
                rejected,
            })
        }
        .await;
        self.after_bulk_write(work.finish(result).await)
    }

    /// The account each distinct id or ref of a batch names, where it names one.
    async fn resolve_accounts(
        &self,
        p: &Principal,
        rows: &[Result<ObservationDraft, Invalid>],
    ) -> Result<HashMap<AccountKey, Uuid>, AppError> {
        let keys: HashSet<&AccountKey> = rows.iter().flatten().map(|d| &d.account).collect();
        let ids: Vec<Uuid> = keys
            .iter()
            .filter_map(|k| match k {
                AccountKey::Id(id) => Some(*id),
                AccountKey::Ref(_) => None,
            })
            .collect();
        let refs: Vec<(String, String)> = keys
            .iter()
            .filter_map(|k| match k {
                AccountKey::Ref(r) => Some((r.system.clone(), r.id.clone())),
                AccountKey::Id(_) => None,
            })
            .collect();
        let known = self.store.known_accounts(p.workspace_id, &ids).await?;
        let by_ref = self.store.accounts_by_ref(p.workspace_id, &refs).await?;
        Ok(keys
            .into_iter()
            .filter_map(|k| {
                let id = match k {
                    AccountKey::Id(id) => known.contains(id).then_some(*id),
                    AccountKey::Ref(r) => by_ref.get(&(r.system.clone(), r.id.clone())).copied(),
                }?;
                Some((k.clone(), id))
            })
            .collect())
    }

    /// Observations by account, metric and instant, filtered.
    pub async fn observations(
        &self,
        p: &Principal,
        filter: &ObservationFilter,
        page_size: Option<i64>,
        page_token: Option<&str>,
    ) -> Result<Listed<Observation>, AppError> {
        p.require_within_reach(Role::Read)?;
        let mut e = Invalid::default();
        let size = page::page_size(&mut e, page_size);
        let after = page_token.map(decode_cursor);
        if matches!(after, Some(None)) {
            e.push("page_token", "is not a token this API returned");
        }
        if filter.metric.as_deref().is_some_and(|m| !is_key(m)) {
            e.push("metric", "must be a metric key");
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && let Err(backwards) = check_range(from, to)
        {
            e.0.extend(backwards.0);
        }
        e.into_result()?;
        if let Some(id) = filter.account_id {
            self.account(p, id).await?;
        }
        let filter = ObservationFilter {
            within: p.reach.accounts().cloned(),
            ..filter.clone()
        };
        let mut rows = self
            .store
            .observations(p.workspace_id, &filter, after.flatten().as_ref(), size + 1)
            .await?;
        let next_page_token = (rows.len() > size).then(|| {
            rows.truncate(size);
            rows.last().map(encode_cursor)
        });
        Ok(Listed {
            items: rows,
            next_page_token: next_page_token.flatten(),
        })
    }
}

/// One problem for a whole batch, listing at most [`MAX_LISTED_ERRORS`] errors.
fn listed_errors(rejected: Vec<(usize, Invalid)>) -> Invalid {
    let mut all: Vec<_> = rejected.into_iter().flat_map(|(_, e)| e.0).collect();
    if all.len() > MAX_LISTED_ERRORS {
        let more = all.len() - MAX_LISTED_ERRORS;
        all.truncate(MAX_LISTED_ERRORS);
        all.push(crate::domain::FieldError::new(
            "observations",
            format!("and {more} more errors; nothing was written"),
        ));
    }
    Invalid(all)
}

/// A cursor as lowercase hex: the account id (32), the instant's
/// microseconds (16, offset so that the order of bytes is the order of time)
/// and the metric key.
fn encode_cursor(o: &Observation) -> String {
    let micros = (crate::store::to_micros(o.observed_at) as u64) ^ (1 << 63);
    let mut s = o.account_id.simple().to_string();
    s.push_str(&format!("{micros:016x}"));
    for b in o.metric.bytes() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn decode_cursor(token: &str) -> Option<ObservationCursor> {
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if token.len() < 50 || !token.len().is_multiple_of(2) || !hex(token) {
        return None;
    }
    let account_id = Uuid::try_parse(&token[..32]).ok()?;
    let micros = u64::from_str_radix(&token[32..48], 16).ok()? ^ (1 << 63);
    let metric: Vec<u8> = (48..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let metric = String::from_utf8(metric).ok().filter(|m| is_key(m))?;
    Some(ObservationCursor {
        account_id,
        metric,
        observed_at: crate::store::from_micros(micros as i64),
    })
}

/// Records one `observations.ingested` event for a written batch, about its
/// account when it touched only one.
async fn record_ingested(
    tx: &mut Tx,
    rows: &[Observation],
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(summary) = Ingested::of(rows) else {
        return Ok(());
    };
    let only = match summary.accounts.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let event = NewEvent::new(
        Resource::Observations,
        Change::Ingested,
        Uuid::now_v7(),
        at,
        data_of(&summary)?,
    );
    match only {
        Some(account) => record_about(tx, account, event).await,
        None => record(tx, event).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let o = Observation {
            account_id: Uuid::now_v7(),
            metric: "logins".into(),
            observed_at: crate::store::from_micros(1_780_000_000_123_456),
            value: 1.0,
        };
        let token = encode_cursor(&o);
        assert_eq!(
            decode_cursor(&token),
            Some(ObservationCursor {
                account_id: o.account_id,
                metric: o.metric.clone(),
                observed_at: o.observed_at
            })
        );
        for junk in [
            "",
            "zz",
            &token[..49],
            &token.to_uppercase(),
            &format!("{token}0"),
        ] {
            assert_eq!(decode_cursor(junk), None, "{junk}");
        }
    }
}
