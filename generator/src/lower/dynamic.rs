//! JSON Schema's dynamic references, resolved statically: `$recursiveRef`
//! (2019-09) and `$dynamicRef` (2020-12, OpenAPI 3.1) become plain `$ref`s
//! to the schema that declares the matching anchor.
//!
//! An OpenAPI document is one schema resource, so the dynamic scope a
//! validator would walk is, for a client, the static nesting: a
//! `$recursiveRef: "#"` names the nearest enclosing schema with
//! `$recursiveAnchor: true` (OpenAI's `CompoundFilter`, whose filters are
//! comparisons or compound filters again), and a `$dynamicRef: "#name"` the
//! nearest enclosing schema with `$dynamicAnchor: name`, else the first one
//! in the document, else a plain `$anchor: name`.

use serde_json::{Map, Value};

use crate::diagnostics::escape_token;

/// The document with its dynamic references made `$ref`s, or `None` when it
/// has none (the common case: nothing is copied).
pub(super) fn resolve_dynamic_refs(root: &Value) -> Option<Value> {
    if !mentions_dynamic_refs(root, 0) {
        return None;
    }
    let mut anchors = Vec::new();
    collect_anchors(root, "#", &mut anchors, 0);
    let mut resolved = root.clone();
    let mut scope: Vec<(String, Option<String>, bool)> = Vec::new();
    rewrite(&mut resolved, "#".to_owned(), &mut scope, &anchors, 0);
    Some(resolved)
}

/// Deep enough for any real schema; documents deeper than this are refused
/// on loading anyway.
const MAX_DEPTH: usize = 512;

fn mentions_dynamic_refs(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Object(map) => {
            map.contains_key("$recursiveRef")
                || map.contains_key("$dynamicRef")
                || map
                    .values()
                    .any(|child| mentions_dynamic_refs(child, depth + 1))
        }
        Value::Array(items) => items
            .iter()
            .any(|item| mentions_dynamic_refs(item, depth + 1)),
        _ => false,
    }
}

/// `(anchor name, pointer, dynamic)` of every `$dynamicAnchor` and
/// `$anchor`, in document order.
fn collect_anchors(
    value: &Value,
    pointer: &str,
    anchors: &mut Vec<(String, String, bool)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, dynamic) in [("$dynamicAnchor", true), ("$anchor", false)] {
                if let Some(name) = map.get(key).and_then(Value::as_str) {
                    anchors.push((name.to_owned(), pointer.to_owned(), dynamic));
                }
            }
            for (key, child) in map {
                collect_anchors(
                    child,
                    &format!("{pointer}/{}", escape_token(key)),
                    anchors,
                    depth + 1,
                );
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_anchors(item, &format!("{pointer}/{index}"), anchors, depth + 1);
            }
        }
        _ => {}
    }
}

/// Rewrites dynamic references below `value`; `scope` holds the enclosing
/// schemas as `(pointer, dynamic anchor, recursive anchor)`.
fn rewrite(
    value: &mut Value,
    pointer: String,
    scope: &mut Vec<(String, Option<String>, bool)>,
    anchors: &[(String, String, bool)],
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let dynamic = map
                .get("$dynamicAnchor")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let recursive = map.get("$recursiveAnchor") == Some(&Value::Bool(true));
            scope.push((pointer.clone(), dynamic, recursive));
            if let Some(target) = target(map, scope, anchors) {
                map.remove("$recursiveRef");
                map.remove("$dynamicRef");
                map.insert("$ref".to_owned(), Value::String(target));
            }
            for (key, child) in map.iter_mut() {
                let below = format!("{pointer}/{}", escape_token(key));
                rewrite(child, below, scope, anchors, depth + 1);
            }
            scope.pop();
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                rewrite(
                    item,
                    format!("{pointer}/{index}"),
                    scope,
                    anchors,
                    depth + 1,
                );
            }
        }
        _ => {}
    }
}

/// Where the dynamic reference of the schema `map` (innermost in `scope`)
/// points, if it has one that resolves.
fn target(
    map: &Map<String, Value>,
    scope: &[(String, Option<String>, bool)],
    anchors: &[(String, String, bool)],
) -> Option<String> {
    // The schema itself is the innermost scope entry; a reference names
    // the schema's enclosing schemas or itself.
    if let Some(reference) = map.get("$recursiveRef").and_then(Value::as_str) {
        if reference != "#" {
            return Some(reference.to_owned());
        }
        return scope
            .iter()
            .rev()
            .find(|(_, _, recursive)| *recursive)
            .map(|(pointer, _, _)| pointer.clone());
    }
    let reference = map.get("$dynamicRef").and_then(Value::as_str)?;
    let name = reference.strip_prefix('#')?;
    if name.starts_with('/') || name.is_empty() {
        // A JSON pointer: a plain reference.
        return Some(reference.to_owned());
    }
    scope
        .iter()
        .rev()
        .find(|(_, anchor, _)| anchor.as_deref() == Some(name))
        .map(|(pointer, _, _)| pointer.clone())
        .or_else(|| {
            let named = |dynamic: bool| {
                anchors
                    .iter()
                    .find(|(anchor, _, kind)| anchor == name && *kind == dynamic)
                    .map(|(_, pointer, _)| pointer.clone())
            };
            named(true).or_else(|| named(false))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_recursive_ref_names_the_enclosing_anchor() {
        let root = json!({"components": {"schemas": {"Filter": {
            "$recursiveAnchor": true,
            "properties": {"filters": {"items": {"oneOf": [
                {"$ref": "#/components/schemas/Leaf"},
                {"$recursiveRef": "#"}
            ]}}}
        }}}});
        let resolved = resolve_dynamic_refs(&root).expect("rewritten");
        assert_eq!(
            resolved.pointer("/components/schemas/Filter/properties/filters/items/oneOf/1"),
            Some(&json!({"$ref": "#/components/schemas/Filter"}))
        );
        assert!(resolve_dynamic_refs(&json!({"a": {"$ref": "#/b"}})).is_none());
    }

    #[test]
    fn a_dynamic_ref_names_its_anchor() {
        let root = json!({"components": {"schemas": {
            "Tree": {"$dynamicAnchor": "node", "properties": {
                "children": {"items": {"$dynamicRef": "#node"}},
                "meta": {"$dynamicRef": "#meta"}
            }},
            "Meta": {"$anchor": "meta", "type": "object"}
        }}});
        let resolved = resolve_dynamic_refs(&root).expect("rewritten");
        let tree = &resolved["components"]["schemas"]["Tree"]["properties"];
        assert_eq!(
            tree["children"]["items"],
            json!({"$ref": "#/components/schemas/Tree"})
        );
        assert_eq!(tree["meta"], json!({"$ref": "#/components/schemas/Meta"}));
    }
}
