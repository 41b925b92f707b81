//! The output folder: file names that make modules, one spec regenerated
//! alone, fragments beside the specs, atomic writes under a lock, and the
//! messages of a wrong output or specs path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use clientgen::{GenerateError, Generator};
use common::scratch;

/// A minimal spec titled `title` with one operation.
fn spec(title: &str) -> String {
    format!(
        "openapi: 3.1.0\ninfo: {{title: {title}, version: 1.0.0}}\npaths:\n  /ping:\n    get:\n      \
         operationId: ping\n      responses:\n        '204': {{description: ok}}\n"
    )
}

/// A folder `specs` holding one minimal spec per name in `names`.
fn specs_folder(test: &str, names: &[&str]) -> PathBuf {
    let dir = scratch(test).join("specs");
    std::fs::create_dir_all(&dir).unwrap();
    for name in names {
        std::fs::write(dir.join(name), spec(name)).unwrap();
    }
    dir
}

/// The modules `lib.rs` declares.
fn declared(out: &Path) -> Vec<String> {
    let root = std::fs::read_to_string(out.join("lib.rs")).unwrap();
    root.lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

/// The service modules `lib.rs` declares: not the typed fakes' module.
fn services_declared(out: &Path) -> Vec<String> {
    let mut modules = declared(out);
    modules.retain(|module| module != "fakes");
    modules
}

/// Every module `lib.rs` declares has its file, which parses as Rust.
fn assert_whole(out: &Path) {
    for module in declared(out) {
        let file = out.join(format!("{module}.rs"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("{} is declared but {error}", file.display()));
        syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    }
}

#[test]
fn keyword_and_taken_file_names_make_modules_that_exist() {
    let names = [
        "type.yaml",
        "session.yaml",
        "std.yaml",
        "core.yaml",
        "clientgen_runtime.yaml",
        "leaves-wallet.yaml",
    ];
    let dir = specs_folder("names", &names);
    let out = dir.with_file_name("out");
    Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .write()
        .unwrap();
    assert_eq!(
        services_declared(&out),
        [
            "clientgen_runtime_service",
            "core_service",
            "leaves_wallet",
            "session_service",
            "std_service",
            "type_service"
        ]
    );
    assert_whole(&out);
    let client = std::fs::read_to_string(out.join("type_service.rs")).unwrap();
    assert!(client.contains("`TYPE_SERVICE_URL`"), "{client}");
    assert!(
        client.contains(r#"SERVICE: &'static str = "type";"#),
        "{client}"
    );
}

#[test]
fn a_file_name_that_cannot_name_a_service_is_refused_with_its_name() {
    for name in ["été.yaml", "1password.yaml"] {
        let dir = specs_folder(&format!("refused-{}", name.len()), &[name]);
        let error = Generator::new(dir.with_file_name("out"))
            .specs_dir(&dir)
            .unwrap()
            .render()
            .unwrap_err()
            .to_string();
        let stem = name.trim_end_matches(".yaml");
        assert!(
            error.contains(&format!("`{stem}` cannot name a service")),
            "{error}"
        );
        assert!(error.contains("rename the file"), "{error}");
    }
}

#[test]
fn regenerating_one_spec_keeps_every_other_module() {
    let dir = specs_folder("only", &["auth.yaml", "audit.yaml", "config.yaml"]);
    let out = dir.with_file_name("out");
    Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .write()
        .unwrap();
    std::fs::write(dir.join("audit.yaml"), spec("Audit v2")).unwrap();
    std::fs::write(dir.join("auth.yaml"), spec("Auth v2")).unwrap();
    let summary = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .only([dir.join("auth.yaml")])
        .write()
        .unwrap();
    assert_eq!(summary.removed, 0);
    assert_eq!(services_declared(&out), ["audit", "auth", "config"]);
    assert_whole(&out);
    let auth = std::fs::read_to_string(out.join("auth.rs")).unwrap();
    assert!(auth.contains("Auth v2"), "the named spec was regenerated");
    let audit = std::fs::read_to_string(out.join("audit.rs")).unwrap();
    assert!(!audit.contains("Audit v2"), "the others were left alone");
}

#[test]
fn fragments_and_other_files_beside_the_specs_are_passed_over() {
    let dir = specs_folder("fragments", &[]);
    std::fs::write(
        dir.join("billing.yaml"),
        "openapi: 3.1.0\ninfo: {title: Billing, version: 1.0.0}\npaths:\n  /invoices:\n    get:\n      \
         operationId: listInvoices\n      responses:\n        '200':\n          description: ok\n          \
         content:\n            application/json:\n              schema: {$ref: 'shared.yaml#/Invoice'}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("shared.yaml"),
        "Invoice:\n  type: object\n  properties:\n    id: {type: string}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "specs", "private": true}"#,
    )
    .unwrap();
    let out = dir.with_file_name("out");
    let summary = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .write()
        .unwrap();
    assert_eq!(summary.services, 1);
    assert_eq!(services_declared(&out), ["billing"]);
    // A spec that only lost its version is still reported, not passed over.
    std::fs::write(
        dir.join("broken.yaml"),
        "info: {title: x, version: 1}\npaths: {}\n",
    )
    .unwrap();
    let error = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .render()
        .unwrap_err();
    assert!(error.to_string().contains("openapi"), "{error}");
}

#[test]
fn a_failed_write_leaves_the_crate_root_as_it_was_and_no_temporary_file() {
    // `zoo.rs` sorts after `lib.rs`: the root must still wait for it.
    let dir = specs_folder("atomic", &["auth.yaml", "zoo.yaml"]);
    let out = dir.with_file_name("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("lib.rs"), "// the previous run's root\n").unwrap();
    // A folder where `zoo.rs` goes: renaming over it fails.
    std::fs::create_dir_all(out.join("zoo.rs").join("in-the-way")).unwrap();
    let error = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .write()
        .unwrap_err();
    assert!(matches!(error, GenerateError::Io { .. }), "{error}");
    assert_eq!(
        std::fs::read_to_string(out.join("lib.rs")).unwrap(),
        "// the previous run's root\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Two runs on one folder with different specs take turns: whichever ends
/// last, its crate root declares exactly the modules on disk.
#[test]
fn concurrent_runs_leave_a_whole_crate() {
    let first = specs_folder("race-a", &["auth.yaml", "audit.yaml", "config.yaml"]);
    let second = specs_folder("race-b", &["billing.yaml"]);
    let out = first.with_file_name("shared-out");
    let run = |dir: PathBuf, out: PathBuf| {
        std::thread::spawn(move || {
            for _ in 0..20 {
                Generator::new(&out)
                    .specs_dir(&dir)
                    .unwrap()
                    .write()
                    .unwrap();
            }
        })
    };
    let runs = [run(first, out.clone()), run(second, out.clone())];
    for handle in runs {
        handle.join().unwrap();
    }
    assert_whole(&out);
    let on_disk = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs") && name != "lib.rs")
        .count();
    assert_eq!(on_disk, declared(&out).len());
}

#[test]
fn wrong_paths_get_messages_that_say_what_to_do() {
    let dir = specs_folder("paths", &["auth.yaml"]);
    let file = dir.with_file_name("not-a-folder.rs");
    std::fs::write(&file, "").unwrap();
    let generator = Generator::new(&file).specs_dir(&dir).unwrap();
    for error in [
        generator.write().unwrap_err(),
        generator.check().unwrap_err(),
    ] {
        assert!(
            error.to_string().contains("is a file; give a folder"),
            "{error}"
        );
    }
    let missing = Generator::new("out")
        .specs_dir(dir.join("nowhere"))
        .unwrap_err();
    assert!(missing.to_string().contains("--specs DIR"), "{missing}");

    let out = dir.with_file_name("out");
    let generator = Generator::new(&out).specs_dir(&dir).unwrap();
    generator.write().unwrap();
    std::fs::write(out.join("auth.rs"), "").unwrap();
    let diff = generator.check().unwrap();
    assert!(diff.contains("auth.rs: empty"), "{diff}");
}

#[test]
fn a_yaml_tab_is_named_as_such() {
    let dir = specs_folder("tab", &[]);
    std::fs::write(
        dir.join("tabbed.yaml"),
        "openapi: 3.1.0\ninfo:\n\ttitle: x\n  version: 1\npaths: {}\n",
    )
    .unwrap();
    let error = Generator::new(dir.with_file_name("out"))
        .specs_dir(&dir)
        .unwrap()
        .render()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("this line holds a tab, and YAML indents with spaces only"),
        "{error}"
    );
}
