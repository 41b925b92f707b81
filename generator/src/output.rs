//! Writing generated files only when they change, and diffing stale ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::GenerateError;

/// What happened to each file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or rewritten.
    pub written: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: Vec<PathBuf>,
}

/// Writes `files` (relative path -> content) under `out`, skipping files
/// whose content is already identical.
pub fn write_files(
    out: &Path,
    files: &BTreeMap<String, String>,
) -> Result<WriteReport, GenerateError> {
    std::fs::create_dir_all(out).map_err(|source| GenerateError::Io {
        path: out.to_owned(),
        source,
    })?;
    let mut report = WriteReport::default();
    for (name, content) in files {
        let path = out.join(name);
        if std::fs::read(&path).ok().as_deref() == Some(content.as_bytes()) {
            report.unchanged.push(path);
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| GenerateError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, content).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        report.written.push(path);
    }
    Ok(report)
}

/// A unified diff of every file under `out` that differs from `files`
/// (empty when everything is fresh).
pub fn stale_diff(out: &Path, files: &BTreeMap<String, String>) -> String {
    let mut diff = String::new();
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
        if actual.is_empty() {
            diff.push_str(&format!("{shown}: missing\n"));
        }
    }
    diff
}
