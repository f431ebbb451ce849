//! The JSON body parser: a request body becomes a typed input, or a problem
//! naming every bad field at once (structure, text, dates, then the input's
//! own check), so a client can fix a request in one round trip.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::Invalid;
use crate::domain::validation::{
    CONTROL, UNWRITABLE_DATE, has_control, is_unwritable_date, may_start_unwritable_date,
};

/// Members that hold free-form JSON (a team's own `attributes`): opaque data,
/// stored as serialised JSON (where a control character is an escape) and
/// never as text csapi reads, so the rule below does not reach into them.
const FREE_FORM: [&str; 1] = ["attributes"];

/// Every string of a JSON document that no text field may hold, named by its
/// path (`external_refs[0].system`): one with a control character (object
/// keys included), or a date outside RFC 3339's years. Free-form members
/// ([`FREE_FORM`]) excepted.
fn text_problems(value: &Value) -> Invalid {
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

/// A request body that can name its own invalid fields, so that a body with
/// both structural and semantic errors gets them all in one answer.
pub(super) trait Checked {
    /// The domain's verdict on the parsed body alone.
    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// The common case in one typed parse, straight from the bytes: a JSON object
/// without escapes (so no string holds a control character) and without a
/// string that may read as a date outside 0000-9999 is accepted by
/// [`parse_value`] exactly when it deserialises, as the same value. Anything
/// else, or a failure, is `None`: the caller takes the path that names every
/// problem.
pub(super) fn parse_plain<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' || bytes.contains(&b'\\') {
        return None;
    }
    let mut quotes = quote_positions(bytes);
    if quotes.any(|i| may_start_unwritable_date(&bytes[i + 1..])) {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

/// Where each `"` of `bytes` is: every string starts after one of them.
fn quote_positions(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, b)| (*b == b'"').then_some(i))
}

/// Deserialises `value`, and on failure keeps removing the offending member and
/// retrying, so that one answer names every bad field; what remains is then
/// checked by the domain too.
pub(super) fn parse_value<T: DeserializeOwned + Checked>(mut value: Value) -> Result<T, Invalid> {
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
pub(super) fn field_name(path: &str, message: &str) -> String {
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
    use serde::Deserialize;
    use serde_json::json;

    #[test]
    fn unwritable_dates_are_named_by_path() {
        let body = json!({"assessed_at": "+10000-01-01T00:00:00Z", "name": "ok", "achieved_on": "2026-01-01"});
        assert_eq!(text_problems(&body).fields(), ["assessed_at"]);
    }

    #[test]
    fn control_characters_are_named_by_path_and_attributes_are_free_form() {
        let body = json!({"name": "A\u{0}", "refs": [{"id": "ok"}, {"id": "\u{1f}"}], "notes": "fine\n",
            "meta": {"k\u{0}": 1}, "attributes": {"k\u{0}": "free\u{0}form"}});
        assert_eq!(
            text_problems(&body).fields(),
            ["meta", "name", "refs[1].id"]
        );
    }
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

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Dated {
        name: String,
        at: Option<chrono::DateTime<chrono::Utc>>,
        n: Option<f64>,
        attributes: Option<Value>,
    }

    impl Checked for Dated {}

    /// The quick path agrees with the full one wherever it answers, and steps
    /// aside for what only the full one can judge.
    #[test]
    fn the_plain_path_agrees_with_the_full_one_or_steps_aside() {
        let answered = [
            r#"{"name": "Acme", "at": "2026-01-01T00:00:00Z", "n": 3}"#,
            r#" {"name": "Zoë", "n": 1e3, "attributes": {"tier": "gold"}}"#,
        ];
        for body in answered {
            let plain = parse_plain::<Dated>(body.as_bytes()).expect(body);
            let full = parse_value::<Dated>(serde_json::from_str(body).unwrap()).unwrap();
            assert_eq!(plain, full, "{body}");
        }
        let aside = [
            r#"["Acme"]"#,
            r#"{"name": "A\u0000"}"#,
            r#"{"name": "line\nbreak"}"#,
            r#"{"name": "+10000-01-01"}"#,
            r#"{"name": "x", "at": "9999-12-31T23:00:00-05:00"}"#,
            r#"{"name": " -0001-01-01"}"#,
            r#"{"name": "x", "name": "y"}"#,
            r#"{"name": "x", "extra": 1}"#,
            r#"{"name": 1}"#,
        ];
        for body in aside {
            assert!(parse_plain::<Dated>(body.as_bytes()).is_none(), "{body}");
        }
    }
}
