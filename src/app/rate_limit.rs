//! Rate limits: a token bucket per API key and one per workspace, each
//! holding a window's quota and refilling evenly over the window, so a quiet
//! client may burst up to its quota and a busy one settles at the rate.
//! Buckets live in this process: N replicas behind a balancer admit up to N
//! times the rate (docs/architecture.md).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{App, AppError, Principal};

/// A quota per window, as `CSAPI_RATE_LIMIT` spells it: `6000/min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub quota: u32,
    pub window: Duration,
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a rate such as 6000/min (units: s, min, h)");
        let (quota, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let quota: u32 = quota.trim().parse().map_err(|_| bad())?;
        let window = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        if quota == 0 {
            return Err(format!(
                "{s:?}: a quota of 0 admits nothing; use \"off\" for no limit"
            ));
        }
        Ok(Self { quota, window })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.quota, self.window.as_secs())
    }
}

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

/// One limit's buckets, by key or workspace id.
#[derive(Debug)]
struct Buckets {
    policy: &'static str,
    limit: RateLimit,
    held: Mutex<HashMap<Uuid, Bucket>>,
}

impl Buckets {
    fn new(policy: &'static str, limit: RateLimit) -> Self {
        Self {
            policy,
            limit,
            held: Mutex::new(HashMap::new()),
        }
    }

    fn per_second(&self) -> f64 {
        f64::from(self.limit.quota) / self.limit.window.as_secs_f64()
    }

    /// The bucket of `id` refilled to `now`.
    fn refilled(&self, held: &HashMap<Uuid, Bucket>, id: Uuid, now: Instant) -> Bucket {
        let quota = f64::from(self.limit.quota);
        match held.get(&id) {
            None => Bucket {
                tokens: quota,
                at: now,
            },
            Some(b) => Bucket {
                tokens: (b.tokens
                    + now.saturating_duration_since(b.at).as_secs_f64() * self.per_second())
                .min(quota),
                at: now,
            },
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

/// Every bucket of a replica.
#[derive(Debug, Default)]
pub struct Limiter {
    per_key: Option<Buckets>,
    per_workspace: Option<Buckets>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            per_key: limits.per_key.map(|l| Buckets::new("key", l)),
            per_workspace: limits.per_workspace.map(|l| Buckets::new("workspace", l)),
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
        let scopes = [
            (&self.per_key, p.key_id),
            (&self.per_workspace, p.workspace_id),
        ];
        let mut guards: Vec<_> = scopes
            .iter()
            .filter_map(|(b, id)| {
                b.as_ref()
                    .map(|b| (b, *id, b.held.lock().unwrap_or_else(|e| e.into_inner())))
            })
            .collect();
        let mut tightest: Option<Allowance> = None;
        let mut refilled = Vec::with_capacity(guards.len());
        for (buckets, id, held) in &guards {
            let bucket = buckets.refilled(held, *id, now);
            if bucket.tokens < n {
                let retry_after =
                    ((n - bucket.tokens) / buckets.per_second()).ceil().max(1.0) as u64;
                return Err(Exhausted {
                    retry_after,
                    allowance: buckets.allowance(bucket.tokens),
                });
            }
            refilled.push(bucket);
        }
        for ((buckets, id, held), mut bucket) in guards.iter_mut().zip(refilled) {
            bucket.tokens -= n;
            held.insert(*id, bucket);
            let a = buckets.allowance(bucket.tokens);
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
    use super::*;
    use crate::domain::api_key::Role;

    fn who(key: u128, workspace: u128) -> Principal {
        Principal {
            workspace_id: Uuid::from_u128(workspace),
            key_id: Uuid::from_u128(key),
            role: Role::Read,
        }
    }

    fn limits(key: &str, workspace: Option<&str>) -> Limiter {
        Limiter::new(RateLimits {
            per_key: Some(key.parse().unwrap()),
            per_workspace: workspace.map(|w| w.parse().unwrap()),
        })
    }

    #[test]
    fn rates_parse_as_written() {
        assert_eq!(
            "6000/min".parse(),
            Ok(RateLimit {
                quota: 6000,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(
            "10/s".parse::<RateLimit>().unwrap().window,
            Duration::from_secs(1)
        );
        for bad in ["6000", "0/min", "x/min", "5/day", ""] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
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
    fn no_limits_admit_everything() {
        let l = Limiter::new(RateLimits::default());
        assert_eq!(l.admit(&who(1, 1), Instant::now()), Ok(None));
    }
}
