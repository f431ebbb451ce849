//! Quarters: the period a QBR reviews. Calendar quarters in the workspace's
//! time zone, shifted by its fiscal year; a quarter starts inclusive and ends exclusive,
//! so an observation exactly at a quarter's start belongs to that quarter.
//!
//! A fiscal year is named after the calendar year in which it **ends** (the
//! convention of Salesforce's default, Microsoft and most US companies): with
//! `fiscal_year_start_month = 4`, FY2027 runs from April 2026 to March 2027 and
//! `2027-Q1` is April–June 2026. With the default start month 1 the fiscal
//! year is the calendar year.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::time::Zone;

/// One quarter of a fiscal year, as in `2026-Q3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1–4.
    pub number: u8,
}

/// Why a quarter string was refused.
pub const QUARTER_FORMAT: &str = "must be a quarter like 2026-Q3 (a four-digit year, Q1-Q4)";
/// The years a quarter may name: whatever the fiscal start, a quarter, its
/// trend and its period's instants then stay within years 0001–9999, the
/// years RFC 3339 can write.
pub const YEARS: std::ops::RangeInclusive<i32> = 1000..=9998;
pub const YEARS_MESSAGE: &str = "must be a quarter of a year from 1000 to 9998";

impl FromStr for Quarter {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let well_formed = b.len() == 7
            && b[..4].iter().all(u8::is_ascii_digit)
            && &b[4..6] == b"-Q"
            && (b'1'..=b'4').contains(&b[6]);
        let year: Option<i32> = s.get(..4).and_then(|y| y.parse().ok());
        let Some(year) = year.filter(|_| well_formed) else {
            return Err(QUARTER_FORMAT);
        };
        if !YEARS.contains(&year) {
            return Err(YEARS_MESSAGE);
        }
        Ok(Self {
            year,
            number: b[6] - b'0',
        })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.number)
    }
}

impl Quarter {
    /// Quarters since year 0, Q1: consecutive quarters differ by one.
    fn ordinal(self) -> i64 {
        i64::from(self.year) * 4 + i64::from(self.number) - 1
    }

    fn from_ordinal(n: i64) -> Self {
        Self {
            year: n.div_euclid(4) as i32,
            number: n.rem_euclid(4) as u8 + 1,
        }
    }

    /// The quarter `n` quarters earlier (later when negative).
    pub fn back(self, n: i64) -> Self {
        Self::from_ordinal(self.ordinal() - n)
    }

    pub fn previous(self) -> Self {
        self.back(1)
    }
}

/// How a workspace's fiscal year lies on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiscalCalendar {
    start_month: u32,
    zone: Zone,
}

impl Default for FiscalCalendar {
    fn default() -> Self {
        Self {
            start_month: 1,
            zone: Zone::default(),
        }
    }
}

impl FiscalCalendar {
    /// `None` unless `start_month` is 1–12.
    pub fn starting_in(start_month: u32) -> Option<Self> {
        (1..=12).contains(&start_month).then_some(Self {
            start_month,
            zone: Zone::default(),
        })
    }

    /// This calendar with its days drawn in `zone`.
    pub fn in_zone(self, zone: Zone) -> Self {
        Self { zone, ..self }
    }

    pub fn start_month(self) -> u32 {
        self.start_month
    }

    pub fn zone(self) -> Zone {
        self.zone
    }

    /// Months since January of year 0 at which `q` starts.
    fn start_index(self, q: Quarter) -> i64 {
        let year = i64::from(q.year) - i64::from(self.start_month > 1);
        year * 12 + i64::from(self.start_month - 1) + 3 * (i64::from(q.number) - 1)
    }

    /// The first instant of `q`.
    pub fn start(self, q: Quarter) -> DateTime<Utc> {
        let i = self.start_index(q);
        let day = NaiveDate::from_ymd_opt(i.div_euclid(12) as i32, i.rem_euclid(12) as u32 + 1, 1);
        self.zone.start_of(day.unwrap_or_default())
    }

    /// The first instant after `q` (exclusive end).
    pub fn end(self, q: Quarter) -> DateTime<Utc> {
        self.start(q.back(-1))
    }

