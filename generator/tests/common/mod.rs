//! Helpers shared by the generator's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generator/ has a parent")
        .to_owned()
}

/// A fresh, empty scratch folder under the target directory.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = workspace()
        .join("target")
        .join("clientgen-test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs `f` with the working directory at the workspace root, so spec paths
/// are the same relative paths the CLI sees.
pub(crate) fn in_workspace<T>(f: impl FnOnce() -> T) -> T {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let previous = std::env::current_dir().expect("cwd");
    std::env::set_current_dir(workspace()).expect("cd workspace");
    let result = f();
    std::env::set_current_dir(previous).expect("cd back");
    result
}
