//! Broken and hostile specs: a clear error naming the place, or generation
//! with warnings; never a panic, a hang or unbounded memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clientgen::{GenerateError, Generator};
use common::scratch;

/// Generates `content` (written to a file named `name`) and returns the
/// result; a panic fails the test with the input's name.
fn generate(name: &str, content: &[u8]) -> Result<clientgen::Rendered, GenerateError> {
    let dir = scratch(&format!("hostile-{}", name.replace('.', "-")));
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    std::panic::catch_unwind(|| Generator::new(dir.join("out")).spec(&path).render())
        .unwrap_or_else(|_| panic!("{name}: the generator panicked"))
}

fn error_text(name: &str, content: &[u8]) -> String {
    match generate(name, content) {
        Ok(_) => panic!("{name}: generated, but should have failed"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn deep_nesting_fails_cleanly_in_json_and_yaml() {
    // 8 MiB of nesting: far past any parser's depth limit, and no stack overflow.
    let depth = 8 * 1024 * 1024;
    let json = format!("{{\"openapi\": \"3.1.0\", \"x\": {}", "[".repeat(depth));
    let text = error_text("deep.json", json.as_bytes());
    assert!(
        text.contains("invalid JSON") && text.contains("recursion"),
        "{text}"
    );
    let yaml = format!("openapi: 3.1.0\nx: {}", "[".repeat(depth));
    let text = error_text("deep.yaml", yaml.as_bytes());
    assert!(text.contains("nests deeper than 512 levels"), "{text}");
}

#[test]
fn an_alias_bomb_is_refused_before_it_expands() {
    // Ten levels of nine aliases each would expand to 9^10 strings.
    let mut yaml = String::from(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for pair in names.windows(2) {
        let aliases = vec![format!("*{}", pair[0]); 9].join(", ");
        yaml.push_str(&format!("  {}: &{} [{aliases}]\n", pair[1], pair[1]));
    }
    let text = error_text("bomb.yaml", yaml.as_bytes());
    assert!(text.contains("repetition limit exceeded"), "{text}");
}

#[test]
fn non_utf8_and_empty_documents_name_the_problem() {
    let text = error_text("latin1.yaml", b"openapi: 3.0.3\ninfo: {title: Caf\xe9}\n");
    assert!(text.contains("not UTF-8"), "{text}");
    let text = error_text("empty.yaml", b"");
    assert!(text.contains("not an object"), "{text}");
    let text = error_text("null.json", b"null");
    assert!(text.contains("not an object"), "{text}");
}

#[test]
fn keywords_of_the_wrong_type_never_panic() {
    let cases: &[(&str, &str)] = &[
        (
            "paths-number.yaml",
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: 5\n",
        ),
        (
            "properties-string.yaml",
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents: {schemas: {A: {type: object, properties: x, required: 3}}}\n",
        ),
        (
            "parameters-object.yaml",
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {parameters: {name: x}, responses: {'200': {description: ok}}}}}\n",
        ),
        (
            "responses-array.yaml",
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {responses: [1, 2]}}}\n",
        ),
        (
            "schema-true.yaml",
            "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {responses: {'200': {description: ok, content: {application/json: {schema: true}}}}}}}\n",
        ),
        (
            "enum-mixed.yaml",
            "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents: {schemas: {E: {enum: [1, 'a', null, {x: 1}]}}}\n",
        ),
        (
            "ref-not-string.yaml",
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents: {schemas: {A: {$ref: 5}}}\n",
        ),
    ];
    for (name, content) in cases {
        // Either outcome is fine; a panic is not (checked in `generate`).
        let _ = generate(name, content.as_bytes());
    }
}

#[test]
fn duplicate_operation_ids_get_distinct_methods() {
    let spec = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a: {get: {operationId: fetch, responses: {'204': {description: ok}}}}\n  /b: {get: {operationId: fetch, responses: {'204': {description: ok}}}}\n";
    let rendered = generate("dupes.yaml", spec.as_bytes()).unwrap();
    let names: Vec<&str> = rendered.services[0]
        .operations
        .iter()
        .map(|operation| operation.method_name.as_str())
        .collect();
    assert_eq!(names, ["fetch", "fetch2"]);
}

#[test]
fn reference_cycles_and_dangling_references_are_named() {
    let cycle = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}}}}}\ncomponents: {schemas: {A: {allOf: [{$ref: '#/components/schemas/B'}]}, B: {allOf: [{$ref: '#/components/schemas/A'}]}}}\n";
    let rendered = generate("cycle.yaml", cycle.as_bytes()).unwrap();
    assert!(
        rendered
            .warnings
            .iter()
            .any(|w| w.pointer.starts_with("#/components/schemas") && w.message.contains("`A`")),
        "{:?}",
        rendered.warnings
    );
    let dangling = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Nope'}}}}}}}}\n";
    let rendered = generate("dangling.yaml", dangling.as_bytes()).unwrap();
    assert!(
        rendered
            .warnings
            .iter()
            .any(|w| w.message.contains("does not exist") && w.pointer.contains("/schema/$ref")),
        "{:?}",
        rendered.warnings
    );
}
