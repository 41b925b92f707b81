//! Writing generated files only when they change, and diffing stale ones.
//!
//! A run holds a lock on the output folder (`.clientgen.lock` in it) while
//! it writes, so two runs take turns. Each file is written to a temporary
//! file beside it and renamed over it, so a reader (or a crash) never sees
//! half a file; the crate root `lib.rs` is written after every module it
//! declares, and files of an earlier run are removed only after that.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::GenerateError;

/// The crate root, written last.
const ROOT: &str = "lib.rs";

/// The lock file every run holds while it writes.
pub const LOCK_FILE: &str = ".clientgen.lock";

/// What happened to each file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or rewritten.
    pub written: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: Vec<PathBuf>,
    /// Generated files of an earlier run that this run no longer makes.
    pub removed: Vec<PathBuf>,
}

/// Writes `files` (relative path -> content) under `out`, skipping files
/// whose content is already identical, and removes the generated files of
/// an earlier run that `files` no longer holds when `remove_stale`.
pub fn write_files(
    out: &Path,
    files: &BTreeMap<String, String>,
    remove_stale: bool,
) -> Result<WriteReport, GenerateError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| GenerateError::Io { path, source }
    };
    if out.is_file() {
        return Err(GenerateError::OutputIsAFile {
            path: out.to_owned(),
        });
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let lock_path = out.join(LOCK_FILE);
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    // Released when `lock` is dropped, at the end of the run.
    lock.lock().map_err(io(&lock_path))?;
    let mut report = WriteReport::default();
    let modules_first = files
        .iter()
        .filter(|(name, _)| name.as_str() != ROOT)
        .chain(files.get_key_value(ROOT));
    for (name, content) in modules_first {
        let path = out.join(name);
        if std::fs::read(&path).ok().as_deref() == Some(content.as_bytes()) {
            report.unchanged.push(path);
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        write_atomically(&path, content).map_err(io(&path))?;
        report.written.push(path);
    }
    if !remove_stale {
        return Ok(report);
    }
    for stale in stale_generated(out, files) {
        std::fs::remove_file(&stale).map_err(|source| GenerateError::Io {
            path: stale.clone(),
            source,
        })?;
        if let Some(parent) = stale.parent().filter(|p| *p != out) {
            // Only succeeds when the folder is now empty.
            let _ = std::fs::remove_dir(parent);
        }
        report.removed.push(stale);
    }
    Ok(report)
}

/// Writes `content` to a temporary file beside `path`, then renames it over
/// `path`: the file is either the old one or the new one, never half of
/// either.
fn write_atomically(path: &Path, content: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written =
        std::fs::write(&temporary, content).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        // Best effort: the error that matters is the write's.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Files under `out` (one folder deep) that carry clientgen's `@generated`
/// header but are not among `files`: left over from an earlier run.
fn stale_generated(out: &Path, files: &BTreeMap<String, String>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![out.to_owned()];
    let mut depth = 0;
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                if depth == 0 {
                    folders.push(path);
                }
                continue;
            }
            let relative = path
                .strip_prefix(out)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if files.contains_key(&relative) || path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let generated = std::fs::read_to_string(&path)
                .is_ok_and(|text| text.starts_with("// @generated by clientgen"));
            if generated {
                found.push(path);
            }
        }
        depth += 1;
    }
    found.sort();
    found
}

/// A unified diff of every file under `out` that differs from `files`
/// (empty when everything is fresh), including leftover generated files.
pub fn stale_diff(out: &Path, files: &BTreeMap<String, String>) -> String {
    let mut diff = String::new();
    for stale in stale_generated(out, files) {
        diff.push_str(&format!(
            "{}: generated by an earlier run, no longer made\n",
            stale.display()
        ));
    }
    for (name, expected) in files {
        let path = out.join(name);
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if &actual == expected {
            continue;
        }
        let shown = path.display().to_string();
        let text = similar::TextDiff::from_lines(&actual, expected)
            .unified_diff()
            .context_radius(2)
            .header(
                &format!("{shown} (committed)"),
                &format!("{shown} (generated)"),
            )
            .to_string();
        diff.push_str(&text);
        if !path.exists() {
            diff.push_str(&format!("{shown}: missing\n"));
        } else if actual.is_empty() {
            diff.push_str(&format!("{shown}: empty\n"));
        }
    }
    diff
}
