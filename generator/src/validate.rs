//! Finding what the generator cannot express, up front, all at once: every
//! diagnostic names the place in the document and what to do.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, child};
use crate::spec::{At, lookup, resolve};

/// Parameter styles the generator sends.
const STYLES: &[&str] = &["simple", "form"];

/// Checks `root` and returns every problem found (errors and warnings).
pub fn validate(root: &Value) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    check_references(root, root, "#", &mut found);
    let doc = At::root(root);
    if doc.get("paths").is_none() {
        found.push(Diagnostic::error(
            "#",
            "the document has no `paths`",
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
        for parameter in item.items("parameters") {
            check_parameter(root, &parameter, &mut found);
        }
        for (key, operation) in item.object_entries() {
            if crate::ir::HttpMethod::from_key(key).is_none() {
                continue;
            }
            for parameter in operation.items("parameters") {
                check_parameter(root, &parameter, &mut found);
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

fn check_parameter(root: &Value, parameter: &At<'_>, found: &mut Vec<Diagnostic>) {
    let Ok(parameter) = resolve(root, parameter.clone()) else {
        return;
    };
    let name = parameter.str("name").unwrap_or("?");
    if parameter.str("in") == Some("cookie") {
        found.push(Diagnostic::error(
            parameter.pointer(),
            format!("cookie parameter `{name}` is not supported"),
            "send it as a header parameter, or use an apiKey security scheme with `in: cookie`",
        ));
    }
    if parameter.get("content").is_some() && parameter.get("schema").is_none() {
        found.push(Diagnostic::error(
            parameter.pointer(),
            format!("parameter `{name}` uses `content` instead of `schema`"),
            "describe the parameter with `schema:`",
        ));
    }
    if let Some(style) = parameter.str("style")
        && !STYLES.contains(&style)
    {
        found.push(Diagnostic::error(
            &child(parameter.pointer(), "style"),
            format!("parameter style `{style}` is not supported"),
            "use the default style (`form` for query, `simple` for path and header)",
        ));
    }
}

/// Every `$ref` must be local and point at something.
fn check_references(root: &Value, value: &Value, pointer: &str, found: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && let Err(diagnostic) = lookup(root, reference, pointer)
            {
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
