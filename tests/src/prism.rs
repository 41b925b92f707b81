//! Stoplight Prism as an independent mock server: `prism mock --errors` on
//! a spec, on 127.0.0.1 with a free port, stopped when dropped.
//!
//! With `--errors`, Prism answers a request that violates the spec with an
//! error status (422 or 400, with the violations in the body) instead of a
//! mock response, so a generated call that succeeds is one Prism validated.

use std::path::PathBuf;

use crate::process::{Launch, ServerProcess, workspace};

/// A running `prism mock`.
#[derive(Debug)]
pub struct PrismMock {
    server: ServerProcess,
}

/// Where `scripts/test` installs Prism.
pub fn prism_binary() -> PathBuf {
    workspace().join("tests/prism/node_modules/.bin/prism")
}

impl PrismMock {
    /// Starts Prism on `spec` (relative to the workspace root) and waits
    /// until it accepts connections.
    ///
    /// # Panics
    ///
    /// When Prism is not installed (with the command that installs it), or
    /// does not start within 60 seconds (with its log).
    pub fn start(spec: &str) -> PrismMock {
        let binary = prism_binary();
        let server = ServerProcess::start(Launch {
            name: "prism",
            program: &binary,
            args: &["mock", "--errors", "-h", "127.0.0.1", "-p", "{port}", spec],
            ready: "Prism is listening",
            install_hint: "run `scripts/test` (it runs `npm ci --prefix tests/prism`; needs Node.js 20 and npm)",
        });
        PrismMock { server }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// What Prism printed so far.
    pub fn log(&self) -> String {
        self.server.log()
    }
}
