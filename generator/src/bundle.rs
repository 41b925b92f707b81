//! Bundling: `$ref`s to other files next to the spec (`common.yaml#/Pet`)
//! are resolved by loading those files into the document, under
//! `x-clientgen-external`, and rewriting the references to point there.
//! References to URLs are left alone (and reported when used).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, escape_token};
use crate::load::{Document, parse_file_text};

/// Where bundled files live in the document.
pub const EXTERNAL_KEY: &str = "x-clientgen-external";

/// Most files one spec may pull in.
const MAX_FILES: usize = 64;

/// Loads every file `document` refers to (relative to `base`, the spec's
/// folder) and rewrites references into them as local ones.
pub fn bundle(document: &mut Document, base: &Path) -> Result<(), Diagnostic> {
    let mut files: BTreeMap<String, Value> = BTreeMap::new();
    let mut queue: Vec<(String, PathBuf)> = Vec::new();
    collect(&document.root, base, None, &mut queue);
    while let Some((name, path)) = queue.pop() {
        if files.contains_key(&name) {
            continue;
        }
        if files.len() >= MAX_FILES {
            return Err(Diagnostic::error(
                "#",
                format!("the spec refers to more than {MAX_FILES} other files"),
                "bundle the spec into one file",
            ));
        }
        let text = std::fs::read_to_string(&path).map_err(|error| {
            Diagnostic::error(
                "#",
                format!(
                    "cannot read `{}` referenced by the spec: {error}",
                    path.display()
                ),
                "put the referenced file next to the spec, or fix the `$ref`",
            )
        })?;
        let mut value = parse_file_text(&text).map_err(|message| {
            Diagnostic::error(
                "#",
                format!("in `{}`: {message}", path.display()),
                "fix the referenced file",
            )
        })?;
        collect(&value, base, Some(&name), &mut queue);
        rewrite(&mut value, Some(&name));
        files.insert(name, value);
    }
    if files.is_empty() {
        return Ok(());
    }
    rewrite(&mut document.root, None);
    if let Value::Object(root) = &mut document.root {
        root.insert(
            EXTERNAL_KEY.to_owned(),
            Value::Object(files.into_iter().collect()),
        );
    }
    Ok(())
}

/// The file part of a file reference (`common.yaml#/X` -> `common.yaml`).
fn file_part(reference: &str) -> Option<&str> {
    let file = reference.split('#').next()?;
    let is_url = file.contains("://");
    (!file.is_empty() && !is_url).then_some(file)
}

/// A stable key for a file referenced from bundled file `own` (or from the
/// spec): its path relative to the spec's folder, `/`-separated.
fn key_for(file: &str, own: Option<&str>) -> String {
    let joined = match own.and_then(|key| key.rsplit_once('/')) {
        Some((dir, _)) => format!("{dir}/{file}"),
        None => file.to_owned(),
    };
    normalize(&joined.replace('\\', "/"))
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn collect(value: &Value, base: &Path, own: Option<&str>, queue: &mut Vec<(String, PathBuf)>) {
    walk_refs(value, &mut |reference| {
        if let Some(file) = file_part(reference) {
            let key = key_for(file, own);
            queue.push((key.clone(), base.join(key)));
        }
    });
}

fn walk_refs(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                visit(reference);
            }
            for (key, child) in map {
                if key != "example" && key != "examples" {
                    walk_refs(child, visit);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk_refs(item, visit)),
        _ => {}
    }
}

/// Rewrites file references (and, inside bundled file `own`, its local
/// references) to pointers under [`EXTERNAL_KEY`].
fn rewrite(value: &mut Value, own: Option<&str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                let (file, fragment) = reference
                    .split_once('#')
                    .unwrap_or((reference.as_str(), ""));
                let target = match (file_part(reference), own) {
                    (Some(file), _) => Some(key_for(file, own)),
                    (None, Some(own)) if file.is_empty() => Some(own.to_owned()),
                    _ => None,
                };
                if let Some(target) = target {
                    *reference = format!("#/{EXTERNAL_KEY}/{}{fragment}", escape_token(&target));
                }
            }
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    rewrite(child, own);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite(item, own)),
        _ => {}
    }
}
