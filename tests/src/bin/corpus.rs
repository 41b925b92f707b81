//! The corpus harness: generates every spec of `../shared/corpus/specs` (or
//! a fixed subset covering every feature), each into its own scratch crate
//! (sharing one target directory, so the runtime builds once), `cargo
//! check`s them one after the other with warnings denied, and prints a
//! table. (One crate holding all 38 specs needs more than 23 GB to check.)
//!
//! ```text
//! cargo run -p clientgen-tests --bin corpus              # all specs
//! cargo run -p clientgen-tests --bin corpus -- --subset  # the CI subset
//! cargo run -p clientgen-tests --bin corpus -- stripe     # specs matching
//! ```
//!
//! Exits 1 when a spec fails to generate, generation panics, or the crate
//! does not compile; exits 2 when the corpus folder is missing.
#![allow(clippy::print_stdout, clippy::print_stderr)] // A report tool prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use clientgen::Generator;
use clientgen::diagnostics::Diagnostic;

/// Specs checked in CI: together they cover every feature in MANIFEST.tsv
/// (3.1 type arrays, const, prefixItems, $ref siblings, FastAPI's anyOf,
/// discriminators, deepObject, multipart, form bodies, octet-stream,
/// text/plain, event streams, webhooks, callbacks, recursion, no named
/// schemas, missing operation ids) at a fraction of the compile time.
const SUBSET: &[&str] = &[
    "airflow-3.3.2-simple-auth-manager-generated.yaml",
    "apisguru-cpy.re_peertube.json",
    "apisguru-discourse.local.json",
    "apisguru-raw-apis.guru-2.2.0.yaml",
    "apisguru-wolframalpha.com.json",
    "apisguru-xkcd.com.json",
    "oai-v3.0-api-with-examples.yaml",
    "oai-v3.0-callback-example.yaml",
    "oai-v3.0-link-example.yaml",
    "oai-v3.0-petstore-expanded.yaml",
    "oai-v3.0-petstore.yaml",
    "oai-v3.0-uspto.yaml",
    "oai-v3.1-non-oauth-scopes.yaml",
    "oai-v3.1-webhook-example.yaml",
    "progenitor-buildomat.json",
    "progenitor-cli-gen.json",
    "progenitor-keeper.json",
    "progenitor-param-collision.json",
    "progenitor-param-overrides.yaml",
    "progenitor-propolis-server.json",
    "readme-3.0-discriminators.yaml",
    "readme-3.0-polymorphism.yaml",
    "readme-3.0-schema-circular.yaml",
    "readme-3.1-schema-types.yaml",
    "readme-3.1-train-travel.yaml",
];

