//! Proto messages ⇄ domain values. Parse errors are collected into one
//! [`Invalid`], named by the proto field path, like REST names JSON fields.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use prost_types::{ListValue, Struct, Timestamp, Value as PbValue, value::Kind};
use serde_json::{Number, Value};
use uuid::Uuid;

use super::pb;
use crate::app::{IfMatch, MAX_PAGE_SIZE, PageRequest, etag_of};
use crate::domain::attributes::Attributes;
use crate::domain::currency::DEFAULT_CURRENCY;
use crate::domain::risk::Risk;
use crate::domain::validation::{UNWRITABLE_DATE, is_unwritable_date};
use crate::domain::{
    Account, AccountFields, AccountPatch, ExternalRef, Invalid, Stakeholder, StakeholderFields,
    StakeholderPatch,
};

pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn parse_timestamp(
    e: &mut Invalid,
    field: &str,
    t: Option<Timestamp>,
) -> Option<DateTime<Utc>> {
    let t = t?;
    let parsed = u32::try_from(t.nanos)
        .ok()
        .and_then(|n| DateTime::from_timestamp(t.seconds, n));
    match parsed {
        None => e.push(field, "must be a valid timestamp"),
        Some(t) => crate::domain::validation::check_writable_instant(e, field, t),
    }
    parsed
}

pub fn parse_id(e: &mut Invalid, field: &str, raw: &str) -> Uuid {
    Uuid::parse_str(raw).unwrap_or_else(|_| {
        e.push(field, "must be a UUID");
        Uuid::nil()
    })
}

/// An id given alone: a bad one is the request's only problem.
pub fn id(field: &str, raw: &str) -> Result<Uuid, Invalid> {
    let mut e = Invalid::default();
    let id = parse_id(&mut e, field, raw);
    e.into_result().map(|()| id)
}

/// An optional enum (or other text form) from its text; a bad one is named in `e`.
pub fn parse_opt<T: FromStr>(
    e: &mut Invalid,
    field: &str,
    raw: Option<String>,
    what: &str,
) -> Option<T> {
    let raw = raw?;
    let parsed = raw.parse().ok();
    if parsed.is_none() {
        e.push(field, format!("must be {what}"));
    }
    parsed
}

/// A date as RFC 3339 writes one (years 0000-9999), as REST takes it.
pub fn parse_date(e: &mut Invalid, field: &str, raw: Option<String>) -> Option<NaiveDate> {
    if raw.as_deref().is_some_and(is_unwritable_date) {
        e.push(field, UNWRITABLE_DATE);
        return None;
    }
    parse_opt::<NaiveDate>(e, field, raw, "a date YYYY-MM-DD")
}

/// A request's `etag` as an If-Match condition: empty means unconditional.
pub fn if_match(etag: String) -> IfMatch {
    IfMatch(Some(etag).filter(|e| !e.is_empty()))
}

/// gRPC page sizes follow AIP-158: 0 means the default, above the maximum means the maximum.
pub fn page(page_size: i32, page_token: String) -> PageRequest {
    PageRequest {
        page_size: match page_size {
            0 => None,
            n => Some(i64::from(n).min(i64::from(MAX_PAGE_SIZE))),
        },
        page_token: Some(page_token).filter(|t| !t.is_empty()),
    }
}

pub fn to_struct(map: Attributes) -> Struct {
    Struct {
        fields: map.into_iter().map(|(k, v)| (k, to_pb_value(v))).collect(),
    }
}

fn to_pb_value(v: Value) -> PbValue {
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(a) => Kind::ListValue(ListValue {
            values: a.into_iter().map(to_pb_value).collect(),
        }),
        Value::Object(o) => Kind::StructValue(to_struct(o)),
    };
    PbValue { kind: Some(kind) }
}

pub fn from_struct(s: Struct) -> Attributes {
    s.fields
        .into_iter()
        .map(|(k, v)| (k, from_pb_value(v)))
        .collect()
}

fn from_pb_value(v: PbValue) -> Value {
    match v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(b),
        Some(Kind::NumberValue(n)) => Number::from_f64(n).map_or(Value::Null, Value::Number),
        Some(Kind::StringValue(s)) => Value::String(s),
        Some(Kind::ListValue(l)) => Value::Array(l.values.into_iter().map(from_pb_value).collect()),
        Some(Kind::StructValue(s)) => Value::Object(from_struct(s)),
    }
}

pub fn ref_from_pb(r: pb::ExternalRef) -> ExternalRef {
    ExternalRef::new(r.system, r.id)
}

fn refs_from(refs: Vec<pb::ExternalRef>) -> Vec<ExternalRef> {
    refs.into_iter().map(ref_from_pb).collect()
}

pub fn ref_to_pb(r: ExternalRef) -> pb::ExternalRef {
    pb::ExternalRef {
        system: r.system,
        id: r.id,
    }
}

pub fn refs_to(refs: Vec<ExternalRef>) -> Vec<pb::ExternalRef> {
    refs.into_iter().map(ref_to_pb).collect()
}

