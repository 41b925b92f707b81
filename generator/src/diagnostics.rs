//! Precise messages about a spec: file, JSON pointer, what, and what to do.

use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The spec cannot be generated.
    Error,
    /// Generated, but something was skipped or approximated.
    Warning,
}

/// One finding about a spec.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// The spec file.
    pub file: String,
    /// JSON pointer to the offending value, e.g. `#/paths/~1users~1{id}/get`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl Diagnostic {
    /// An error at `pointer`.
    pub fn error(pointer: &str, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: String::new(),
            pointer: pointer.to_owned(),
            message: message.into(),
            help: help.into(),
        }
    }

    /// A warning at `pointer`.
    pub fn warning(pointer: &str, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(pointer, message, help)
        }
    }

    /// The same diagnostic, naming `file`.
    pub fn in_file(mut self, file: &str) -> Self {
        file.clone_into(&mut self.file);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: {}\n  --> {} at {}\n  help: {}",
            self.message, self.file, self.pointer, self.help
        )
    }
}

/// Escapes one JSON pointer token (`~` -> `~0`, `/` -> `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `pointer` extended by `token`.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}
