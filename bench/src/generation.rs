//! Generation: clientgen vs progenitor 0.15.1 used as a library, each from
//! the spec file to formatted Rust source.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::{Duration, Instant};

/// The tools compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// This project.
    Clientgen,
    /// progenitor 0.15.1.
    Progenitor,
}

impl Tool {
    /// The tool's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Clientgen => "clientgen",
            Self::Progenitor => "progenitor",
        }
    }
}

/// Generates `spec` with `tool`; the wall time, the number of output lines,
/// or why it failed (a panic included).
pub fn generate(tool: Tool, spec: &Path) -> Result<(Duration, usize), String> {
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match tool {
        Tool::Clientgen => clientgen(spec),
        Tool::Progenitor => progenitor(spec),
    }));
    let elapsed = started.elapsed();
    match outcome {
        Ok(Ok(lines)) => Ok((elapsed, lines)),
        Ok(Err(error)) => Err(error),
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
                .lines()
                .next()
                .unwrap_or_default()
        )),
    }
}

fn clientgen(spec: &Path) -> Result<usize, String> {
    let rendered = clientgen::Generator::new("unused")
        .spec(spec)
        .render()
        .map_err(|error| error.to_string())?;
    Ok(rendered
        .files
        .values()
        .map(|file| file.lines().count())
        .sum())
}

fn progenitor(spec: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(spec).map_err(|error| error.to_string())?;
    let document: openapiv3::OpenAPI =
        serde_json::from_str(&text).map_err(|error| format!("openapiv3: {error}"))?;
    let mut generator =
        progenitor_impl::Generator::new(&progenitor_impl::GenerationSettings::default());
    let tokens = generator
        .generate_tokens(&document)
        .map_err(|error| format!("progenitor: {error}"))?;
    let file: syn::File = syn::parse2(tokens).map_err(|error| error.to_string())?;
    Ok(prettyplease::unparse(&file).lines().count())
}
