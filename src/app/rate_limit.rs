//! Rate limits: a token bucket per API key and one per workspace, each
//! holding a window's quota and refilling evenly over the window, so a quiet
//! client may burst up to its quota and a busy one settles at the rate.
//! Buckets live in this process: N replicas behind a balancer admit up to N
//! times the rate (docs/architecture.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use uuid::Uuid;

pub use crate::domain::rate_limit::RateLimit;

use super::{App, AppError, Principal};

/// The limits a replica applies; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub per_key: Option<RateLimit>,
    pub per_workspace: Option<RateLimit>,
}

/// Where a caller stands against the tighter of its limits, for the
/// `RateLimit-Policy` and `RateLimit` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// `key` or `workspace`: which limit this is.
    pub policy: &'static str,
    pub limit: RateLimit,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset: u64,
}

/// A refused request: when to try again, and the allowance it ran out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub retry_after: u64,
    pub allowance: Allowance,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A limit applied to one bucket.
#[derive(Debug, Clone, Copy)]
struct Applied {
    policy: &'static str,
    limit: RateLimit,
}

impl Applied {
    fn per_second(&self) -> f64 {
        f64::from(self.limit.quota) / self.limit.window.as_secs_f64()
    }

    /// `held` refilled to `now` (full when new; a lowered quota caps it).
    fn refilled(&self, held: Option<&Bucket>, now: Instant) -> Bucket {
        let quota = f64::from(self.limit.quota);
        let tokens = held.map_or(quota, |b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * self.per_second()
        });
        Bucket {
            tokens: tokens.min(quota),
            at: now,
        }
    }

    fn allowance(&self, tokens: f64) -> Allowance {
        let missing = f64::from(self.limit.quota) - tokens;
        Allowance {
            policy: self.policy,
            limit: self.limit,
            remaining: tokens.floor() as u32,
            reset: (missing / self.per_second()).ceil() as u64,
        }
    }
}

/// Every bucket of a replica: per key under the replica's key limit, per
/// workspace under the workspace's own limit or else the replica's.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: RateLimits,
    keys: Mutex<HashMap<Uuid, Bucket>>,
    workspaces: Mutex<HashMap<Uuid, Bucket>>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Takes one token from the caller's key and workspace buckets, or none
    /// when either is empty. `None` when no limit applies.
    pub fn admit(&self, p: &Principal, now: Instant) -> Result<Option<Allowance>, Exhausted> {
        self.take(p, 1, now)
    }

    /// Takes `n` tokens from each of the caller's buckets, or none when
    /// either holds fewer.
    fn take(&self, p: &Principal, n: u32, now: Instant) -> Result<Option<Allowance>, Exhausted> {
        let n = f64::from(n);
        let applies =
            |policy, limit: Option<RateLimit>| limit.map(|limit| Applied { policy, limit });
        let scopes = [
            (applies("key", self.limits.per_key), &self.keys, p.key_id),
            (
                applies(
                    "workspace",
                    p.workspace_rate_limit.or(self.limits.per_workspace),
                ),
                &self.workspaces,
                p.workspace_id,
            ),
        ];
        let mut guards: Vec<_> = scopes
            .into_iter()
            .filter_map(|(applied, held, id)| {
                applied.map(|a| (a, id, held.lock().unwrap_or_else(|e| e.into_inner())))
            })
            .collect();
        let mut refilled = Vec::with_capacity(guards.len());
        for (applied, id, held) in &guards {
            let bucket = applied.refilled(held.get(id), now);
            if bucket.tokens < n {
                let retry_after =
                    ((n - bucket.tokens) / applied.per_second()).ceil().max(1.0) as u64;
                return Err(Exhausted {
                    retry_after,
                    allowance: applied.allowance(bucket.tokens),
                });
            }
            refilled.push(bucket);
        }
        let mut tightest: Option<Allowance> = None;
        for ((applied, id, held), mut bucket) in guards.iter_mut().zip(refilled) {
            bucket.tokens -= n;
            held.insert(*id, bucket);
            let a = applied.allowance(bucket.tokens);
            if tightest.is_none_or(|t| a.remaining < t.remaining) {
                tightest = Some(a);
            }
        }
        Ok(tightest)
    }
}

/// Rows of a bulk write that cost as much as one request.
pub const ROWS_PER_REQUEST: usize = 1000;

impl App {
    /// Counts a request of `p` against its limits: its allowance, or
    /// [`AppError::RateLimited`] saying when to retry.
    pub fn admit(&self, p: &Principal) -> Result<Option<Allowance>, AppError> {
        self.limiter
            .admit(p, Instant::now())
            .map_err(AppError::RateLimited)
    }

