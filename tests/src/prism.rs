//! Stoplight Prism as an independent mock server: `prism mock --errors` on
//! a spec, on 127.0.0.1 with a free port, stopped when dropped.
//!
//! With `--errors`, Prism answers a request that violates the spec with an
//! error status (422 or 400, with the violations in the body) instead of a
//! mock response, so a generated call that succeeds is one Prism validated.
#![allow(clippy::panic, clippy::expect_used)] // Test support: a missing tool is a setup error.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A running `prism mock`.
#[derive(Debug)]
pub struct PrismMock {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// Where `scripts/test` installs Prism.
pub fn prism_binary() -> PathBuf {
    workspace().join("tests/prism/node_modules/.bin/prism")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
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
        assert!(
            binary.exists(),
            "Prism is not installed at {}: run `scripts/test` (it runs `npm ci --prefix tests/prism`; needs Node.js 20 and npm)",
            binary.display()
        );
        // A port another process took between our probe and Prism's bind
        // makes Prism exit at once: try again on another port.
        let mut last_log = String::new();
        for _ in 0..3 {
            match Self::launch(&binary, spec) {
                Ok(mock) => return mock,
                Err(log) => last_log = log,
            }
        }
        panic!("prism did not start on {spec}:\n{last_log}");
    }

    fn launch(binary: &Path, spec: &str) -> Result<PrismMock, String> {
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "clientgen-prism-{}-{}-{port}.log",
            std::process::id(),
            LAUNCHES.fetch_add(1, Ordering::Relaxed)
        ));
        let log_file = std::fs::File::create(&log).expect("prism log file");
        let child = Command::new(binary)
            .args(["mock", "--errors", "-h", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .arg(workspace().join(spec))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        let mut mock = PrismMock {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        };
        mock.wait_ready(Duration::from_secs(60))?;
        Ok(mock)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("prism exited early ({status}):\n{}", self.log()));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
                && self.log().contains("Prism is listening")
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "prism did not start within {limit:?}:\n{}",
            self.log()
        ))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What Prism printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PrismMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Launches so far, to name log files uniquely.
static LAUNCHES: AtomicUsize = AtomicUsize::new(0);

/// A port on 127.0.0.1 that was free a moment ago and that this process
/// has not handed out before (parallel tests must not share one).
fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port on 127.0.0.1");
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if given.insert(port) {
            return port;
        }
    }
}
