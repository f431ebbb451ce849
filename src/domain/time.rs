//! A workspace's time zone and the moments clients name. A CS team in Sydney
//! means a Sydney day when it says "30 June", and its quarters turn at Sydney
//! midnight: every day boundary the API draws is drawn in the workspace's zone.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

/// Why a time zone was refused.
pub const ZONE_FORMAT: &str =
    "must be an IANA time zone name, as UTC, Europe/Paris or Australia/Sydney";

/// Why a moment was refused: the formats every date-time parameter accepts.
pub const WHEN_FORMAT: &str = "must be an RFC 3339 date-time (2026-09-30T17:00:00Z, \
     2026-09-30T17:00:00+10:00) or a date (2026-09-30: the start of that day in the \
     workspace's time zone)";

/// An IANA time zone: where a workspace's days begin and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Zone(Tz);

impl FromStr for Zone {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Tz>().map(Zone).map_err(|_| ZONE_FORMAT)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Zone {
    /// The first instant of `day` here. Where midnight is skipped (a clock
    /// change at 00:00) the day starts at its first existing minute.
    pub fn start_of(self, day: NaiveDate) -> DateTime<Utc> {
        let mut local: NaiveDateTime = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        for _ in 0..24 * 4 {
            if let Some(t) = self.0.from_local_datetime(&local).earliest() {
                return t.with_timezone(&Utc);
            }
            local += Duration::minutes(15);
        }
        local.and_utc()
    }

    /// The instant after `day` ends here: what happened before it happened by
    /// that day.
    pub fn end_of(self, day: NaiveDate) -> DateTime<Utc> {
        day.succ_opt()
            .map_or(DateTime::<Utc>::MAX_UTC, |next| self.start_of(next))
    }

    /// The last instant of `day` here: what was known by the end of it.
    pub fn last_instant_of(self, day: NaiveDate) -> DateTime<Utc> {
        self.end_of(day) - chrono::Duration::microseconds(1)
    }

    /// The day `t` falls on here.
    pub fn day_of(self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.0).date_naive()
    }
}

/// A moment as a client names it: an instant, or a day of the workspace's
/// calendar. Every date-time parameter takes either, and every date
/// parameter too (an instant names the day it falls on, there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At(DateTime<Utc>),
    Day(NaiveDate),
}

impl FromStr for When {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 10 {
            return NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(When::Day)
                .map_err(|_| WHEN_FORMAT);
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| When::At(t.with_timezone(&Utc)))
            .map_err(|_| WHEN_FORMAT)
    }
}

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl When {
    /// The instant meant: a day's first instant in `zone`.
    pub fn instant(self, zone: Zone) -> DateTime<Utc> {
        match self {
            When::At(t) => t,
            When::Day(d) => zone.start_of(d),
        }
    }

    /// The day meant: an instant's day in `zone`.
    pub fn day(self, zone: Zone) -> NaiveDate {
        match self {
            When::At(t) => zone.day_of(t),
            When::Day(d) => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn zones_parse_by_iana_name() {
        assert_eq!(
            "Australia/Sydney".parse::<Zone>().unwrap().to_string(),
            "Australia/Sydney"
        );
        assert_eq!(Zone::default().to_string(), "UTC");
        for bad in ["", "Sydney", "australia/sydney ", "+10:00"] {
            assert_eq!(bad.parse::<Zone>(), Err(ZONE_FORMAT), "{bad}");
        }
    }

    /// Sydney is UTC+10 in June (winter), UTC+11 in January (summer).
    #[test]
    fn days_begin_at_local_midnight() {
        let sydney: Zone = "Australia/Sydney".parse().unwrap();
        let july1 = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(sydney.start_of(july1), utc("2026-06-30T14:00:00Z"));
        assert_eq!(sydney.day_of(utc("2026-06-30T15:00:00Z")), july1);
        let jan1 = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(sydney.start_of(jan1), utc("2026-12-31T13:00:00Z"));
        let la: Zone = "America/Los_Angeles".parse().unwrap();
        assert_eq!(la.end_of(july1), utc("2026-07-02T07:00:00Z"));
    }

    /// Chile moves its clocks forward at midnight: 11 September 2022 began at 01:00.
    #[test]
    fn a_skipped_midnight_starts_the_day_at_its_first_minute() {
        let santiago: Zone = "America/Santiago".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap();
        assert_eq!(santiago.start_of(day), utc("2022-09-11T04:00:00Z"));
    }

    #[test]
    fn moments_are_instants_or_days() {
        let sydney: Zone = "Australia/Sydney".parse().unwrap();
        let day: When = "2026-09-30".parse().unwrap();
        assert_eq!(day.instant(sydney), utc("2026-09-29T14:00:00Z"));
        assert_eq!(day.instant(Zone::default()), utc("2026-09-30T00:00:00Z"));
        let at: When = "2026-09-30T15:00:00Z".parse().unwrap();
        assert_eq!(at.instant(sydney), utc("2026-09-30T15:00:00Z"));
        assert_eq!(
            at.day(sydney),
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
        );
        let offset: When = "2026-09-30T17:00:00+10:00".parse().unwrap();
        assert_eq!(offset, When::At(utc("2026-09-30T07:00:00Z")));
        for bad in [
            "2026-9-30",
            "2026-09-31",
            "2026-09-30T",
            "yesterday",
            "2026-09-30 17:00",
        ] {
            assert_eq!(bad.parse::<When>(), Err(WHEN_FORMAT), "{bad}");
        }
    }
}
