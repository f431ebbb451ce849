//! The OpenAPI 3.0.3 edition of the 3.1 document, for tools that read only
//! 3.0 (Salesforce External Services among them). Written from the 3.1 JSON,
//! so the two cannot say different things: each 3.1-only form becomes its
//! 3.0 spelling, and what 3.0 cannot say at all is left out. Those tools
//! speak JSON only, so the edition holds the JSON API: answers in other
//! media types (the QBR as CSV or HTML) and operations with none in JSON
//! (the SVG chart, the probes and the metrics scrape) are in 3.1 alone.

use serde_json::{Map, Value, json};

/// The 3.0.3 document saying what `doc` (3.1) says.
pub fn downgrade(mut doc: Value) -> Value {
    if let Some(top) = doc.as_object_mut() {
        top.insert("openapi".into(), json!("3.0.3"));
        top.remove("jsonSchemaDialect");
        top.remove("webhooks");
        if let Some(info) = top.get_mut("info").and_then(Value::as_object_mut) {
            info.remove("summary");
            if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
                license.remove("identifier");
            }
        }
    }
    let used = used_schemas(&doc);
    json_only(&mut doc);
    let still = used_schemas(&doc);
    drop_schemas(&mut doc, |name| {
        used.contains(name) && !still.contains(name)
    });
    walk(&mut doc, false);
    let types = component_types(&doc);
    type_nullable_references(&mut doc, &types);
    doc
}

/// Media types a JSON client reads.
const JSON_TYPES: [&str; 2] = ["application/json", "application/problem+json"];

/// Drops non-JSON request bodies and answers, then operations (and paths)
/// whose every success answered something other than JSON.
fn json_only(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        ops.retain(|_, op| {
            if let Some(content) = op
                .pointer_mut("/requestBody/content")
                .and_then(Value::as_object_mut)
            {
                content.retain(|media, _| JSON_TYPES.contains(&media.as_str()));
            }
            let Some(answers) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                return true;
            };
            let mut json_success = false;
            for (status, answer) in answers.iter_mut() {
                let Some(content) = answer.get_mut("content").and_then(Value::as_object_mut) else {
                    json_success |= status.starts_with('2');
                    continue;
                };
                content.retain(|media, _| JSON_TYPES.contains(&media.as_str()));
                json_success |= status.starts_with('2') && !content.is_empty();
            }
            json_success
        });
    }
    paths.retain(|_, item| item.as_object().is_some_and(|o| !o.is_empty()));
}

const SCHEMA_REF: &str = "#/components/schemas/";

/// The component schemas the document's operations use, directly or
/// through other schemas.
fn used_schemas(doc: &Value) -> std::collections::BTreeSet<String> {
    let mut used = std::collections::BTreeSet::new();
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return used;
    };
    let mut next = Vec::new();
    if let Some(top) = doc.as_object() {
        for (key, value) in top {
            match (key.as_str(), value.as_object()) {
                ("components", Some(components)) => components
                    .iter()
                    .filter(|(kind, _)| *kind != "schemas")
                    .for_each(|(_, v)| refs_in(v, &mut next)),
                _ => refs_in(value, &mut next),
            }
        }
    }
    while let Some(name) = next.pop() {
        if used.insert(name.clone())
            && let Some(schema) = schemas.get(&name)
        {
            refs_in(schema, &mut next);
        }
    }
    used
}

/// Drops the component schemas `gone` names: those only the left-out
/// operations used (the book export's rows), so that the edition names
/// nothing it never uses.
fn drop_schemas(doc: &mut Value, gone: impl Fn(&str) -> bool) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| !gone(name));
    }
}

/// The names of the component schemas `value` refers to.
fn refs_in(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(o) => {
            if let Some(name) = o
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
            {
                names.push(name.to_owned());
            }
            o.values().for_each(|v| refs_in(v, names));
        }
        Value::Array(a) => a.iter().for_each(|v| refs_in(v, names)),
        _ => {}
    }
}

/// The `type` of each component schema that has one.
fn component_types(doc: &Value) -> Map<String, Value> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    schemas
        .into_iter()
        .flatten()
        .filter_map(|(name, s)| {
            Some((
                format!("#/components/schemas/{name}"),
                s.get("type")?.clone(),
            ))
        })
        .collect()
}

/// 3.0 wants a `type` beside `nullable`: a nullable reference (`allOf` of
/// one `$ref`) takes the type of the schema it names.
fn type_nullable_references(v: &mut Value, types: &Map<String, Value>) {
    match v {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| type_nullable_references(i, types)),
        Value::Object(o) => {
            o.values_mut()
                .for_each(|c| type_nullable_references(c, types));
            if o.get("nullable") == Some(&json!(true)) && !o.contains_key("type") {
                let named = o
                    .get("allOf")
                    .and_then(|a| a.pointer("/0/$ref"))
                    .and_then(Value::as_str);
                if let Some(t) = named.and_then(|r| types.get(r)).cloned() {
                    o.insert("type".into(), t);
                }
            }
        }
        _ => {}
    }
}

