//! Feature fixtures (one construct each) and invalid fixtures (one problem
//! each).
//!
//! The expected output of every feature fixture is a module of the
//! `clientgen-tests` crate (`tests/src/features/`), so it must compile under
//! the workspace lints. When the generator changes on purpose, regenerate
//! the expectations with `CLIENTGEN_BLESS=1 cargo test -p clientgen --test fixtures`
//! and review the diff. Diagnostics of invalid fixtures are insta snapshots
//! (`cargo insta review`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use clientgen::{GenerateError, Generator};
use common::{in_workspace, workspace};

const FEATURES: &str = "generator/tests/features";
const INVALID: &str = "generator/tests/invalid";
const FASTAPI: &str = "tests/fastapi/specs";
const EXPECTED: &str = "tests/src/features";

fn fixtures(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace().join(dir))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") || name.ends_with(".json"))
        // An overlay applies to the fixture beside it; it is not one.
        .filter(|name| !name.contains(".overlay."))
        .collect();
    names.sort();
    names
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// What `tests/src/features/` should hold.
fn expected_files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut modules = String::from(
        "//! Generated from `generator/tests/features/`: one module per feature fixture,\n\
         //! compiled here to prove the output builds under the workspace lints.\n\
         //! Regenerate with `CLIENTGEN_BLESS=1 cargo test -p clientgen --test fixtures`.\n\n",
    );
    for name in fixtures(FEATURES) {
        let rendered = in_workspace(|| {
            Generator::new("unused")
                .spec(format!("{FEATURES}/{name}"))
                .render()
                .unwrap_or_else(|error| panic!("{name} does not generate:\n{error}"))
        });
        let module = stem(&name).replace('-', "_");
        let own: Vec<_> = rendered
            .files
            .iter()
            .filter(|(path, _)| {
                *path == &format!("{module}.rs") || path.starts_with(&format!("{module}/"))
            })
            .collect();
        assert!(!own.is_empty(), "{name}: no module {module}");
        modules.push_str(&format!("#[rustfmt::skip]\npub mod {module};\n"));
        for (path, content) in own {
            files.insert(path.clone(), content.clone());
        }
    }
    // What the invalid fixtures generate without `--strict` must compile too.
    let lenient = generated_modules(
        INVALID,
        "lenient",
        "//! What the invalid fixtures of `generator/tests/invalid/` generate without\n\
         //! `--strict` (the rest skipped with warnings), compiled to prove it builds.\n\n",
        &mut files,
    );
    // The documents real FastAPI apps emit (`tests/fastapi/`, checked
    // against the running apps by `clientgen-tests`' `fastapi` test).
    let fastapi = generated_modules(
        FASTAPI,
        "fastapi",
        "//! Generated from the OpenAPI documents the FastAPI apps of `tests/fastapi/apps/`\n\
         //! emit (`tests/fastapi/specs/`, exported by `tests/fastapi/export.py`).\n\n",
        &mut files,
    );
    modules.push_str("pub mod fastapi;\n");
    files.insert("fastapi/mod.rs".to_owned(), fastapi);
    modules.push_str("pub mod lenient;\n");
    files.insert("lenient/mod.rs".to_owned(), lenient);
    files.insert("mod.rs".to_owned(), modules);
    files
}

/// Generates every spec of `dir` that generates into `files` under
/// `folder/`; returns that folder's `mod.rs`, starting with `docs`.
fn generated_modules(
    dir: &str,
    folder: &str,
    docs: &str,
    files: &mut BTreeMap<String, String>,
) -> String {
    let mut declarations = String::from(docs);
    for name in fixtures(dir) {
        let Ok(rendered) = in_workspace(|| {
            Generator::new("unused")
                .spec(format!("{dir}/{name}"))
                .render()
        }) else {
            continue;
        };
        let module = stem(&name).replace('-', "_");
        declarations.push_str(&format!("#[rustfmt::skip]\npub mod {module};\n"));
        // One spec's crate root and its fakes' root have no place among
        // the fixtures: each fixture is a module.
        let roots = ["lib.rs", "fakes.rs"];
        for (path, content) in rendered
            .files
            .iter()
            .filter(|(path, _)| !roots.contains(&path.as_str()))
        {
            files.insert(format!("{folder}/{path}"), content.clone());
        }
    }
    declarations
}

