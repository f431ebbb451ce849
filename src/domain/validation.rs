//! Field-level validation that reports every bad field at once, so a client can
//! fix a request in one round trip.

use std::fmt;

/// One bad field: a dotted path (`external_refs[1].system`) and why it is bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A rejected input with all of its bad fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Adds the errors of a nested value under `prefix`.
    pub fn extend_under(&mut self, prefix: &str, other: Invalid) {
        for e in other.0 {
            self.push(format!("{prefix}.{}", e.field), e.message);
        }
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    /// The bad fields' paths, in the order found.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }

    /// `Ok(())` when nothing was pushed.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Every error of several checks in one answer, or `Ok` when none failed.
pub fn all_of(results: impl IntoIterator<Item = Result<(), Invalid>>) -> Result<(), Invalid> {
    let mut e = Invalid::default();
    for bad in results.into_iter().filter_map(Result::err) {
        e.0.extend(bad.0);
    }
    e.into_result()
}

/// The characters a blank text consists of: exactly the class
/// `[ \t\n\r\f\v]` that the API schemas exclude (`[^ \t\n\r\f\v]`), so
/// the schema and the service agree on what blank means.
const BLANK: [char; 6] = [' ', '\t', '\n', '\r', '\x0c', '\x0b'];

/// Checks a required free-text field: not blank, at most `max` characters.
pub fn check_text(errors: &mut Invalid, field: &str, value: &str, max: usize) {
    let len = value.chars().count();
    if has_control(value) {
        errors.push(field, CONTROL);
    } else if value.chars().all(|c| BLANK.contains(&c)) {
        errors.push(field, "must not be empty");
    } else if len > max {
        errors.push(field, format!("must be at most {max} characters"));
    }
}

/// Why text with a control character is refused.
pub const CONTROL: &str =
    "must not contain control characters (U+0000-U+001F other than tab, LF and CR)";

/// Whether `s` holds a C0 control character other than tab, LF and CR: no
/// text csapi keeps needs one, and PostgreSQL cannot store NUL at all.
pub fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
}

/// Why a date or time outside RFC 3339's years is refused.
pub const UNWRITABLE_DATE: &str =
    "must be a date or time in the years 0000-9999 (UTC), as RFC 3339 writes them";

/// Whether `s` reads as a date or date-time (the way the API parses one)
/// that lies outside the years RFC 3339 can write, in UTC: a signed or
/// five-digit year, or an offset that carries 9999-12-31 into year 10000.
/// Every string is asked this (request bodies are walked whole), so what
/// cannot be such a date is told apart by its first bytes, without parsing.
pub fn is_unwritable_date(s: &str) -> bool {
    may_be_unwritable_date(s) && parses_outside_writable_years(s)
}

/// A cheap necessary condition: a year outside 0000-9999 is signed or has
/// five digits, or is carried there by an offset from the first or last day.
fn may_be_unwritable_date(s: &str) -> bool {
    may_start_unwritable_date(s.as_bytes())
}

/// [`may_be_unwritable_date`] of text starting at `bytes` (which may run on
/// past its end): leading whitespace, ASCII or not, is skipped first.
pub fn may_start_unwritable_date(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace() && b.is_ascii())
        .unwrap_or(bytes.len());
    let t = &bytes[start..];
    t.starts_with(b"+")
        || t.starts_with(b"-")
        || t.iter().take_while(|b| b.is_ascii_digit()).count() >= 5
        || t.starts_with(b"9999-12-31")
        || t.starts_with(b"0000-01-01")
}

fn parses_outside_writable_years(s: &str) -> bool {
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    let year = match (s.parse::<DateTime<Utc>>(), s.parse::<NaiveDate>()) {
        (Ok(t), _) => t.year(),
        (_, Ok(d)) => d.year(),
        _ => return false,
    };
    !(0..=9999).contains(&year)
}

/// Where an instant must lie to be written back: the years 0000-9999 (UTC).
pub fn check_writable_instant(errors: &mut Invalid, field: &str, t: chrono::DateTime<chrono::Utc>) {
    use chrono::Datelike;
    if !(0..=9999).contains(&t.year()) {
        errors.push(field, UNWRITABLE_DATE);
    }
}

/// Checks an optional free-text field the same way when present.
pub fn check_opt_text(errors: &mut Invalid, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value {
        check_text(errors, field, v, max);
    }
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain,
/// no whitespace, at most 254 characters. Deliverability is the mail server's job.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    value.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

/// Checks an optional email field.
pub fn check_opt_email(errors: &mut Invalid, field: &str, value: Option<&str>) {
    if let Some(v) = value
        && !is_email(v)
    {
        errors.push(field, "must be an email address");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "jane.doe+cs@example.com"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@", "@b.co", "a@b", "a b@c.de", "a@b..c", "a@b@c.de",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn text_bounds() {
        let mut e = Invalid::default();
        check_text(&mut e, "name", "x", 2);
        check_text(&mut e, "a", "  ", 2);
        check_text(&mut e, "b", "xyz", 2);
        check_text(&mut e, "c", "\u{85}", 2);
        assert_eq!(
            e.0,
            vec![
                FieldError::new("a", "must not be empty"),
                FieldError::new("b", "must be at most 2 characters")
            ]
        );
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn dates_outside_rfc_3339_years_are_named() {
        for bad in [
            "+10000-01-01T00:00:00Z",
            "9999-12-31T23:00:00-05:00",
            "-0001-01-01T00:00:00Z",
            "0000-01-01T00:00:00+01:00",
            "+10000-01-01",
            "-0001-01-01",
        ] {
            assert!(is_unwritable_date(bad), "{bad}");
        }
        for ok in [
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "2026-11-29",
            "Acme",
            "10000",
            "-5",
        ] {
            assert!(!is_unwritable_date(ok), "{ok}");
        }
    }

    proptest::proptest! {
        /// The quick test never turns away a string the parser would refuse.
        #[test]
        fn the_quick_test_admits_every_unwritable_date(
            s in "[ +-]?[0-9]{1,6}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2}))?",
        ) {
            proptest::prop_assert!(!parses_outside_writable_years(&s) || may_be_unwritable_date(&s), "{}", s);
        }

        #[test]
        fn edge_days_with_offsets_agree(
            day in proptest::sample::select(vec!["9999-12-31", "0000-01-01", "2026-06-30"]),
            hour in 0u32..24, sign in proptest::sample::select(vec!['+', '-']), off in 0u32..15,
        ) {
            let s = format!("{day}T{hour:02}:00:00{sign}{off:02}:00");
            proptest::prop_assert!(!parses_outside_writable_years(&s) || may_be_unwritable_date(&s), "{}", s);
        }
    }
}

#[cfg(test)]
mod control_tests {
    use super::*;

    #[test]
    fn control_characters_but_tab_lf_cr() {
        assert!(has_control("a\u{0}b") && has_control("\u{1b}[31m") && has_control("\u{7}"));
        assert!(!has_control("tab\tline\nreturn\r") && !has_control("ünïcødé \u{85}"));
    }
}