/// Members whose value maps names to objects (`properties`: field names):
/// such a map is not itself rewritten, so a field called `const` stays.
const NAME_MAPS: [&str; 10] = [
    "paths",
    "properties",
    "schemas",
    "responses",
    "headers",
    "content",
    "securitySchemes",
    "examples",
    "requestBodies",
    "parameters",
];

/// Rewrites every object under `v`, children first.
fn walk(v: &mut Value, names: bool) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, false)),
        Value::Object(o) => {
            for (key, child) in o.iter_mut() {
                walk(child, NAME_MAPS.contains(&key.as_str()));
            }
            if !names {
                rewrite(o);
            }
        }
        _ => {}
    }
}

/// One object in its 3.0 spelling. Only schema objects carry the keys
/// rewritten here in a form 3.0 lacks (an `examples` array, a `type` list),
/// so the other objects of the document pass unchanged.
fn rewrite(o: &mut Map<String, Value>) {
    types(o);
    null_branches(o, "oneOf");
    null_branches(o, "anyOf");
    if let Some(v) = o.remove("const") {
        o.insert("enum".into(), json!([v]));
    }
    exclusive(o, "exclusiveMinimum", "minimum");
    exclusive(o, "exclusiveMaximum", "maximum");
    if matches!(o.get("examples"), Some(Value::Array(_)))
        && let Some(Value::Array(mut examples)) = o.remove("examples")
        && !examples.is_empty()
    {
        o.insert("example".into(), examples.swap_remove(0));
    }
    for only_31 in [
        "propertyNames",
        "contentMediaType",
        "contentEncoding",
        "$schema",
    ] {
        o.remove(only_31);
    }
    reference_alone(o);
}

/// `type: [T, "null"]` → `type: T, nullable: true`; several types → `anyOf`.
fn types(o: &mut Map<String, Value>) {
    let Some(Value::Array(listed)) = o.get("type") else {
        return;
    };
    let nullable = listed.iter().any(|t| t == "null");
    let mut kinds: Vec<Value> = listed.iter().filter(|t| *t != "null").cloned().collect();
    o.remove("type");
    match kinds.len() {
        0 => {}
        1 => {
            o.insert("type".into(), kinds.swap_remove(0));
        }
        _ => {
            let any: Vec<Value> = kinds.into_iter().map(|t| json!({"type": t})).collect();
            o.insert("anyOf".into(), Value::Array(any));
        }
    }
    if nullable {
        o.insert("nullable".into(), json!(true));
    }
}

/// A `{"type": "null"}` branch of `oneOf`/`anyOf` → `nullable: true`; a
/// single branch left is then the schema itself (through `allOf` when it
/// is a reference, which 3.0 lets stand beside `nullable`).
fn null_branches(o: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(branches)) = o.get_mut(key) else {
        return;
    };
    let before = branches.len();
    branches.retain(|b| b != &json!({"type": "null"}));
    if branches.len() == before {
        return;
    }
    o.insert("nullable".into(), json!(true));
    let Some(Value::Array(mut rest)) = o.remove(key) else {
        return;
    };
    match rest.len() {
        0 => {}
        1 => match rest.swap_remove(0) {
            Value::Object(only) if only.contains_key("$ref") => {
                o.insert("allOf".into(), json!([only]));
            }
            Value::Object(only) => {
                for (k, v) in only {
                    o.entry(k).or_insert(v);
                }
            }
            other => {
                o.insert(key.into(), json!([other]));
            }
        },
        _ => {
            o.insert(key.into(), Value::Array(rest));
        }
    }
}

/// A numeric `exclusiveMinimum: n` → `minimum: n, exclusiveMinimum: true`.
fn exclusive(o: &mut Map<String, Value>, key: &str, bound: &str) {
    if o.get(key).is_some_and(Value::is_number)
        && let Some(n) = o.remove(key)
    {
        o.insert(bound.into(), n);
        o.insert(key.into(), json!(true));
    }
}

