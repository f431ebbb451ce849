//! A rate limit as people write one: a quota of requests per window. The
//! buckets that apply it live in `app::rate_limit`; a workspace may set its
//! own (its settings), which travels with each request's [`Principal`].
//!
//! [`Principal`]: super::Principal

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

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

/// The spelling `FromStr` reads: `6000/min`, `10/s`, `500/h`.
impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.window.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.quota)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_limit_reads_back_as_written() {
        for s in ["6000/min", "10/s", "500/h"] {
            assert_eq!(s.parse::<RateLimit>().unwrap().to_string(), s);
        }
        assert_eq!(
            "20/minute".parse::<RateLimit>().unwrap().to_string(),
            "20/min"
        );
    }
}
