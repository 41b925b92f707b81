//! `clientgen diff`'s verdicts, checked by the compiler. For each rule of
//! `generator/tests/diff_rules/rules.yaml` (one edit of `base.yaml`), every
//! item the diff reports gets a consumer (`clientgen::diff::consumer`: the
//! old item used as callers use it), compiled against the old crate and
//! against the new one: it must fail against the new crate exactly when
//! the item's verdict is breaking. A verdict the compiler contradicts fails
//! this test. One scratch cargo workspace, checked once with `--keep-going`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use clientgen::diff::{self, Class};
use clientgen::ir::Service;
use clientgen_tests::process::workspace;

#[derive(serde::Deserialize)]
struct Rule {
    name: String,
    from: String,
    to: String,
}

/// A scratch crate: the generated files and the consumers of some items.
struct ScratchCrate {
    name: String,
    files: BTreeMap<String, String>,
    /// Consumer module name -> (rule, item, whether it must fail).
    consumers: BTreeMap<String, (String, String, bool)>,
}

fn render(text: &str) -> (BTreeMap<String, String>, Vec<Service>) {
    let rendered = clientgen::render_text("rules.yaml", text, false).expect("generates");
    (rendered.files, rendered.services)
}

fn write_crate(root: &Path, runtime: &Path, krate: &ScratchCrate) {
    let dir = root.join(&krate.name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nclientgen-runtime = {{ path = \"{}\" }}\n\n\
             [features]\nfakes = [\"clientgen-runtime/fakes\"]\n",
            krate.name,
            runtime.display()
        ),
    )
    .unwrap();
    for (name, content) in &krate.files {
        let mut content = content.clone();
        if name == "lib.rs" {
            for module in krate.consumers.keys() {
                content.push_str(&format!("\nmod {module};\n"));
            }
        }
        let path = dir.join("src").join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, content).unwrap();
    }
}

#[test]
fn the_compiler_agrees_with_every_verdict() {
    let rules_dir = workspace().join("generator/tests/diff_rules");
    let base = std::fs::read_to_string(rules_dir.join("base.yaml")).unwrap();
    let rules: Vec<Rule> =
        serde_yaml_ng::from_str(&std::fs::read_to_string(rules_dir.join("rules.yaml")).unwrap())
            .unwrap();
    let (old_files, old_services) = render(&base);
    let old_service = &old_services[0];

    let mut old_crate = ScratchCrate {
        name: "verdicts-old".to_owned(),
        files: old_files.clone(),
        consumers: BTreeMap::new(),
    };
    let mut crates = Vec::new();
    let mut verdicts = 0;
    for rule in &rules {
        let (new_files, new_services) = render(&base.replacen(&rule.from, &rule.to, 1));
        let report = diff::compare(&old_services, &new_services);
        // Each item's worst class.
        let mut items: BTreeMap<String, Class> = BTreeMap::new();
        for change in &report.changes {
            let class = items.entry(change.item.clone()).or_insert(change.class);
            *class = (*class).min(change.class);
        }
        let mut krate = ScratchCrate {
            name: format!("verdicts-{}", rule.name.replace('_', "-")),
            files: new_files,
            consumers: BTreeMap::new(),
        };
        for (index, (item, class)) in items.iter().enumerate() {
            // An item the old crate lacks (an addition) has no old callers.
            let Some(consumer) = diff::consumer(old_service, item) else {
                continue;
            };
            let module = format!("consumer_{index}");
            krate.files.insert(format!("{module}.rs"), consumer.clone());
            krate.consumers.insert(
                module,
                (rule.name.clone(), item.clone(), *class == Class::Breaking),
            );
            let old_module = format!("consumer_{}", old_crate.consumers.len());
            old_crate.files.insert(format!("{old_module}.rs"), consumer);
            old_crate
                .consumers
                .insert(old_module, (rule.name.clone(), item.clone(), false));
            verdicts += 1;
        }
        crates.push(krate);
    }
    crates.push(old_crate);
    assert!(
        verdicts >= 15,
        "the rules give verdicts to check: {verdicts}"
    );

    let root = workspace().join("target/diff-verdicts");
    std::fs::create_dir_all(&root).unwrap();
    let members: Vec<String> = crates
        .iter()
        .map(|krate| format!("\"{}\"", krate.name))
        .collect();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )
    .unwrap();
    let _ = std::fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock"));
    for krate in &crates {
        write_crate(&root, &workspace().join("runtime"), krate);
    }
    let errors = check(&root);

    let mut contradicted = Vec::new();
    for krate in &crates {
        let failing: BTreeSet<&str> = errors
            .get(&krate.name)
            .map(|files| files.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for file in &failing {
            let module = file.trim_end_matches(".rs");
            if !krate.consumers.contains_key(module) {
                contradicted.push(format!(
                    "{}: the generated code itself does not compile ({file})",
                    krate.name
                ));
            }
        }
        for (module, (rule, item, must_fail)) in &krate.consumers {
            let failed = failing.contains(format!("{module}.rs").as_str());
            if failed != *must_fail {
                contradicted.push(format!(
                    "{rule}: `{item}` {} against {}, but the verdict says {}",
                    if failed { "fails" } else { "compiles" },
                    krate.name,
                    if *must_fail {
                        "breaking"
                    } else {
                        "not breaking"
                    },
                ));
            }
        }
    }
    assert!(
        contradicted.is_empty(),
        "verdicts the compiler contradicts:\n{}",
        contradicted.join("\n")
    );
}

/// `cargo check`s the scratch workspace; the files with errors, by crate.
fn check(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let target: PathBuf = root.join("target");
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "check",
            "--workspace",
            "--keep-going",
            "--quiet",
            "--message-format=json",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let mut errors: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let Some(krate) = message["target"]["name"].as_str() else {
            continue;
        };
        let files = errors.entry(krate.replace('_', "-")).or_default();
        let spans = message["message"]["spans"].as_array().into_iter().flatten();
        for span in spans.filter(|span| span["is_primary"] == true) {
            if let Some(file) = span["file_name"].as_str() {
                files.insert(
                    Path::new(file)
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
    }
    assert!(
        !errors.contains_key("verdicts-old") || errors["verdicts-old"].is_empty(),
        "every consumer compiles against the old crate: {:?}\n{}",
        errors.get("verdicts-old"),
        String::from_utf8_lossy(&output.stderr)
    );
    errors
}
