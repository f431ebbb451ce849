//! Free-form attributes: a JSON object a team uses for whatever csapi has no
//! field for. Bounded in size and merged the JSON Merge Patch way (RFC 7386).

use serde_json::{Map, Value};

use super::validation::Invalid;

/// Largest accepted attributes object, serialised.
pub const MAX_ATTRIBUTES_BYTES: usize = 16 * 1024;

pub type Attributes = Map<String, Value>;

pub fn check_attributes(errors: &mut Invalid, field: &str, attrs: &Attributes) {
    let size = serde_json::to_vec(attrs)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_ATTRIBUTES_BYTES {
        errors.push(field, "must serialise to at most 16 KiB");
    }
}

/// RFC 7386: members of `patch` replace those of `target`, `null` removes one,
/// and nested objects merge recursively.
pub fn merge(target: &mut Attributes, patch: Attributes) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(key)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(existing) = slot {
                    merge(existing, inner);
                }
            }
            other => {
                target.insert(key, other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Attributes {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn merge_follows_rfc_7386() {
        let mut target = obj(json!({"a": 1, "b": {"c": 2, "d": 3}, "e": "x"}));
        merge(
            &mut target,
            obj(json!({"a": null, "b": {"c": 5}, "f": [1]})),
        );
        assert_eq!(
            Value::Object(target),
            json!({"b": {"c": 5, "d": 3}, "e": "x", "f": [1]})
        );
    }

    #[test]
    fn oversize_is_rejected() {
        let mut e = Invalid::default();
        let big = obj(json!({ "k": "x".repeat(MAX_ATTRIBUTES_BYTES) }));
        check_attributes(&mut e, "attributes", &big);
        assert_eq!(e.0.len(), 1);
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[a-z]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            proptest::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        })
    }

    fn json_object() -> impl proptest::strategy::Strategy<Value = Attributes> {
        use proptest::prelude::*;
        proptest::collection::btree_map("[a-c]", json_value(), 0..4)
            .prop_map(|m| m.into_iter().collect())
    }

    proptest::proptest! {
        /// Applying the same merge patch twice changes nothing more than applying it once.
        #[test]
        fn merge_is_idempotent(target in json_object(), patch in json_object()) {
            let mut once = target.clone();
            merge(&mut once, patch.clone());
            let mut twice = once.clone();
            merge(&mut twice, patch);
            proptest::prop_assert_eq!(once, twice);
        }

        /// A merged result never contains a null member: null means "remove".
        #[test]
        fn merge_leaves_no_nulls_from_the_patch(target in json_object(), patch in json_object()) {
            let mut merged = target;
            merge(&mut merged, patch.clone());
            for (k, v) in &patch {
                if v.is_null() {
                    proptest::prop_assert!(!merged.contains_key(k));
                }
            }
        }
    }
}
