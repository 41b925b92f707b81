//! Finding problems up front, all at once, that lowering would meet only
//! where they are used: broken references, webhooks and callbacks (which a
//! client does not call), a document without operations. Everything here is
//! a warning; `--strict` makes warnings errors.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, child};
use crate::spec::{At, lookup, resolve};

/// Checks `root` and returns every problem found (errors and warnings).
pub fn validate(root: &Value) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    check_references(root, root, "#", &mut found);
    let doc = At::root(root);
    if doc.get("paths").is_none() {
        found.push(Diagnostic::warning(
            "#",
            "the document has no `paths`: the client will have no methods",
            "add the service's operations under `paths`",
        ));
    }
    for (_, hook) in doc.entries("webhooks") {
        found.push(Diagnostic::warning(
            hook.pointer(),
            "webhooks describe requests the service sends, not calls a client makes; skipped",
            "nothing to do: webhook receivers are out of a client's scope",
        ));
    }
    for (_, item) in doc.entries("paths") {
        let Ok(item) = resolve(root, item) else {
            continue;
        };
        for (key, operation) in item.object_entries() {
            if crate::ir::HttpMethod::from_key(key).is_none() {
                continue;
            }
            for (_, callback) in operation.entries("callbacks") {
                found.push(Diagnostic::warning(
                    callback.pointer(),
                    "callbacks describe requests the service sends back; skipped",
                    "nothing to do: callback receivers are out of a client's scope",
                ));
            }
        }
    }
    found
}

/// Every `$ref` must be local and point at something.
fn check_references(root: &Value, value: &Value, pointer: &str, found: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Err(mut diagnostic) = lookup(root, reference, pointer)
            {
                diagnostic.severity = crate::diagnostics::Severity::Warning;
                found.push(diagnostic);
            }
            for (key, child_value) in map {
                if key == "example" || key == "examples" || key == "default" {
                    continue;
                }
                check_references(root, child_value, &child(pointer, key), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                check_references(root, item, &format!("{pointer}/{index}"), found);
            }
        }
        _ => {}
    }
}