struct Row {
    spec: String,
    version: String,
    operations: String,
    generated: usize,
    skipped: Vec<Diagnostic>,
    failure: Option<String>,
    millis: f64,
    check_secs: f64,
    module: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let subset = args.iter().any(|a| a == "--subset");
    let workspace = workspace();
    let corpus = workspace.join("../shared/corpus");
    let specs_dir = corpus.join("specs");
    if !specs_dir.is_dir() {
        eprintln!(
            "corpus: {} is missing; the corpus harness needs ../shared/corpus beside the checkout",
            specs_dir.display()
        );
        return ExitCode::from(2);
    }
    let manifest = read_manifest(&corpus.join("MANIFEST.tsv"));
    let mut files: Vec<String> = std::fs::read_dir(&specs_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if subset {
        files.retain(|file| SUBSET.contains(&file.as_str()));
    }
    // Other arguments pick specs whose file name contains them.
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() {
        files.retain(|file| filters.iter().any(|f| file.contains(f.as_str())));
    }

    let scratch = workspace.join("target/corpus");
    let crates = scratch.join("crates");
    let _ = std::fs::remove_dir_all(&crates);
    let mut rows = Vec::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut check_secs = 0.0;
    for file in &files {
        let (version, operations) = manifest
            .get(&format!("specs/{file}"))
            .cloned()
            .unwrap_or_default();
        let mut row = generate(&specs_dir.join(file), file, version, operations, &crates);
        if row.failure.is_none() {
            let crate_dir = crates.join(&row.module);
            let lib = format!(
                "//! The corpus spec `{file}`.\n\n#[rustfmt::skip]\npub mod {};\n",
                row.module
            );
            let written = std::fs::write(crate_dir.join("src/lib.rs"), lib).and_then(|()| {
                std::fs::write(
                    crate_dir.join("Cargo.toml"),
                    manifest_toml(&workspace, &row.module),
                )
            });
            if let Err(error) = written {
                row.failure = Some(format!("cannot write the scratch crate: {error}"));
            } else {
                let started = Instant::now();
                let found = cargo_check(&crate_dir, &scratch.join("target"));
                row.check_secs = started.elapsed().as_secs_f64();
                check_secs += row.check_secs;
                if !found.is_empty() {
                    errors.insert(row.module.clone(), found);
                }
            }
        }
        eprintln!("corpus: {} done", row.spec);
        rows.push(row);
    }
    print_table(&rows, &errors);
    let failed_generation = rows.iter().filter(|r| r.failure.is_some()).count();
    let failed_compile = rows
        .iter()
        .filter(|r| r.failure.is_none() && errors.contains_key(&r.module))
        .count();
    println!(
        "\n{} specs: {} generated, {} compile; cargo check took {check_secs:.1} s",
        rows.len(),
        rows.len() - failed_generation,
        rows.len() - failed_generation - failed_compile,
    );
    if failed_generation > 0 || failed_compile > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// `specs/<file>` -> (openapi version, operations).
fn read_manifest(path: &Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (Some(file), Some(version), Some(operations)) =
        (column("file"), column("openapi"), column("operations"))
    else {
        return BTreeMap::new();
    };
    lines
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter_map(|cells| {
            Some((
                (*cells.get(file)?).to_owned(),
                (
                    (*cells.get(version)?).to_owned(),
                    (*cells.get(operations)?).to_owned(),
                ),
            ))
        })
        .collect()
}

fn generate(path: &Path, file: &str, version: String, operations: String, crates: &Path) -> Row {
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(|| Generator::new("unused").spec(path).render());
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let mut row = Row {
        spec: file.to_owned(),
        version,
        operations,
        generated: 0,
        skipped: Vec::new(),
        failure: None,
        millis,
        check_secs: 0.0,
        module: String::new(),
    };
    match outcome {
        Err(_) => row.failure = Some("generator panicked".to_owned()),
        Ok(Err(error)) => row.failure = Some(error.to_string()),
        Ok(Ok(rendered)) => {
            let Some(service) = rendered.services.first() else {
                row.failure = Some("no service".to_owned());
                return row;
            };
            row.module = service.module.clone();
            let src = crates.join(&row.module).join("src");
            row.generated = service.operations.len();
            row.skipped = rendered.warnings;
            for (name, content) in rendered.files.iter().filter(|(name, _)| *name != "lib.rs") {
                let target = src.join(name);
                if let Some(parent) = target.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                if let Err(error) = std::fs::write(&target, content) {
                    row.failure = Some(format!("cannot write {}: {error}", target.display()));
                }
            }
        }
    }
    row
}

fn manifest_toml(workspace: &Path, module: &str) -> String {
    format!(
        "[package]\nname = \"corpus-{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nclientgen-runtime = {{ path = \"{}\" }}\n\n[workspace]\n\n\
         [features]\nfakes = [\"clientgen-runtime/fakes\"]\n\n\
         [lints.rust]\nmissing_docs = \"warn\"\nunreachable_pub = \"warn\"\n\
         rust_2018_idioms = {{ level = \"warn\", priority = -1 }}\nunused_qualifications = \"warn\"\n",
        module.replace('_', "-"),
        workspace.join("runtime").display()
    )
}

/// Runs `cargo check` on one scratch crate, its typed fakes included, with
/// warnings denied; returns its errors and warnings (empty when it
/// compiles cleanly).
fn cargo_check(crate_dir: &Path, target: &Path) -> Vec<String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "check",
            "--quiet",
            "--message-format=short",
            "--features",
            "fakes",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTFLAGS", "-D warnings")
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => return vec![format!("cannot run cargo: {error}")],
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut found: Vec<String> = stderr
        .lines()
        .filter(|line| line.contains("error") || line.contains("warning"))
        .map(str::to_owned)
        .collect();
    if !output.status.success() && found.is_empty() {
        found.push(format!("cargo check failed:\n{stderr}"));
    }
    found
}

fn print_table(rows: &[Row], errors: &BTreeMap<String, Vec<String>>) {
    println!(
        "| spec | version | operations | generated | skipped | compiles | generation | check |\n|---|---|---|---|---|---|---|---|"
    );
    for row in rows {
        let compiles = match (&row.failure, errors.get(&row.module)) {
            (Some(_), _) => "no (not generated)".to_owned(),
            (None, Some(messages)) => format!("no ({} errors)", messages.len()),
            (None, None) => "yes".to_owned(),
        };
        let skipped = summarize(&row.skipped);
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} ms | {:.1} s |",
            row.spec,
            row.version,
            row.operations,
            row.generated,
            skipped,
            compiles,
            row.millis,
            row.check_secs
        );
    }
    for row in rows {
        if let Some(failure) = &row.failure {
            println!("\n{}: {failure}", row.spec);
        }
        if let Some(messages) = errors.get(&row.module).filter(|_| !row.module.is_empty()) {
            println!("\n{}:", row.spec);
            for message in messages.iter().take(10) {
                println!("  {message}");
            }
        }
    }
}

/// "3: media type (2), webhook (1)".
fn summarize(warnings: &[Diagnostic]) -> String {
    if warnings.is_empty() {
        return "0".to_owned();
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for warning in warnings {
        let reason = warning
            .message
            .split_once("skipped: ")
            .map_or(warning.message.as_str(), |(_, reason)| reason);
        let short: String = reason
            .split(['`', ',', '('])
            .next()
            .unwrap_or(reason)
            .trim()
            .to_owned();
        *reasons.entry(short).or_default() += 1;
    }
    let listed: Vec<String> = reasons
        .into_iter()
        .map(|(reason, count)| format!("{reason} ({count})"))
        .collect();
    format!("{}: {}", warnings.len(), listed.join("; "))
}
