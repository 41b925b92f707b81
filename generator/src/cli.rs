//! Command-line options (clap lives here and nowhere else).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Typed, resilient Rust clients from OpenAPI 3.0/3.1 specs.
#[derive(Debug, Parser)]
#[command(name = "clientgen", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate `lib.rs` and one module per spec into the output folder.
    Generate(Inputs),
    /// Exit 1 with a diff when the output folder is stale, 0 when fresh.
    Check(Inputs),
}

/// Which specs, and where the code goes.
#[derive(Debug, Args)]
pub(crate) struct Inputs {
    /// Folder of specs (*.yaml, *.yml, *.json); used when no SPEC is given.
    #[arg(long, default_value = "specs", value_name = "DIR")]
    pub(crate) specs: PathBuf,
    /// Output folder of the generated crate's sources.
    #[arg(long, default_value = "generated/src", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Fail on anything that would be skipped with a warning.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Spec files to generate instead of the whole folder.
    #[arg(value_name = "SPEC")]
    pub(crate) files: Vec<PathBuf>,
}
