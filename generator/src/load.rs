//! Loading a spec file: YAML or JSON into a JSON value, version checked first.

use std::path::{Path, PathBuf};

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
    let root = read_value(path, &file)?;
    document_at(path, &file, root)
}

/// Reads and parses the spec at `path` and applies its overlays: those
/// beside it by name ([`overlays_beside`]), then `extra` ones whose
/// `extends` names this file or that name none. With `listed` (the file was
/// found by listing a folder), a file that is not a spec gives `None`.
/// Returns the document and the overlays' warnings.
pub fn load_spec(
    path: &Path,
    extra: &[PathBuf],
    listed: bool,
) -> Result<Option<(Document, Vec<Diagnostic>)>, Diagnostic> {
    let file = path.display().to_string();
    let mut root = read_value(path, &file)?;
    if listed && !is_spec(&root) {
        return Ok(None);
    }
    if crate::overlay::is_overlay(&root) {
        return Err(Diagnostic::error(
            "#/overlay",
            "this is an overlay, not a spec",
            "name it `<spec>.overlay.yaml` next to its spec, or pass it with `--overlay`",
        )
        .in_file(&file));
    }
    let beside = overlays_beside(path);
    let mut warnings = Vec::new();
    for overlay_path in beside.iter().chain(extra) {
        let overlay_file = overlay_path.display().to_string().replace('\\', "/");
        let value = read_value(overlay_path, &overlay_file)?;
        let overlay = crate::overlay::parse(&overlay_file, &value)?;
        if beside.contains(overlay_path) || extends(&overlay, path) {
            warnings.extend(overlay.apply(&mut root)?);
        }
    }
    document_at(path, &file, root).map(|document| Some((document, warnings)))
}

/// The overlays that apply to the spec at `path` by their names: beside
/// it, `<stem>.overlay.yaml`, `.yml` or `.json`, in that order.
pub fn overlays_beside(path: &Path) -> Vec<PathBuf> {
    let Some(stem) = path.file_stem().and_then(|stem| stem.to_str()) else {
        return Vec::new();
    };
    ["yaml", "yml", "json"]
        .into_iter()
        .map(|extension| path.with_file_name(format!("{stem}.overlay.{extension}")))
        .filter(|candidate| candidate.is_file())
        .collect()
}

/// Whether an overlay given by hand applies to the spec at `path`: its
/// `extends` names the spec's file (the last segment of a path or URL), or
/// it names none.
fn extends(overlay: &crate::overlay::Overlay, path: &Path) -> bool {
    let Some(target) = overlay.extends() else {
        return true;
    };
    let name = target.rsplit(['/', '\\']).next().unwrap_or(target);
    path.file_name().and_then(|file| file.to_str()) == Some(name)
}

/// Whether a document is an API description rather than a piece of one (a
/// shared `$ref` fragment), an overlay, or another JSON or YAML file: it has
/// an `openapi` or `swagger` key, or at least `info` and `paths` (a spec
/// that lacks its version, which is reported).
pub fn is_spec(root: &Value) -> bool {
    let has = |key: &str| root.get(key).is_some();
    !crate::overlay::is_overlay(root)
        && (has("openapi") || has("swagger") || (has("info") && has("paths")))
}

/// The document `root` read from `path`, its version checked and its
/// references to other files bundled in.
fn document_at(path: &Path, file: &str, root: Value) -> Result<Document, Diagnostic> {
    let version = version(&root).map_err(|diagnostic| diagnostic.in_file(file))?;
    let mut document = Document {
        file: file.to_owned(),
        version,
        root,
    };
    let folder = path
        .parent()
        .map_or_else(|| Path::new(".").to_owned(), Path::to_owned);
    crate::bundle::bundle(&mut document, &folder).map_err(|d| d.in_file(file))?;
    Ok(document)
}

/// The JSON value of the file at `path`.
fn read_value(path: &Path, file: &str) -> Result<Value, Diagnostic> {
    let text = std::fs::read(path).map_err(|error| {
        Diagnostic::error(
            "#",
            format!("cannot read the file: {error}"),
            "check the path",
        )
        .in_file(file)
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
        .in_file(file)
    })?;
    parse(&text).map_err(|message| {
        Diagnostic::error("#", message, "fix the syntax error (YAML or JSON)").in_file(file)
    })
}

/// Parses the text of a referenced file (JSON or YAML, any content).
pub(crate) fn parse_file_text(text: &str) -> Result<Value, String> {
    parse(text)
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
    check_yaml_nesting(trimmed)?;
    serde_yaml_ng::from_str::<YamlJson>(trimmed)
        .map(|converted| converted.0)
        .map_err(|error| {
            let tabbed = error
                .location()
                .and_then(|at| trimmed.lines().nth(at.line().saturating_sub(1)))
                .is_some_and(|line| line.starts_with(['\t', ' ']) && line.contains('\t'));
            if tabbed {
                format!("invalid YAML: {error}; this line holds a tab, and YAML indents with spaces only")
            } else {
                format!("invalid YAML: {error}")
            }
        })
}

/// Deepest nesting accepted, far beyond any real spec.
const MAX_NESTING: usize = 512;

/// Refuses YAML nested deeper than [`MAX_NESTING`] before parsing it: the
/// YAML parser's time grows with the square of the flow nesting depth, so a
/// few megabytes of `[` would otherwise hang it. Counts `[`/`{` flow levels
/// outside quoted scalars and comments, and block indentation.
fn check_yaml_nesting(text: &str) -> Result<(), String> {
    let too_deep = || format!("the document nests deeper than {MAX_NESTING} levels");
    let mut depth = 0usize;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent / 2 > MAX_NESTING {
            return Err(too_deep());
        }
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(too_deep());
                    }
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

/// A JSON value read from YAML: non-string keys (`200:`) become strings and
/// integers beyond 64 bits become floats, as JSON readers treat them.
struct YamlJson(Value);

impl<'de> serde::Deserialize<'de> for YamlJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(YamlJson)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(float(v as f64))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(float(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(YamlJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((YamlJson(key), YamlJson(value))) = map.next_entry()? {
            let key = match key {
                Value::String(key) => key,
                Value::Null => "null".to_owned(),
                Value::Bool(_) | Value::Number(_) => key.to_string(),
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "unsupported mapping key {other}"
                    )));
                }
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A float, or `null` for NaN and infinities (which JSON cannot hold).
fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
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
    fn integers_beyond_64_bits_become_floats() {
        let doc = load_str(
            "t.yaml",
            "openapi: 3.1.0\nx: -9223372036854776000\ny: 18446744073709551616\n",
        )
        .expect("valid");
        assert_eq!(doc.root["x"].as_f64(), Some(-9.223372036854776e18));
        assert!(doc.root["y"].is_number());
    }

    #[test]
    fn deep_yaml_is_refused_before_parsing_but_brackets_in_text_are_not() {
        let deep = format!("openapi: 3.1.0\nx: {}", "[".repeat(100_000));
        let error = load_str("t.yaml", &deep).expect_err("too deep");
        assert!(error.message.contains("nests deeper"), "{}", error.message);
        let text =
            "openapi: 3.1.0\ninfo: {title: 'a [b', description: \"c {d\"} # [[[\npaths: {}\n";
        assert!(load_str("t.yaml", text).is_ok());
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
