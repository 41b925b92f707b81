//! The runtime's imports run one way: its leaf modules import nothing of
//! the crate, and its layers (retry, the breaker, the transport) never
//! reach into the call path or the session that drives them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn source(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/src")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The `.rs` files of a runtime folder.
fn files_of(folder: &str) -> Vec<String> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/src")
        .join(folder);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .map(|name| format!("{folder}/{name}"))
        .collect();
    files.sort();
    files
}

#[test]
fn leaf_modules_import_nothing_of_the_crate() {
    for leaf in [
        "links.rs",
        "encoding.rs",
        "window.rs",
        "secret.rs",
        "data.rs",
        "sse.rs",
    ] {
        assert!(
            !source(leaf).contains("crate::"),
            "{leaf} is a leaf: it must not import the crate's other modules"
        );
    }
}

#[test]
fn layers_do_not_reach_into_the_call_path() {
    let mut layers = vec!["breaker.rs".to_owned(), "window.rs".to_owned()];
    layers.extend(files_of("retry"));
    layers.extend(files_of("transport"));
    assert!(layers.len() > 8, "{layers:?}");
    for layer in layers {
        let text = source(&layer);
        for upward in [
            "crate::call",
            "crate::session",
            "crate::config",
            "crate::request::",
        ] {
            assert!(
                !text.contains(upward),
                "{layer} imports {upward}: layers sit below the call path"
            );
        }
    }
}
