//! Field-level validation that reports every bad field at once, so a client can
//! fix a request in one round trip.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// Members that hold free-form JSON (a team's own `attributes`): opaque data,
/// stored as serialised JSON (where a control character is an escape) and
/// never as text csapi reads, so the rule below does not reach into them.
const FREE_FORM: [&str; 1] = ["attributes"];

/// Why a date or time outside RFC 3339's years is refused.
pub const UNWRITABLE_DATE: &str =
    "must be a date or time in the years 0000-9999 (UTC), as RFC 3339 writes them";

/// Whether `s` reads as a date or date-time (the way the API parses one)
/// that lies outside the years RFC 3339 can write, in UTC: a signed or
/// five-digit year, or an offset that carries 9999-12-31 into year 10000.
pub fn is_unwritable_date(s: &str) -> bool {
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

/// Every string of a JSON document that no text field may hold, named by its
/// path (`external_refs[0].system`): one with a control character (object
/// keys included), or a date outside RFC 3339's years. Free-form members
/// ([`FREE_FORM`]) excepted.
pub fn text_problems(value: &Value) -> Invalid {
    fn walk(value: &Value, path: &str, found: &mut Invalid) {
        let at = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            Value::String(s) if has_control(s) => {
                found.push(if path.is_empty() { "body" } else { path }, CONTROL)
            }
            Value::String(s) if is_unwritable_date(s) => {
                found.push(if path.is_empty() { "body" } else { path }, UNWRITABLE_DATE)
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), found);
                }
            }
            Value::Object(members) => {
                for (key, member) in members {
                    if FREE_FORM.contains(&key.as_str()) {
                        continue;
                    }
                    if has_control(key) {
                        found.push(
                            if path.is_empty() { "body" } else { path },
                            format!("its keys {CONTROL}"),
                        );
                    } else {
                        walk(member, &at(key), found);
                    }
                }
            }
            _ => {}
        }
    }
    let mut found = Invalid::default();
    walk(value, "", &mut found);
    found
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

/// A request body that can name its own invalid fields, so that a body with
/// both structural and semantic errors gets them all in one answer.
pub trait Checked {
    /// The domain's verdict on the parsed body alone.
    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// Deserialises `value`, and on failure keeps removing the offending member and
/// retrying, so that one answer names every bad field; what remains is then
/// checked by the domain too.
pub fn parse_value<T: DeserializeOwned + Checked>(mut value: Value) -> Result<T, Invalid> {
    if !value.is_object() {
        return Err(Invalid::single("body", "must be a JSON object"));
    }
    let mut invalid = text_problems(&value);
    for _ in 0..64 {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(v) if invalid.0.is_empty() => return Ok(v),
            Ok(rest) => {
                if let Err(more) = rest.check() {
                    for e in more.0 {
                        if !invalid.0.contains(&e) {
                            invalid.0.push(e);
                        }
                    }
                }
                return Err(invalid);
            }
            Err(e) => e,
        };
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = field_name(&path, &message);
        if invalid.0.iter().any(|e| e.field == field) {
            break;
        }
        invalid.push(field.clone(), message);
        let top = field
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_owned();
        let removed = value.as_object_mut().and_then(|o| o.remove(&top)).is_some();
        if !removed {
            break;
        }
    }
    Err(invalid)
}

/// The field an error is about: serde names a missing or unknown field only
/// in its message (`missing field \`name\``), the path names the others.
pub(crate) fn field_name(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))
        .and_then(|rest| rest.split('`').next());
    match (named, path) {
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), parent) if !parent.ends_with(name) => format!("{parent}.{name}"),
        _ if path.is_empty() || path == "." => "body".to_owned(),
        _ => path.to_owned(),
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
    use serde_json::json;

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
        let body = json!({"assessed_at": "+10000-01-01T00:00:00Z", "name": "ok", "achieved_on": "2026-01-01"});
        assert_eq!(text_problems(&body).fields(), ["assessed_at"]);
    }
}

#[cfg(test)]
mod control_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_named_by_path_and_tab_lf_cr_pass() {
        assert!(has_control("a\u{0}b") && has_control("\u{1b}[31m") && has_control("\u{7}"));
        assert!(!has_control("tab\tline\nreturn\r") && !has_control("ünïcødé \u{85}"));
        let body = json!({"name": "A\u{0}", "refs": [{"id": "ok"}, {"id": "\u{1f}"}], "notes": "fine\n",
            "meta": {"k\u{0}": 1}, "attributes": {"k\u{0}": "free\u{0}form"}});
        assert_eq!(
            text_problems(&body).fields(),
            ["meta", "name", "refs[1].id"]
        );
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        size: Option<u32>,
        tags: Option<Vec<String>>,
    }

    impl Checked for Sample {
        fn check(&self) -> Result<(), Invalid> {
            if self.name.is_empty() {
                Err(Invalid::single("name", "must not be empty"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn every_structural_error_is_named() {
        let err =
            parse_value::<Sample>(json!({"name": 1, "size": "big", "extra": true})).unwrap_err();
        let mut fields: Vec<_> = err.0.iter().map(|e| e.field.clone()).collect();
        fields.sort();
        assert_eq!(fields, ["extra", "name", "size"]);
    }

    #[test]
    fn missing_and_nested_fields() {
        let err = parse_value::<Sample>(json!({"tags": ["a", 2]})).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tags[1]", "name"]);
        let err = parse_value::<Sample>(json!({"name": 1})).unwrap_err();
        assert_eq!(err.0.len(), 1, "a bad type is not also reported missing");
        let err = parse_value::<Sample>(json!([1])).unwrap_err();
        assert_eq!(err.0[0].field, "body");
    }

    #[test]
    fn structural_and_semantic_errors_come_together() {
        let err = parse_value::<Sample>(json!({"name": "", "extra": 1})).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["extra", "name"]);
    }
}
