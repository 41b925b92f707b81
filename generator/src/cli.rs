//! Command-line options (clap lives here and nowhere else).

use std::path::{Path, PathBuf};

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
    /// What a spec update does to the generated Rust API: breaking,
    /// behavioural and compatible changes, and the semver bump they need.
    Diff(DiffArgs),
}

/// What `diff` compares, and how it reports.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The old spec (a file) or specs (a folder); with `--against`, omitted.
    #[arg(value_name = "OLD", required_unless_present = "against")]
    pub(crate) old: Option<PathBuf>,
    /// The new spec or specs; with `--against`, the working tree's `--specs`.
    #[arg(value_name = "NEW", required_unless_present = "against")]
    pub(crate) new: Option<PathBuf>,
    /// Compare the working tree's specs with those of a git revision.
    #[arg(long, value_name = "REV", conflicts_with_all = ["old", "new"])]
    pub(crate) against: Option<String>,
    /// The specs folder, with `--against`.
    #[arg(long, default_value = "specs", value_name = "DIR")]
    pub(crate) specs: PathBuf,
    /// An OpenAPI Overlay applied to both sides (overlays found next to
    /// each spec apply on their side). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) overlay: Vec<PathBuf>,
    /// Print JSON (for CI) instead of the summary.
    #[arg(long)]
    pub(crate) json: bool,
    /// Exit 1 on a breaking change, unless (with `--against`) the generated
    /// crate's version was bumped as the change needs.
    #[arg(long)]
    pub(crate) deny_breaking: bool,
    /// The generated crate's manifest, whose version `--deny-breaking`
    /// reads at both revisions.
    #[arg(long, default_value = "generated/Cargo.toml", value_name = "FILE")]
    pub(crate) manifest: PathBuf,
}

/// Which specs, and where the code goes.
#[derive(Debug, Args)]
pub(crate) struct Inputs {
    /// Folder of specs (*.yaml, *.yml, *.json; other files there are passed over).
    #[arg(long, default_value = "specs", value_name = "DIR")]
    pub(crate) specs: PathBuf,
    /// Output folder of the generated crate's sources.
    #[arg(long, default_value = "generated/src", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Fail on anything that would be skipped with a warning.
    #[arg(long)]
    pub(crate) strict: bool,
    /// An OpenAPI Overlay to apply to the spec its `extends` names (to every
    /// spec when it names none), after those found next to each spec as
    /// `<spec>.overlay.yaml`. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) overlay: Vec<PathBuf>,
    /// Spec files to regenerate alone: the crate root still declares every
    /// spec of the folder, whose modules are left as they are (or written,
    /// when missing).
    #[arg(value_name = "SPEC")]
    pub(crate) files: Vec<PathBuf>,
}

impl Inputs {
    /// The options that differ from the defaults, as command-line words
    /// (for hints that repeat the command).
    pub(crate) fn as_arguments(&self) -> String {
        let mut words = String::new();
        if self.specs != Path::new("specs") {
            words.push_str(&format!(" --specs {}", self.specs.display()));
        }
        if self.out != Path::new("generated/src") {
            words.push_str(&format!(" --out {}", self.out.display()));
        }
        if self.strict {
            words.push_str(" --strict");
        }
        for overlay in &self.overlay {
            words.push_str(&format!(" --overlay {}", overlay.display()));
        }
        for file in &self.files {
            words.push_str(&format!(" {}", file.display()));
        }
        words
    }
}
