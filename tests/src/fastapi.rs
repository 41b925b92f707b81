//! The FastAPI apps of `tests/fastapi/apps/`, each served by uvicorn from
//! the virtual environment `scripts/test` makes (`tests/fastapi/.venv`).

use std::path::PathBuf;

use crate::process::{Launch, ServerProcess, workspace};

/// A FastAPI app running under uvicorn.
#[derive(Debug)]
pub struct FastApiApp {
    server: ServerProcess,
}

/// The Python of the apps' virtual environment.
pub fn python() -> PathBuf {
    workspace().join("tests/fastapi/.venv/bin/python")
}

impl FastApiApp {
    /// Starts the app of `tests/fastapi/apps/<name>.py`.
    ///
    /// # Panics
    ///
    /// When the virtual environment is missing (with the command that makes
    /// it), or the app does not start within 60 seconds (with its log).
    pub fn start(name: &str) -> FastApiApp {
        let python = python();
        let app = format!("{name}:app");
        let server = ServerProcess::start(Launch {
            name: "uvicorn",
            program: &python,
            args: &[
                "-m",
                "uvicorn",
                &app,
                "--app-dir",
                "tests/fastapi/apps",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
            ],
            ready: "Application startup complete",
            install_hint: "run `scripts/test` (it installs tests/fastapi/requirements.txt into \
                           tests/fastapi/.venv; needs Python 3.11 with venv and pip)",
        });
        FastApiApp { server }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }
}
