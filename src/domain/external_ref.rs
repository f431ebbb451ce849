//! References to the same record in other systems (Salesforce, Gainsight, ...),
//! so connectors can address csapi records by the ids they already hold.

use uuid::Uuid;

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

/// How a request names a record: by csapi's id, or by its id in another
/// system (a Salesforce id), so a sync need not keep csapi's ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordKey {
    Id(Uuid),
    Ref(ExternalRef),
}

impl RecordKey {
    /// How an upsert item names its record: by `ref` (checked) or by `id`,
    /// exactly one of them.
    pub fn either(reference: Option<ExternalRef>, id: Option<Uuid>) -> Result<Self, Invalid> {
        Self::one_of(reference, id, ("ref", "id"))
    }

    /// Exactly one of `reference` (checked) and `id`, sent in the fields
    /// named `fields` (ref first).
    pub fn one_of(
        reference: Option<ExternalRef>,
        id: Option<Uuid>,
        (ref_field, id_field): (&str, &str),
    ) -> Result<Self, Invalid> {
        match (reference, id) {
            (Some(_), Some(_)) => Err(Invalid::single(
                ref_field,
                format!("give {ref_field} or {id_field}, not both"),
            )),
            (None, None) => Err(Invalid::single(
                ref_field,
                format!("give {ref_field} (the record's id in another system) or {id_field}"),
            )),
            (None, Some(id)) => Ok(RecordKey::Id(id)),
            (Some(r), None) => {
                let mut e = Invalid::default();
                if let Err(bad) = r.check() {
                    e.extend_under(ref_field, bad);
                }
                e.into_result().map(|()| RecordKey::Ref(r))
            }
        }
    }

    /// Like [`RecordKey::one_of`], for a record a request may leave out.
    pub fn optional_one_of(
        reference: Option<ExternalRef>,
        id: Option<Uuid>,
        fields: (&str, &str),
    ) -> Result<Option<Self>, Invalid> {
        match (&reference, id) {
            (None, None) => Ok(None),
            _ => Self::one_of(reference, id, fields).map(Some),
        }
    }

    /// The field a request named the record in, for a record of `kind`
    /// (`account` → `account_id` or `account_ref`).
    pub fn field(&self, kind: &str) -> String {
        match self {
            RecordKey::Id(_) => format!("{kind}_id"),
            RecordKey::Ref(_) => format!("{kind}_ref"),
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

/// Makes sure `refs` holds `r` (the ref a record is addressed by), in stored order.
pub fn ensure(refs: &mut Vec<ExternalRef>, r: ExternalRef) {
    refs.push(r);
    normalize(refs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_named_by_exactly_one_of_ref_and_id() {
        let fields = ("account_ref", "account_id");
        let id = Uuid::from_u128(7);
        let sf = ExternalRef::new("salesforce", "001");
        assert_eq!(
            RecordKey::one_of(Some(sf.clone()), None, fields),
            Ok(RecordKey::Ref(sf.clone()))
        );
        assert_eq!(
            RecordKey::one_of(None, Some(id), fields),
            Ok(RecordKey::Id(id))
        );
        let both = RecordKey::one_of(Some(sf.clone()), Some(id), fields).unwrap_err();
        assert_eq!(both.fields(), ["account_ref"]);
        let neither = RecordKey::one_of(None, None, fields).unwrap_err();
        assert_eq!(neither.fields(), ["account_ref"]);
        let bad = RecordKey::one_of(Some(ExternalRef::new("Sales Force", "")), None, fields);
        assert_eq!(
            bad.unwrap_err().fields(),
            ["account_ref.system", "account_ref.id"]
        );
        assert_eq!(RecordKey::optional_one_of(None, None, fields), Ok(None));
        assert_eq!(RecordKey::Ref(sf).field("stakeholder"), "stakeholder_ref");
        assert_eq!(RecordKey::Id(id).field("account"), "account_id");
    }

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
