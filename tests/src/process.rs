//! An upstream run as a child process (Prism, a FastAPI app under
//! uvicorn): started on 127.0.0.1 with a free port, ready once it accepts
//! connections and has logged its ready line, killed when dropped.
#![allow(clippy::panic, clippy::expect_used)] // Test support: a missing tool is a setup error.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A running upstream process.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// How to start one kind of upstream.
#[derive(Clone, Copy, Debug)]
pub struct Launch<'a> {
    /// A short name for logs and messages, e.g. `prism`.
    pub name: &'a str,
    /// The program.
    pub program: &'a Path,
    /// Its arguments; `{port}` stands for the port it must listen on.
    pub args: &'a [&'a str],
    /// A line the program logs once it serves requests.
    pub ready: &'a str,
    /// What to tell a developer when `program` is missing.
    pub install_hint: &'a str,
}

impl ServerProcess {
    /// Starts `launch` (from the workspace root) and waits until it is
    /// ready. A port another process took between the probe and the
    /// program's bind makes it exit at once: it is tried on other ports.
    ///
    /// # Panics
    ///
    /// When the program is missing (with `install_hint`), or does not get
    /// ready within 60 seconds (with its log).
    pub fn start(launch: Launch<'_>) -> ServerProcess {
        assert!(
            launch.program.exists(),
            "{} is not installed at {}: {}",
            launch.name,
            launch.program.display(),
            launch.install_hint
        );
        let mut last_log = String::new();
        for _ in 0..3 {
            match Self::launch(launch) {
                Ok(server) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("{} did not start:\n{last_log}", launch.name);
    }

    fn launch(launch: Launch<'_>) -> Result<ServerProcess, String> {
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "clientgen-{}-{}-{}-{port}.log",
            launch.name,
            std::process::id(),
            LAUNCHES.fetch_add(1, Ordering::Relaxed)
        ));
        let log_file = std::fs::File::create(&log).expect("log file");
        let args = launch
            .args
            .iter()
            .map(|arg| arg.replace("{port}", &port.to_string()));
        let child = Command::new(launch.program)
            .args(args)
            .current_dir(workspace())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", launch.program.display()));
        let mut server = ServerProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        };
        server.wait_ready(launch.ready, Duration::from_secs(60))?;
        Ok(server)
    }

    fn wait_ready(&mut self, ready: &str, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited early ({status}):\n{}", self.log()));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
                && self.log().contains(ready)
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("not ready within {limit:?}:\n{}", self.log()))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the process printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
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
