//! References to the same record in other systems (Salesforce, Gainsight, ...),
//! so connectors can address csapi records by the ids they already hold.

use super::validation::{Invalid, check_text};

/// Longest accepted system name or external id.
pub const MAX_REF_LEN: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalRef {
    pub system: String,
    pub id: String,
}

impl ExternalRef {
    pub fn new(system: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            system: system.into(),
            id: id.into(),
        }
    }
}

/// A system name is lower-case letters, digits, `_` or `-`, so it reads the same
/// in a URL path (`/by-ref/{system}/{id}`) as in a body.
pub fn is_system_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Validates a list of refs: each well formed. A record may hold several ids
/// of one system (merged CRM records); each (system, id) names one record.
pub fn check_refs(errors: &mut Invalid, field: &str, refs: &[ExternalRef]) {
    for (i, r) in refs.iter().enumerate() {
        if let Err(bad) = r.check() {
            errors.extend_under(&format!("{field}[{i}]"), bad);
        }
    }
}

impl ExternalRef {
    /// Names a bad `system` and `id`.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !is_system_name(&self.system) {
            e.push("system", "must be 1-64 characters of a-z, 0-9, _ or -");
        }
        check_text(&mut e, "id", &self.id, MAX_REF_LEN);
        e.into_result()
    }
}

/// Checks a ref that addresses a record (`/by-ref/{system}/{external_id}`).
pub fn check_addressing(r: &ExternalRef) -> Result<(), Invalid> {
    let mut e = Invalid::default();
    if !is_system_name(&r.system) {
        e.push("system", "must be 1-64 characters of a-z, 0-9, _ or -");
    }
    check_text(&mut e, "external_id", &r.id, MAX_REF_LEN);
    e.into_result()
}

/// Sorted by system then id, each ref once: the stored and returned order.
pub fn normalize(refs: &mut Vec<ExternalRef>) {
    refs.sort();
    refs.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parts_are_named() {
        let mut e = Invalid::default();
        let refs = [
            ExternalRef::new("salesforce", "001"),
            ExternalRef::new("salesforce", "002"),
            ExternalRef::new("Bad System", " "),
        ];
        check_refs(&mut e, "external_refs", &refs);
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["external_refs[2].system", "external_refs[2].id"]);
    }

    #[test]
    fn normalize_sorts_and_dedups() {
        let mut refs = vec![
            ExternalRef::new("salesforce", "2"),
            ExternalRef::new("hubspot", "h"),
            ExternalRef::new("salesforce", "2"),
            ExternalRef::new("salesforce", "1"),
        ];
        normalize(&mut refs);
        assert_eq!(
            refs,
            [
                ExternalRef::new("hubspot", "h"),
                ExternalRef::new("salesforce", "1"),
                ExternalRef::new("salesforce", "2")
            ]
        );
    }
}
