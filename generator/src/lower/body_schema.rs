//! The schema of a JSON request body or a parameter, bundled with every
//! schema its `$ref`s reach: what the typed fakes check a received value
//! against (`clientgen_runtime::fakes`), for the constraints the generated
//! types cannot hold (`minimum`, `maxLength`, `pattern`, `enum`, ...).

use serde_json::{Map, Value, json};

/// Bundles bigger than this are left out: such a body is checked by its
/// type alone, and the generated file stays of a reasonable size.
const MAX_BUNDLE_BYTES: usize = 256 * 1024;

/// The keywords of constraints a generated type cannot hold: a schema with
/// none of them is checked by the type alone, and is not bundled.
const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "const",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// `{"schema": schema, "defs": {reference: target, ...}}` for a value whose
/// schema is `schema`, references resolved in `root`; `None` when it
/// constrains nothing a type cannot hold, or when the bundle would be too
/// big. A reference that does not resolve is left out (the check lets it
/// pass).
pub(crate) fn bundle(root: &Value, schema: &Value) -> Option<String> {
    let mut defs = Map::new();
    let mut pending = Vec::new();
    references(schema, &mut pending);
    while let Some(reference) = pending.pop() {
        if defs.contains_key(&reference) {
            continue;
        }
        let Some(target) = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
        else {
            continue;
        };
        references(target, &mut pending);
        defs.insert(reference, target.clone());
    }
    // OpenAPI 3.0 ignores a `$ref`'s siblings; 3.1 applies them.
    let ref_siblings = !root
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|version| version.starts_with("3.0"));
    let bundle = json!({"refSiblings": ref_siblings, "schema": schema, "defs": defs});
    if !constrains(&bundle) {
        return None;
    }
    let text = bundle.to_string();
    (text.len() <= MAX_BUNDLE_BYTES).then_some(text)
}

/// Whether a constraint keyword appears anywhere in `value`.
fn constrains(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, item)| CONSTRAINTS.contains(&key.as_str()) || constrains(item)),
        Value::Array(items) => items.iter().any(constrains),
        _ => false,
    }
}

/// Pushes every `$ref` string inside `value`.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => references(item, out),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                references(item, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reachable_schema_is_bundled_once_and_cycles_end() {
        let root = json!({"components": {"schemas": {
            "Leave": {"type": "object", "properties": {
                "kind": {"$ref": "#/components/schemas/Kind"},
                "next": {"$ref": "#/components/schemas/Leave"}
            }},
            "Kind": {"type": "string", "enum": ["paid"]},
            "Unused": {"type": "integer"}
        }}});
        let bundle = bundle(&root, &json!({"$ref": "#/components/schemas/Leave"}))
            .and_then(|text| serde_json::from_str::<Value>(&text).ok());
        let defs = bundle
            .as_ref()
            .and_then(|bundled| bundled["defs"].as_object())
            .map(|defs| {
                let mut keys: Vec<String> = defs.keys().cloned().collect();
                keys.sort();
                keys
            });
        assert_eq!(
            defs,
            Some(vec![
                "#/components/schemas/Kind".to_owned(),
                "#/components/schemas/Leave".to_owned()
            ])
        );
        let plain = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        assert_eq!(
            super::bundle(&root, &plain),
            None,
            "nothing a type cannot hold"
        );
    }
}
