//! The `clientgen` command-line interface.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "clientgen {}: code generation is not available in this build yet",
        clientgen::VERSION
    );
    ExitCode::FAILURE
}