#[test]
fn feature_fixtures_match_their_compiled_expectations() {
    let expected = expected_files();
    let dir = workspace().join(EXPECTED);
    if std::env::var_os("CLIENTGEN_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        clientgen::output::write_files(&dir, &expected, true).unwrap();
        return;
    }
    let diff = clientgen::output::stale_diff(&dir, &expected);
    assert!(
        diff.is_empty(),
        "feature expectations are stale; run `CLIENTGEN_BLESS=1 cargo test -p clientgen --test fixtures` and review:\n{diff}"
    );
    let present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name != clientgen::output::LOCK_FILE
                && !expected.contains_key(name)
                && !expected
                    .keys()
                    .any(|key| key.starts_with(&format!("{name}/")))
        })
        .collect();
    assert!(present.is_empty(), "files without a fixture: {present:?}");
}

#[test]
fn a_big_spec_is_split_into_several_files() {
    let rendered = in_workspace(|| {
        Generator::new("unused")
            .spec(format!("{FEATURES}/big_split.yaml"))
            .render()
            .unwrap()
    });
    let names: Vec<&str> = rendered.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "big_split/fake.rs",
            "big_split/fake_operations_01.rs",
            "big_split/fake_operations_02.rs",
            "big_split/mod.rs",
            "big_split/operations_01.rs",
            "big_split/operations_02.rs",
            "big_split/types_01.rs",
            "big_split/types_02.rs",
            "fakes.rs",
            "lib.rs"
        ]
    );
    for (name, content) in &rendered.files {
        assert!(content.lines().count() < 3_000, "{name} is too big");
    }
}

#[test]
fn fixtures_with_webhooks_and_callbacks_generate_with_warnings() {
    let rendered = in_workspace(|| {
        Generator::new("unused")
            .spec(format!("{FEATURES}/webhooks_31.yaml"))
            .render()
            .unwrap()
    });
    let text: Vec<String> = rendered.warnings.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("webhooks_31_warnings", text.join("\n\n"));
}

#[test]
fn invalid_fixtures_fail_with_a_precise_diagnostic() {
    let names = fixtures(INVALID);
    assert!(names.len() >= 12, "only {} invalid fixtures", names.len());
    for name in names {
        let result = in_workspace(|| {
            Generator::new("unused")
                .spec(format!("{INVALID}/{name}"))
                .strict(true)
                .render()
        });
        let error = match result {
            Ok(_) => panic!("{name} generated, but it should have failed"),
            Err(error) => error,
        };
        let GenerateError::Spec(diagnostics) = &error else {
            panic!("{name}: expected spec diagnostics, got {error:?}");
        };
        for diagnostic in diagnostics {
            assert!(diagnostic.pointer.starts_with('#'), "{name}: {diagnostic}");
            assert!(!diagnostic.help.is_empty(), "{name}: {diagnostic}");
        }
        insta::assert_snapshot!(format!("invalid_{}", stem(&name)), error.to_string());
    }
}

/// Without `--strict`, what can be skipped is skipped with a warning and the
/// rest is generated; what cannot (a broken document) still fails.
#[test]
fn invalid_fixtures_without_strict_skip_with_warnings() {
    for name in fixtures(INVALID) {
        let result = in_workspace(|| {
            Generator::new("unused")
                .spec(format!("{INVALID}/{name}"))
                .render()
        });
        let text = match result {
            Ok(rendered) => {
                assert!(
                    !rendered.warnings.is_empty(),
                    "{name}: generated without a warning"
                );
                let warnings: Vec<String> =
                    rendered.warnings.iter().map(ToString::to_string).collect();
                format!("generated with warnings:\n\n{}", warnings.join("\n\n"))
            }
            Err(error) => format!("failed:\n\n{error}"),
        };
        insta::assert_snapshot!(format!("lenient_{}", stem(&name)), text);
    }
}

#[test]
fn a_missing_spec_file_is_an_error_not_a_panic() {
    let error = Generator::new("unused")
        .spec(Path::new("/nonexistent/spec.yaml"))
        .render()
        .unwrap_err();
    assert!(
        error.to_string().contains("cannot read the file"),
        "{error}"
    );
}