    /// Charges a bulk write of `rows` as the requests it stands for (one per
    /// [`ROWS_PER_REQUEST`] rows, the request itself already counted).
    pub(super) fn charge_rows(&self, p: &Principal, rows: usize) -> Result<(), AppError> {
        let extra = rows.div_ceil(ROWS_PER_REQUEST).saturating_sub(1);
        if extra == 0 {
            return Ok(());
        }
        let extra = u32::try_from(extra).unwrap_or(u32::MAX);
        self.limiter
            .take(p, extra, Instant::now())
            .map(drop)
            .map_err(AppError::RateLimited)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::api_key::Role;

    fn who(key: u128, workspace: u128) -> Principal {
        Principal {
            workspace_id: Uuid::from_u128(workspace),
            key_id: Uuid::from_u128(key),
            role: Role::Read,
            reach: Default::default(),
            workspace_rate_limit: None,
            zone: crate::domain::time::Zone::default(),
        }
    }

    fn limits(key: &str, workspace: Option<&str>) -> Limiter {
        Limiter::new(RateLimits {
            per_key: Some(key.parse().unwrap()),
            per_workspace: workspace.map(|w| w.parse().unwrap()),
        })
    }

    #[test]
    fn the_61st_request_of_a_60_per_minute_key_waits_a_second() {
        let l = limits("60/min", None);
        let t0 = Instant::now();
        for n in 1..=60 {
            let a = l.admit(&who(1, 9), t0).unwrap().unwrap();
            assert_eq!(a.remaining, 60 - n);
        }
        let refused = l.admit(&who(1, 9), t0).unwrap_err();
        // One token refills in 60 s / 60 = 1 s; the bucket is full again in 60 s.
        assert_eq!(
            (
                refused.retry_after,
                refused.allowance.remaining,
                refused.allowance.reset
            ),
            (1, 0, 60)
        );
        assert!(
            l.admit(&who(2, 9), t0).is_ok(),
            "another key has its own bucket"
        );
        assert!(
            l.admit(&who(1, 9), t0 + Duration::from_secs(1)).is_ok(),
            "a second later one token is back"
        );
    }

    #[test]
    fn the_workspace_limit_binds_every_key_and_a_refusal_takes_nothing() {
        let l = limits("10/min", Some("3/min"));
        let t0 = Instant::now();
        for key in 1..=3 {
            let a = l.admit(&who(key, 9), t0).unwrap().unwrap();
            assert_eq!(a.policy, "workspace");
        }
        let refused = l.admit(&who(4, 9), t0).unwrap_err();
        assert_eq!(refused.allowance.policy, "workspace");
        // Key 1 spent one token; the refusal of key 4 spent none of its own.
        let later = t0 + Duration::from_secs(20);
        let a = l.admit(&who(4, 9), later).unwrap().unwrap();
        assert_eq!((a.policy, a.remaining), ("workspace", 0));
    }

    #[test]
    fn a_bulk_charge_takes_all_its_tokens_or_none() {
        let l = limits("60/min", None);
        let t0 = Instant::now();
        assert_eq!(l.take(&who(1, 9), 50, t0).unwrap().unwrap().remaining, 10);
        let refused = l.take(&who(1, 9), 11, t0).unwrap_err();
        // 11 tokens wanted, 10 held: one more refills in a second.
        assert_eq!(refused.retry_after, 1);
        assert_eq!(l.admit(&who(1, 9), t0).unwrap().unwrap().remaining, 9);
    }

    #[test]
    fn a_workspace_s_own_limit_takes_the_place_of_the_replica_s() {
        let l = limits("10/min", Some("100/min"));
        let t0 = Instant::now();
        let own = Principal {
            workspace_rate_limit: Some("2/min".parse().unwrap()),
            zone: crate::domain::time::Zone::default(),
            ..who(1, 9)
        };
        let a = l.admit(&own, t0).unwrap().unwrap();
        assert_eq!((a.policy, a.remaining), ("workspace", 1));
        l.admit(&own, t0).unwrap();
        assert_eq!(l.admit(&own, t0).unwrap_err().allowance.policy, "workspace");
        // Another workspace keeps the replica's workspace limit.
        let a = l.admit(&who(2, 8), t0).unwrap().unwrap();
        assert_eq!((a.policy, a.remaining), ("key", 9));
    }

    #[test]
    fn no_limits_admit_everything() {
        let l = Limiter::new(RateLimits::default());
        assert_eq!(l.admit(&who(1, 1), Instant::now()), Ok(None));
    }
}