/// 3.0 ignores what stands beside a `$ref`: a described or nullable
/// reference becomes an `allOf` of it.
fn reference_alone(o: &mut Map<String, Value>) {
    if o.len() > 1
        && let Some(r) = o.remove("$ref")
    {
        o.insert("allOf".into(), json!([{"$ref": r}]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(v: Value) -> Value {
        downgrade(json!({"openapi": "3.1.0", "components": {"schemas": {"X": v}}}))["components"]
            ["schemas"]["X"]
            .take()
    }

    #[test]
    fn the_version_and_3_1_only_members_change() {
        let doc = downgrade(json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": {"title": "t", "version": "1", "summary": "s",
                     "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        }));
        assert_eq!(
            doc,
            json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1", "license": {"name": "Apache-2.0"}}})
        );
    }

    #[test]
    fn type_lists_become_nullable() {
        assert_eq!(
            schema(json!({"type": ["string", "null"], "format": "date"})),
            json!({"type": "string", "format": "date", "nullable": true})
        );
        assert_eq!(
            schema(json!({"type": ["string", "integer"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
        );
        assert_eq!(
            schema(
                json!({"type": ["object", "null"], "additionalProperties": {}, "propertyNames": {"type": "string"}})
            ),
            json!({"type": "object", "additionalProperties": {}, "nullable": true})
        );
    }

    #[test]
    fn a_null_branch_becomes_nullable() {
        assert_eq!(
            schema(json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Unit"}]})),
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/Unit"}]})
        );
        assert_eq!(
            schema(json!({"anyOf": [{"type": "null"}, {"type": "string", "enum": ["a"]}]})),
            json!({"nullable": true, "type": "string", "enum": ["a"]})
        );
        assert_eq!(
            schema(json!({"oneOf": [{"type": "null"}, {"type": "string"}, {"type": "number"}]})),
            json!({"nullable": true, "oneOf": [{"type": "string"}, {"type": "number"}]})
        );
    }

    #[test]
    fn bounds_examples_and_const_take_their_3_0_spelling() {
        assert_eq!(
            schema(
                json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5, "maximum": 1000})
            ),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1.5, "exclusiveMaximum": true})
        );
        assert_eq!(
            schema(json!({"type": "string", "examples": ["acme", "globex"]})),
            json!({"type": "string", "example": "acme"})
        );
        assert_eq!(
            schema(json!({"type": "string", "const": "dimension"})),
            json!({"type": "string", "enum": ["dimension"]})
        );
    }

    #[test]
    fn a_nullable_reference_takes_the_type_it_names() {
        let doc = downgrade(json!({"components": {"schemas": {
            "Unit": {"type": "string", "enum": ["count"]},
            "X": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Unit"}]},
        }}}));
        assert_eq!(
            doc["components"]["schemas"]["X"],
            json!({"nullable": true, "type": "string", "allOf": [{"$ref": "#/components/schemas/Unit"}]})
        );
    }

    #[test]
    fn a_reference_stands_alone() {
        assert_eq!(
            schema(json!({"$ref": "#/components/schemas/Scale", "description": "Its range."})),
            json!({"description": "Its range.", "allOf": [{"$ref": "#/components/schemas/Scale"}]})
        );
        assert_eq!(
            schema(json!({"$ref": "#/components/schemas/Scale"})),
            json!({"$ref": "#/components/schemas/Scale"})
        );
    }

    #[test]
    fn fields_named_like_keywords_stay() {
        assert_eq!(
            schema(
                json!({"type": "object", "properties": {"const": {"type": "string"}, "type": {"type": "string"}}})
            ),
            json!({"type": "object", "properties": {"const": {"type": "string"}, "type": {"type": "string"}}})
        );
    }

    #[test]
    fn schemas_only_left_out_operations_use_are_dropped() {
        let answer = |media: &str, schema: &str| json!({"responses": {"200": {"content": {media: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}}});
        let doc = json!({
            "paths": {"/a": {"get": answer("application/json", "A")}, "/rows": {"get": answer("application/x-ndjson", "Row")}},
            "components": {"schemas": {
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"type": "string"},
                "Row": {"properties": {"b": {"$ref": "#/components/schemas/B"}, "c": {"$ref": "#/components/schemas/C"}}},
                "C": {"type": "string"},
                "Free": {"type": "string"}
            }}
        });
        let doc = downgrade(doc);
        let kept: Vec<&String> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(
            kept,
            ["A", "B", "Free"],
            "Row and C only served the NDJSON answer"
        );
    }

    #[test]
    fn the_edition_holds_the_json_api() {
        let answer =
            |media: Value| json!({"responses": {"200": {"description": "d", "content": media}}});
        let qbr = json!({"responses": {
            "200": {"description": "d", "content": {"application/json": {}, "text/csv": {}}},
            "404": {"$ref": "#/components/responses/NotFound"},
        }});
        let delete = json!({"responses": {"204": {"description": "Deleted"}}});
        let doc = downgrade(json!({"paths": {
            "/healthz": {"get": answer(json!({"text/plain": {}}))},
            "/chart.svg": {"get": answer(json!({"image/svg+xml": {}}))},
            "/qbr": {"get": qbr},
            "/accounts/{id}": {"delete": delete.clone()},
        }}));
        let json_qbr = json!({"responses": {
            "200": {"description": "d", "content": {"application/json": {}}},
            "404": {"$ref": "#/components/responses/NotFound"},
        }});
        assert_eq!(
            doc["paths"],
            json!({"/qbr": {"get": json_qbr}, "/accounts/{id}": {"delete": delete}})
        );
    }

    #[test]
    fn media_type_examples_are_left_alone() {
        let doc = downgrade(
            json!({"paths": {"/a": {"post": {"requestBody": {"content": {
                "application/json": {"examples": {"one": {"value": {"name": "Acme"}}}}
            }}}}}}),
        );
        assert_eq!(
            doc["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"]["examples"]["one"]
                ["value"]["name"],
            "Acme"
        );
    }
}