pub fn account_to_pb(a: Account) -> pb::Account {
    let f = a.fields;
    pb::Account {
        id: a.id.to_string(),
        name: f.name,
        segment: f.segment,
        owner: f.owner,
        lifecycle_stage: f.lifecycle_stage.map(|s| s.as_str().to_owned()),
        customer_since: f.customer_since.map(|d| d.to_string()),
        original_arr: f.original_arr,
        renewal_date: f.renewal_date.map(|d| d.to_string()),
        contract_end: f.contract_end.map(|d| d.to_string()),
        current_arr: f.current_arr,
        currency: f.currency,
        attributes: Some(to_struct(f.attributes)),
        external_refs: refs_to(f.external_refs),
        created_at: Some(timestamp(a.created_at)),
        updated_at: Some(timestamp(a.updated_at)),
        etag: etag_of(a.version),
    }
}

/// A whole account from a message, field errors named under `prefix`.
pub fn account_fields(prefix: &str, m: pb::Account) -> Result<AccountFields, Invalid> {
    let mut e = Invalid::default();
    let fields = AccountFields {
        lifecycle_stage: parse_opt(
            &mut e,
            &format!("{prefix}.lifecycle_stage"),
            m.lifecycle_stage,
            "a lifecycle stage",
        ),
        customer_since: parse_date(
            &mut e,
            &format!("{prefix}.customer_since"),
            m.customer_since,
        ),
        renewal_date: parse_date(&mut e, &format!("{prefix}.renewal_date"), m.renewal_date),
        contract_end: parse_date(&mut e, &format!("{prefix}.contract_end"), m.contract_end),
        current_arr: m.current_arr,
        name: m.name,
        segment: m.segment,
        owner: m.owner,
        original_arr: m.original_arr,
        currency: Some(m.currency)
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned()),
        attributes: m.attributes.map(from_struct).unwrap_or_default(),
        external_refs: refs_from(m.external_refs),
    };
    e.into_result().map(|()| fields)
}

/// The paths of an update: the mask's, or (AIP-134) every populated field when it is empty.
/// Names a mask path that is not a changeable field of `message`.
pub(in crate::grpc) fn unknown_path(e: &mut Invalid, path: &str, message: &str) {
    e.push(
        "update_mask",
        format!("{path:?} is not a field of {message} that can change"),
    );
}

pub(in crate::grpc) fn mask_paths(
    mask: Option<prost_types::FieldMask>,
    populated: Vec<(&'static str, bool)>,
) -> Vec<String> {
    match mask {
        Some(m) if !m.paths.is_empty() => m.paths,
        _ => populated
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(p, _)| p.to_owned())
            .collect(),
    }
}

pub fn account_patch(
    m: pb::Account,
    mask: Option<prost_types::FieldMask>,
) -> Result<AccountPatch, Invalid> {
    let paths = mask_paths(
        mask,
        vec![
            ("name", !m.name.is_empty()),
            ("segment", m.segment.is_some()),
            ("owner", m.owner.is_some()),
            ("lifecycle_stage", m.lifecycle_stage.is_some()),
            ("customer_since", m.customer_since.is_some()),
            ("original_arr", m.original_arr.is_some()),
            ("renewal_date", m.renewal_date.is_some()),
            ("contract_end", m.contract_end.is_some()),
            ("current_arr", m.current_arr.is_some()),
            ("currency", !m.currency.is_empty()),
            ("attributes", m.attributes.is_some()),
            ("external_refs", !m.external_refs.is_empty()),
        ],
    );
    let mut e = Invalid::default();
    let mut patch = AccountPatch::default();
    let mut m = m;
    for path in paths {
        match path.as_str() {
            "name" => patch.name = Some(std::mem::take(&mut m.name)),
            "segment" => patch.segment = Some(m.segment.take()),
            "owner" => patch.owner = Some(m.owner.take()),
            "lifecycle_stage" => {
                patch.lifecycle_stage = Some(parse_opt(
                    &mut e,
                    "account.lifecycle_stage",
                    m.lifecycle_stage.take(),
                    "a lifecycle stage",
                ))
            }
            "customer_since" => {
                patch.customer_since = Some(parse_date(
                    &mut e,
                    "account.customer_since",
                    m.customer_since.take(),
                ))
            }
            "original_arr" => patch.original_arr = Some(m.original_arr.take()),
            "renewal_date" => {
                patch.renewal_date = Some(parse_date(
                    &mut e,
                    "account.renewal_date",
                    m.renewal_date.take(),
                ))
            }
            "contract_end" => {
                patch.contract_end = Some(parse_date(
                    &mut e,
                    "account.contract_end",
                    m.contract_end.take(),
                ))
            }
            "current_arr" => patch.current_arr = Some(m.current_arr.take()),
            "currency" => patch.currency = Some(std::mem::take(&mut m.currency)),
            "attributes" => {
                patch.attributes = Some(m.attributes.take().map(from_struct).unwrap_or_default())
            }
            "external_refs" => {
                patch.external_refs = Some(refs_from(std::mem::take(&mut m.external_refs)))
            }
            other => unknown_path(&mut e, other, "Account"),
        }
    }
    e.into_result().map(|()| patch)
}

