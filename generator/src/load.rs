//! Loading a spec file: YAML or JSON into a JSON value, version checked first.

use std::path::Path;

use serde_json::Value;

use crate::diagnostics::Diagnostic;

/// The OpenAPI major/minor version of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x
    V3_0,
    /// 3.1.x
    V3_1,
}

/// A loaded document.
#[derive(Clone, Debug)]
pub struct Document {
    /// The file it came from, as given.
    pub file: String,
    /// Its version.
    pub version: Version,
    /// Its content.
    pub root: Value,
}

/// Reads and parses `path`.
pub fn load_file(path: &Path) -> Result<Document, Diagnostic> {
    let file = path.display().to_string();
    let text = std::fs::read(path).map_err(|error| {
        Diagnostic::error(
            "#",
            format!("cannot read the file: {error}"),
            "check the path",
        )
        .in_file(&file)
    })?;
    let text = String::from_utf8(text).map_err(|error| {
        Diagnostic::error(
            "#",
            format!(
                "the file is not UTF-8 (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ),
            "save the spec as UTF-8",
        )
        .in_file(&file)
    })?;
    load_str(&file, &text)
}

/// Parses `text` (JSON or YAML) as an OpenAPI document named `file`.
pub fn load_str(file: &str, text: &str) -> Result<Document, Diagnostic> {
    let root = parse(text).map_err(|message| {
        Diagnostic::error("#", message, "fix the syntax error (YAML or JSON)").in_file(file)
    })?;
    let version = version(&root).map_err(|diagnostic| diagnostic.in_file(file))?;
    Ok(Document {
        file: file.to_owned(),
        version,
        root,
    })
}

fn parse(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).map_err(|error| format!("invalid JSON: {error}"));
    }
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(trimmed).map_err(|error| format!("invalid YAML: {error}"))?;
    yaml_to_json(yaml, 0)
}

/// Deepest nesting accepted, far beyond any real spec.
const MAX_DEPTH: usize = 512;

fn yaml_to_json(value: serde_yaml_ng::Value, depth: usize) -> Result<Value, String> {
    use serde_yaml_ng::Value as Yaml;
    if depth > MAX_DEPTH {
        return Err(format!("the document nests deeper than {MAX_DEPTH} levels"));
    }
    Ok(match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|item| yaml_to_json(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(map) => {
            let mut object = serde_json::Map::with_capacity(map.len());
            for (key, value) in map {
                object.insert(key_string(key)?, yaml_to_json(value, depth + 1)?);
            }
            Value::Object(object)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value, depth + 1)?,
    })
}

/// YAML allows non-string keys (`200:` is an integer); OpenAPI means strings.
fn key_string(key: serde_yaml_ng::Value) -> Result<String, String> {
    use serde_yaml_ng::Value as Yaml;
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Null => Ok("null".to_owned()),
        other => Err(format!("unsupported mapping key {other:?}")),
    }
}

fn version(root: &Value) -> Result<Version, Diagnostic> {
    if !root.is_object() {
        return Err(Diagnostic::error(
            "#",
            "the document is not an object",
            "an OpenAPI document is a mapping with `openapi`, `info` and `paths`",
        ));
    }
    if root.get("swagger").is_some() {
        return Err(Diagnostic::error(
            "#/swagger",
            "Swagger 2.0 documents are not supported",
            "convert the spec to OpenAPI 3 first (e.g. with swagger2openapi)",
        ));
    }
    let Some(version) = root.get("openapi") else {
        return Err(Diagnostic::error(
            "#",
            "the `openapi` version field is missing",
            "add `openapi: 3.1.0` (or 3.0.3) at the top of the document",
        ));
    };
    match version.as_str() {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Ok(Version::V3_0),
        Some(v) if v.starts_with("3.1.") || v == "3.1" => Ok(Version::V3_1),
        Some(v) => Err(Diagnostic::error(
            "#/openapi",
            format!("OpenAPI version {v} is not supported"),
            "clientgen reads OpenAPI 3.0.x and 3.1.x",
        )),
        None => Err(Diagnostic::error(
            "#/openapi",
            "the `openapi` field is not a string",
            "quote the version: `openapi: \"3.0.3\"`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_integer_keys_become_strings() {
        let doc = load_str("t.yaml", "openapi: 3.0.3\npaths:\n  /x:\n    get:\n      responses:\n        200:\n          description: ok\n").expect("valid");
        assert_eq!(doc.version, Version::V3_0);
        assert!(doc.root.pointer("/paths/~1x/get/responses/200").is_some());
    }

    #[test]
    fn json_and_versions() {
        let doc = load_str("t.json", r#"{"openapi": "3.1.0", "paths": {}}"#).expect("valid");
        assert_eq!(doc.version, Version::V3_1);
        let error = load_str("t.json", r#"{"swagger": "2.0"}"#).expect_err("swagger");
        assert_eq!(error.pointer, "#/swagger");
        let error = load_str("t.json", r#"{"openapi": "4.0.0"}"#).expect_err("too new");
        assert!(error.message.contains("4.0.0"));
        let error = load_str("t.yaml", "openapi: [3").expect_err("syntax");
        assert!(error.message.starts_with("invalid YAML"));
    }
}
