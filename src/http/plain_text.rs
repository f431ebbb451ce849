//! The contract's side of the rule that no text holds a control character
//! (`domain::validation::has_control`): every free-text string schema of the
//! document gets a pattern that excludes U+0000–U+001F other than tab, LF and
//! CR, so generated clients and fuzzers send what the service accepts. Written
//! once here rather than on each of the hundreds of string fields.

use std::collections::BTreeSet;

use utoipa::openapi::path::PathItem;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, Object, Ref, Schema, SchemaType, Type,
};
use utoipa::openapi::{OpenApi, RefOr};

/// Any text without a control character other than tab, LF and CR.
const PLAIN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F]*$";
/// The same, holding at least one character that is not blank.
const PLAIN_NOT_BLANK: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F]*[^\u0000-\u0020][^\u0000-\u0008\u000B\u000C\u000E-\u001F]*$";
/// The pattern the schemas give non-blank text (`[^ \t\n\r\f\v]`).
const NOT_BLANK: &str = r"[^ \t\n\r\f\v]";

/// `api` with the plain-text pattern on every free-text string schema that a
/// request can carry: parameters, request bodies and the components they
/// reach. Answers keep theirs unconstrained: a problem may quote what a
/// client sent.
pub fn constrain(mut api: OpenApi) -> OpenApi {
    let mut reached = BTreeSet::new();
    for item in api.paths.paths.values_mut() {
        for schema in request_schemas(item) {
            walk(schema, &mut |o| refs_of(o, &mut reached), &mut |_| {});
            constrain_schema(schema);
        }
    }
    if let Some(components) = api.components.as_mut() {
        let mut pending: Vec<String> = reached.iter().cloned().collect();
        while let Some(name) = pending.pop() {
            if let Some(schema) = components.schemas.get_mut(&name) {
                let mut more = BTreeSet::new();
                walk(schema, &mut |o| refs_of(o, &mut more), &mut |_| {});
                for m in more {
                    if reached.insert(m.clone()) {
                        pending.push(m);
                    }
                }
            }
        }
        for name in &reached {
            if let Some(schema) = components.schemas.get_mut(name) {
                constrain_schema(schema);
            }
        }
    }
    api
}

/// Every schema a request of `item` carries: its parameters' and bodies'.
fn request_schemas(item: &mut PathItem) -> Vec<&mut RefOr<Schema>> {
    let mut out: Vec<&mut RefOr<Schema>> = Vec::new();
    let ops = [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ];
    out.extend(
        item.parameters
            .iter_mut()
            .flatten()
            .filter_map(|p| p.schema.as_mut()),
    );
    for op in ops.into_iter().filter_map(Option::as_mut) {
        out.extend(
            op.parameters
                .iter_mut()
                .flatten()
                .filter_map(|p| p.schema.as_mut()),
        );
        if let Some(body) = op.request_body.as_mut() {
            out.extend(body.content.values_mut().filter_map(|c| c.schema.as_mut()));
        }
    }
    out
}

fn refs_of(r: &Ref, into: &mut BTreeSet<String>) {
    if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
        into.insert(name.to_owned());
    }
}

fn constrain_schema(s: &mut RefOr<Schema>) {
    walk(s, &mut |_| {}, &mut constrain_text);
}

/// Visits every reference and every object schema under `s`.
fn walk(
    s: &mut RefOr<Schema>,
    on_ref: &mut dyn FnMut(&Ref),
    on_object: &mut dyn FnMut(&mut Object),
) {
    let schema = match s {
        RefOr::Ref(r) => return on_ref(r),
        RefOr::T(schema) => schema,
    };
    match schema {
        Schema::Object(o) => {
            for p in o.properties.values_mut() {
                walk(p, on_ref, on_object);
            }
            if let Some(extra) = o.additional_properties.as_mut()
                && let AdditionalProperties::RefOr(s) = extra.as_mut()
            {
                walk(s, on_ref, on_object);
            }
            on_object(o);
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                walk(items, on_ref, on_object);
            }
        }
        Schema::OneOf(c) => c.items.iter_mut().for_each(|s| walk(s, on_ref, on_object)),
        Schema::AllOf(c) => c.items.iter_mut().for_each(|s| walk(s, on_ref, on_object)),
        Schema::AnyOf(c) => c.items.iter_mut().for_each(|s| walk(s, on_ref, on_object)),
        _ => {}
    }
}

fn constrain_text(o: &mut Object) {
    if !is_free_text(o) {
        return;
    }
    match o.pattern.as_deref() {
        None => o.pattern = Some(PLAIN.into()),
        Some(NOT_BLANK) => o.pattern = Some(PLAIN_NOT_BLANK.into()),
        // Patterns of keys, codes and the like admit no control character.
        Some(_) => {}
    }
}

/// A string schema whose values are not already shaped by a format or an
/// enumeration.
fn is_free_text(o: &Object) -> bool {
    let string = match &o.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(ts) => ts.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    string && o.format.is_none() && o.enum_values.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat};

    fn text(pattern: Option<&str>) -> Object {
        let mut o = ObjectBuilder::new().schema_type(Type::String).build();
        o.pattern = pattern.map(str::to_owned);
        o
    }

    #[test]
    fn free_text_gets_the_pattern_and_shaped_strings_keep_theirs() {
        let mut name = text(Some(NOT_BLANK));
        let mut notes = text(None);
        let mut key = text(Some("^[a-z]+$"));
        let mut at = text(None);
        at.format = Some(SchemaFormat::KnownFormat(KnownFormat::DateTime));
        let mut count = ObjectBuilder::new().schema_type(Type::Integer).build();
        for o in [&mut name, &mut notes, &mut key, &mut at, &mut count] {
            constrain_text(o);
        }
        assert_eq!(name.pattern.as_deref(), Some(PLAIN_NOT_BLANK));
        assert_eq!(notes.pattern.as_deref(), Some(PLAIN));
        assert_eq!(key.pattern.as_deref(), Some("^[a-z]+$"));
        assert_eq!((at.pattern, count.pattern), (None, None));
    }
}
