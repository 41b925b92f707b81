//! Reading an OpenAPI document: navigating JSON with the pointer of every
//! node at hand, and following local `$ref`s.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, child};

/// A value of the document with its JSON pointer (`#/...`).
#[derive(Clone, Debug)]
pub struct At<'a> {
    /// The value.
    pub value: &'a Value,
    /// Its JSON pointer.
    pub pointer: String,
}

impl<'a> At<'a> {
    /// The document root.
    pub fn root(value: &'a Value) -> Self {
        Self {
            value,
            pointer: "#".to_owned(),
        }
    }

    /// The child under `key`, if the value is an object that has it.
    pub fn get(&self, key: &str) -> Option<At<'a>> {
        self.value.get(key).map(|value| At {
            value,
            pointer: child(&self.pointer, key),
        })
    }

    /// The string under `key`.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.value.get(key).and_then(Value::as_str)
    }

    /// Whether `key` is `true`.
    pub fn flag(&self, key: &str) -> bool {
        self.value.get(key).and_then(Value::as_bool) == Some(true)
    }

    /// The entries of the object under `key`, in document order.
    pub fn entries(&self, key: &str) -> Vec<(&'a str, At<'a>)> {
        match self.get(key) {
            Some(object) => object.object_entries(),
            None => Vec::new(),
        }
    }

    /// This node's own entries, if it is an object.
    pub fn object_entries(&self) -> Vec<(&'a str, At<'a>)> {
        match self.value {
            Value::Object(map) => map
                .iter()
                .map(|(key, value)| {
                    (
                        key.as_str(),
                        At {
                            value,
                            pointer: child(&self.pointer, key),
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The items of the array under `key`.
    pub fn items(&self, key: &str) -> Vec<At<'a>> {
        match self.value.get(key) {
            Some(Value::Array(items)) => {
                let base = child(&self.pointer, key);
                items
                    .iter()
                    .enumerate()
                    .map(|(i, value)| At {
                        value,
                        pointer: format!("{base}/{i}"),
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The pointer.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }
}

/// Follows `$ref` chains from `at` (local references only), at most 64 hops.
pub fn resolve<'a>(root: &'a Value, at: At<'a>) -> Result<At<'a>, Diagnostic> {
    let mut current = at;
    for _ in 0..64 {
        let Some(reference) = current.str("$ref") else {
            return Ok(current);
        };
        current = lookup(root, reference, &current.pointer)?;
    }
    Err(Diagnostic::error(
        &current.pointer,
        "`$ref` chain is longer than 64 hops (a reference cycle?)",
        "make the reference point at a schema, not at another reference loop",
    ))
}

/// The node a local `$ref` points at.
pub fn lookup<'a>(root: &'a Value, reference: &str, from: &str) -> Result<At<'a>, Diagnostic> {
    let Some(fragment) = reference.strip_prefix('#') else {
        return Err(Diagnostic::error(
            &child(from, "$ref"),
            format!("external reference `{reference}` is not supported"),
            "bundle the spec into one file (e.g. `redocly bundle`) or inline the referenced schema",
        ));
    };
    let decoded = percent_decode(fragment);
    match root.pointer(&decoded) {
        Some(value) => Ok(At {
            value,
            pointer: format!("#{decoded}"),
        }),
        None => Err(Diagnostic::error(
            &child(from, "$ref"),
            format!("`$ref` target `{reference}` does not exist"),
            "fix the reference or add the missing component",
        )),
    }
}

/// Decodes `%XX` escapes in a URI fragment.
fn percent_decode(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_reference_chains() {
        let root = json!({
            "components": {"schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"type": "string"},
                "Loop": {"$ref": "#/components/schemas/Loop"},
            }},
            "x": {"$ref": "#/components/schemas/A"},
        });
        let start = At::root(&root).get("x").expect("x");
        let target = resolve(&root, start).expect("resolves");
        assert_eq!(target.pointer, "#/components/schemas/B");
        let looping = At::root(&root)
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(|s| s.get("Loop"))
            .expect("loop");
        assert!(resolve(&root, looping).is_err());
    }

    #[test]
    fn reports_dangling_and_external_references() {
        let root = json!({"a": {"$ref": "#/nope"}, "b": {"$ref": "other.yaml#/X"}});
        let dangling = resolve(&root, At::root(&root).get("a").expect("a")).expect_err("dangling");
        assert_eq!(dangling.pointer, "#/a/$ref");
        let external = resolve(&root, At::root(&root).get("b").expect("b")).expect_err("external");
        assert!(external.message.contains("external reference"));
    }

    #[test]
    fn decodes_escaped_fragments() {
        let root = json!({"paths": {"/a b": {"ok": true}}});
        let found = lookup(&root, "#/paths/~1a%20b", "#").expect("found");
        assert_eq!(found.value, &json!({"ok": true}));
    }
}
