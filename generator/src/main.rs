//! The `clientgen` command-line interface.

mod cli;
mod diff_command;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use clientgen::Generator;

use cli::{Cli, Command, Inputs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)] // The diff of `check` is the command's output.
fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Generate(inputs) => {
            let summary = generator(&inputs)?.write()?;
            for warning in &summary.warnings {
                eprintln!("{warning}\n");
            }
            eprintln!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(inputs) => {
            let generator = generator(&inputs)?;
            let diff = generator.check()?;
            if diff.is_empty() {
                eprintln!("clientgen: {} is up to date", generator.out().display());
                Ok(ExitCode::SUCCESS)
            } else {
                print!("{diff}");
                eprintln!(
                    "clientgen: {} is stale; run `cargo run -p clientgen -- generate{}`",
                    generator.out().display(),
                    inputs.as_arguments()
                );
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Diff(args) => diff_command::run(&args),
    }
}

/// The generator `inputs` describe. Given spec files are regenerated
/// alone, beside the other specs of the specs folder, which the crate root
/// still declares.
fn generator(inputs: &Inputs) -> anyhow::Result<Generator> {
    let generator = inputs.overlay.iter().fold(
        Generator::new(&inputs.out).strict(inputs.strict),
        |generator, overlay| generator.overlay(overlay),
    );
    if inputs.files.is_empty() {
        return generator
            .specs_dir(&inputs.specs)
            .with_context(|| format!("reading specs from {}", inputs.specs.display()));
    }
    let generator = if inputs.specs.is_dir() {
        generator
            .specs_dir(&inputs.specs)
            .with_context(|| format!("reading specs from {}", inputs.specs.display()))?
    } else {
        generator
    };
    Ok(generator.only(&inputs.files))
}