    /// The quarter `t` falls in.
    pub fn containing(self, t: DateTime<Utc>) -> Quarter {
        let t = self.zone.day_of(t);
        let months =
            i64::from(t.year()) * 12 + i64::from(t.month0()) - i64::from(self.start_month - 1);
        let fiscal_year = months.div_euclid(12) + i64::from(self.start_month > 1);
        Quarter {
            year: fiscal_year as i32,
            number: (months.rem_euclid(12) / 3) as u8 + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn parses_and_prints() {
        let q: Quarter = "2026-Q3".parse().unwrap();
        assert_eq!((q.year, q.number), (2026, 3));
        assert_eq!(q.to_string(), "2026-Q3");
        for bad in [
            "2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-q1", "2026-Q1 ", "+026-Q1",
        ] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
        assert_eq!(q.previous().to_string(), "2026-Q2");
        assert_eq!(
            "2026-Q1".parse::<Quarter>().unwrap().previous().to_string(),
            "2025-Q4"
        );
        assert_eq!(q.back(3).to_string(), "2025-Q4");
        for out_of_range in ["0000-Q1", "0999-Q4", "9999-Q1"] {
            assert_eq!(out_of_range.parse::<Quarter>(), Err(YEARS_MESSAGE));
        }
        let first: Quarter = "1000-Q1".parse().unwrap();
        assert_eq!(
            FiscalCalendar::starting_in(4)
                .unwrap()
                .start(first)
                .to_string(),
            "0999-04-01 00:00:00 UTC"
        );
    }

    #[test]
    fn calendar_quarters() {
        let cal = FiscalCalendar::default();
        let q: Quarter = "2026-Q3".parse().unwrap();
        assert_eq!(cal.start(q), at(2026, 7, 1));
        assert_eq!(cal.end(q), at(2026, 10, 1));
        assert_eq!(cal.end("2026-Q4".parse().unwrap()), at(2027, 1, 1));
        assert_eq!(cal.containing(at(2026, 7, 1)), q);
        assert_eq!(cal.containing(at(2026, 10, 1)).to_string(), "2026-Q4");
    }

    /// FY2027 starting in April runs from April 2026 to March 2027.
    #[test]
    fn fiscal_year_from_april_is_named_after_its_end() {
        let cal = FiscalCalendar::starting_in(4).unwrap();
        let q1: Quarter = "2027-Q1".parse().unwrap();
        assert_eq!(cal.start(q1), at(2026, 4, 1));
        assert_eq!(cal.end(q1), at(2026, 7, 1));
        assert_eq!(cal.start("2026-Q4".parse().unwrap()), at(2026, 1, 1));
        assert_eq!(cal.start("2027-Q3".parse().unwrap()), at(2026, 10, 1));
        assert_eq!(cal.containing(at(2026, 11, 23)).to_string(), "2027-Q3");
        assert_eq!(cal.containing(at(2026, 3, 31)).to_string(), "2026-Q4");
        assert!(FiscalCalendar::starting_in(0).is_none());
        assert!(FiscalCalendar::starting_in(13).is_none());
    }

    /// Sydney is ten hours ahead in June: 15:00 UTC on 30 June is already
    /// 1 July there, the first day of Q3.
    #[test]
    fn quarters_turn_at_the_workspace_midnight() {
        let sydney = FiscalCalendar::default().in_zone("Australia/Sydney".parse().unwrap());
        let t = Utc.with_ymd_and_hms(2026, 6, 30, 15, 0, 0).unwrap();
        assert_eq!(sydney.containing(t).to_string(), "2026-Q3");
        assert_eq!(
            FiscalCalendar::default().containing(t).to_string(),
            "2026-Q2"
        );
        let q3: Quarter = "2026-Q3".parse().unwrap();
        assert_eq!(
            sydney.start(q3),
            Utc.with_ymd_and_hms(2026, 6, 30, 14, 0, 0).unwrap()
        );
        assert_eq!(
            sydney.end(q3),
            Utc.with_ymd_and_hms(2026, 9, 30, 14, 0, 0).unwrap()
        );
    }

    proptest! {
        /// Every instant lies in exactly the quarter that contains it, and
        /// consecutive quarters tile time without gaps.
        #[test]
        fn quarters_tile_time(
            month in 1u32..=12,
            secs in 0i64..4_000_000_000,
            zone in prop::sample::select(vec!["UTC", "Australia/Sydney", "America/Los_Angeles", "Asia/Kolkata", "America/Santiago"]),
        ) {
            let cal = FiscalCalendar::starting_in(month).unwrap().in_zone(zone.parse().unwrap());
            let t = Utc.timestamp_opt(secs, 0).unwrap();
            let q = cal.containing(t);
            prop_assert!(cal.start(q) <= t && t < cal.end(q));
            prop_assert_eq!(cal.end(q.previous()), cal.start(q));
            prop_assert_eq!(q.to_string().parse::<Quarter>(), Ok(q));
        }
    }
}