pub fn stakeholder_to_pb(s: Stakeholder) -> pb::Stakeholder {
    let f = s.fields;
    pb::Stakeholder {
        id: s.id.to_string(),
        account_id: s.account_id.to_string(),
        name: f.name,
        email: f.email,
        title: f.title,
        role: f.role.map(|r| r.as_str().to_owned()),
        involved_in_purchase: f.involved_in_purchase,
        left_on: f.left_on.map(|d| d.to_string()),
        attributes: Some(to_struct(f.attributes)),
        external_refs: refs_to(f.external_refs),
        created_at: Some(timestamp(s.created_at)),
        updated_at: Some(timestamp(s.updated_at)),
        etag: etag_of(s.version),
    }
}

pub fn stakeholder_fields(prefix: &str, m: pb::Stakeholder) -> Result<StakeholderFields, Invalid> {
    let mut e = Invalid::default();
    let fields = StakeholderFields {
        role: parse_opt(
            &mut e,
            &format!("{prefix}.role"),
            m.role,
            "a stakeholder role",
        ),
        name: m.name,
        email: m.email,
        title: m.title,
        involved_in_purchase: m.involved_in_purchase,
        left_on: parse_date(&mut e, &format!("{prefix}.left_on"), m.left_on),
        attributes: m.attributes.map(from_struct).unwrap_or_default(),
        external_refs: refs_from(m.external_refs),
    };
    e.into_result().map(|()| fields)
}

pub fn stakeholder_patch(
    m: pb::Stakeholder,
    mask: Option<prost_types::FieldMask>,
) -> Result<StakeholderPatch, Invalid> {
    let paths = mask_paths(
        mask,
        vec![
            ("name", !m.name.is_empty()),
            ("email", m.email.is_some()),
            ("title", m.title.is_some()),
            ("role", m.role.is_some()),
            ("involved_in_purchase", m.involved_in_purchase),
            ("left_on", m.left_on.is_some()),
            ("attributes", m.attributes.is_some()),
            ("external_refs", !m.external_refs.is_empty()),
        ],
    );
    let mut e = Invalid::default();
    let mut patch = StakeholderPatch::default();
    let mut m = m;
    for path in paths {
        match path.as_str() {
            "name" => patch.name = Some(std::mem::take(&mut m.name)),
            "email" => patch.email = Some(m.email.take()),
            "title" => patch.title = Some(m.title.take()),
            "role" => {
                patch.role = Some(parse_opt(
                    &mut e,
                    "stakeholder.role",
                    m.role.take(),
                    "a stakeholder role",
                ))
            }
            "involved_in_purchase" => patch.involved_in_purchase = Some(m.involved_in_purchase),
            "left_on" => {
                patch.left_on = Some(parse_date(&mut e, "stakeholder.left_on", m.left_on.take()))
            }
            "attributes" => {
                patch.attributes = Some(m.attributes.take().map(from_struct).unwrap_or_default())
            }
            "external_refs" => {
                patch.external_refs = Some(refs_from(std::mem::take(&mut m.external_refs)))
            }
            other => unknown_path(&mut e, other, "Stakeholder"),
        }
    }
    e.into_result().map(|()| patch)
}

pub fn risk_to_pb(r: Risk) -> pb::Risk {
    let resolution = r.resolution;
    pb::Risk {
        id: r.id.to_string(),
        account_id: r.account_id.to_string(),
        kind: r.kind.as_str().to_owned(),
        reason: r.reason,
        raised_at: Some(timestamp(r.raised_at)),
        raised_by: r.raised_by,
        resolved_at: resolution.as_ref().map(|x| timestamp(x.at)),
        resolved_by: resolution.as_ref().map(|x| x.by.clone()),
        resolution: resolution.and_then(|x| x.note),
        version: r.version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_survive_a_struct_round_trip() {
        let v = json!({"tier": "gold", "seats": 12.0, "flags": [true, null], "nested": {"a": "b"}});
        let map: serde_json::Map<String, Value> = v.as_object().cloned().unwrap();
        assert_eq!(from_struct(to_struct(map.clone())), map);
    }

    #[test]
    fn mask_paths_pick_and_reject() {
        let m = pb::Account {
            segment: Some("smb".into()),
            ..Default::default()
        };
        let patch = account_patch(m.clone(), None).unwrap();
        assert_eq!(patch.segment, Some(Some("smb".into())));
        assert_eq!(patch.name, None);
        let mask = prost_types::FieldMask {
            paths: vec!["owner".into(), "bogus".into()],
        };
        let err = account_patch(m, Some(mask)).unwrap_err();
        assert_eq!(err.0[0].field, "update_mask");
    }

    #[test]
    fn page_size_follows_aip_158() {
        assert_eq!(page(0, String::new()).page_size, None);
        assert_eq!(page(5000, String::new()).page_size, Some(1000));
        assert_eq!(page(-1, String::new()).page_size, Some(-1));
    }
}
