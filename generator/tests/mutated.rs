//! Real specs (`specs/*.yaml`) mutated the ways broken specs arrive: a
//! dangling `$ref`, a reference cycle through `allOf`, keywords of the wrong
//! type, duplicate operation ids, a missing `info`. Every mutant generates
//! (with warnings) or fails with diagnostics that name the file and the
//! place; none panics or makes the emitter produce invalid Rust.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clientgen::diagnostics::Diagnostic;
use clientgen::{GenerateError, Rendered};
use serde_json::{Value, json};

/// The six real specs, as JSON values.
fn specs() -> Vec<(String, Value)> {
    let dir = common::workspace().join("specs");
    let mut specs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let root = clientgen::load::load_str(&name, &text).unwrap().root;
            (name, root)
        })
        .collect();
    specs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(specs.len(), 6, "expected the six service specs");
    specs
}

/// Generates `spec` (as JSON text named after `name`) and returns what came
/// out: the rendered files or the diagnostics. Panics, and emitter errors,
/// fail the test with the mutant's description.
fn run(what: &str, name: &str, spec: &Value) -> Result<Rendered, Vec<Diagnostic>> {
    let file = name.replace(".yaml", ".json");
    let text = serde_json::to_string(spec).unwrap();
    let outcome = std::panic::catch_unwind(|| clientgen::render_text(&file, &text, false))
        .unwrap_or_else(|_| panic!("{what}: the generator panicked"));
    match outcome {
        Ok(rendered) => {
            for warning in &rendered.warnings {
                named(what, &file, warning);
            }
            Ok(rendered)
        }
        Err(GenerateError::Spec(diagnostics)) => {
            assert!(
                !diagnostics.is_empty(),
                "{what}: an error with no diagnostic"
            );
            for diagnostic in &diagnostics {
                named(what, &file, diagnostic);
            }
            Err(diagnostics)
        }
        Err(other) => panic!("{what}: {other}"),
    }
}

/// A diagnostic names the file and a JSON pointer into it.
fn named(what: &str, file: &str, diagnostic: &Diagnostic) {
    assert_eq!(diagnostic.file, file, "{what}: {diagnostic}");
    assert!(diagnostic.pointer.starts_with('#'), "{what}: {diagnostic}");
    assert!(!diagnostic.help.is_empty(), "{what}: {diagnostic}");
}

/// Every diagnostic of an outcome.
fn diagnostics(outcome: &Result<Rendered, Vec<Diagnostic>>) -> Vec<&Diagnostic> {
    match outcome {
        Ok(rendered) => rendered.warnings.iter().collect(),
        Err(diagnostics) => diagnostics.iter().collect(),
    }
}

/// JSON pointers (`/a/b`) of every object member called `key`.
fn pointers_of(value: &Value, key: &str, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                let pointer = clientgen::diagnostics::child(at, name);
                if name == key {
                    found.push(pointer.clone());
                }
                pointers_of(child, key, &pointer, found);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers_of(child, key, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

fn all(value: &Value, key: &str) -> Vec<String> {
    let mut found = Vec::new();
    pointers_of(value, key, "", &mut found);
    found
}

#[test]
fn the_unmutated_specs_generate_cleanly() {
    for (name, spec) in specs() {
        let outcome = run(&format!("{name} as is"), &name, &spec);
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
}

#[test]
fn a_dangling_reference_is_named() {
    for (name, spec) in specs() {
        for pointer in all(&spec, "$ref") {
            let mut mutant = spec.clone();
            *mutant.pointer_mut(&pointer).unwrap() = json!("#/components/schemas/Gone");
            let what = format!("{name}: {pointer} dangling");
            let outcome = run(&what, &name, &mutant);
            assert!(
                diagnostics(&outcome)
                    .iter()
                    .any(|d| d.message.contains("Gone") || d.pointer.contains("Gone")),
                "{what}: no diagnostic names the missing target: {outcome:?}"
            );
        }
    }
}

#[test]
fn a_cycle_through_all_of_is_named() {
    for (name, spec) in specs() {
        let Some(Value::Object(schemas)) = spec.pointer("/components/schemas") else {
            continue;
        };
        for schema in schemas.keys() {
            let mut mutant = spec.clone();
            let target = format!("#/components/schemas/{schema}");
            mutant["components"]["schemas"][schema] = json!({
                "allOf": [{"$ref": target}, {"type": "object"}]
            });
            let what = format!("{name}: {schema} includes itself");
            let outcome = run(&what, &name, &mutant);
            assert!(
                diagnostics(&outcome)
                    .iter()
                    .any(|d| d.pointer.contains(schema.as_str())
                        || d.message.contains(schema.as_str())),
                "{what}: no diagnostic names the schema: {outcome:?}"
            );
        }
    }
}

#[test]
fn keywords_of_the_wrong_type_never_panic() {
    let keywords = [
        "paths",
        "properties",
        "items",
        "parameters",
        "responses",
        "content",
        "schema",
        "type",
        "required",
        "enum",
        "allOf",
        "oneOf",
        "anyOf",
        "in",
        "name",
        "security",
        "servers",
        "requestBody",
        "additionalProperties",
        "discriminator",
        "format",
        "nullable",
    ];
    let wrong = [
        json!(5),
        json!("x"),
        json!([1, "a", null]),
        json!({"?": true}),
        json!(null),
    ];
    for (name, spec) in specs() {
        for keyword in keywords {
            // The first three places each keyword appears.
            for pointer in all(&spec, keyword).into_iter().take(3) {
                for value in &wrong {
                    let mut mutant = spec.clone();
                    *mutant.pointer_mut(&pointer).unwrap() = value.clone();
                    run(&format!("{name}: {pointer} = {value}"), &name, &mutant).ok();
                }
            }
        }
    }
}

#[test]
fn duplicate_operation_ids_still_give_distinct_methods() {
    for (name, spec) in specs() {
        let mut mutant = spec.clone();
        for pointer in all(&spec, "operationId") {
            *mutant.pointer_mut(&pointer).unwrap() = json!("same");
        }
        let what = format!("{name}: every operationId is `same`");
        let rendered = run(&what, &name, &mutant).unwrap_or_else(|d| panic!("{what}: {d:?}"));
        let mut methods: Vec<_> = rendered.services[0]
            .operations
            .iter()
            .map(|operation| operation.method_name.clone())
            .collect();
        let count = methods.len();
        methods.sort();
        methods.dedup();
        assert_eq!(methods.len(), count, "{what}: {methods:?}");
    }
}

#[test]
fn a_missing_info_or_an_emptied_document_is_an_error() {
    for (name, spec) in specs() {
        let mut mutant = spec.clone();
        mutant.as_object_mut().unwrap().remove("info");
        let _ = run(&format!("{name} without info"), &name, &mutant);
        let outcome = run(&format!("{name} emptied"), &name, &json!({}));
        assert!(outcome.is_err(), "{name} emptied: {outcome:?}");
    }
}
