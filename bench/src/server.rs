//! The upstream for request benchmarks: hyper on 127.0.0.1, in a process of
//! its own, so that the client process's CPU clock and an instruction
//! counter tracing the client process count the client alone.
//!
//! A benchmark binary starts itself again as its upstream ([`Upstream::spawn`]):
//! the child, told so by [`CHILD_VAR`], prints its URL, answers `accepted`
//! on its standard input with the number of TCP connections it accepted,
//! and exits when its standard input closes, that is when the parent ends.
//! Every benchmark binary calls [`serve_if_child`] first thing in `main`.

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A small JSON GET answer (a `ConfigValue`).
pub const CONFIG_VALUE: &str = r#"{"namespace":"hr","key":"limits.max_days","value":25,"version":7,"updated_at":"2026-11-26T12:00:00Z"}"#;

/// The JSON POST answer (an `AuditEvent`).
pub const AUDIT_EVENT: &str = r#"{"action":"leave.approved","occurred_at":"2026-11-26T12:00:00Z","actor":{"type":"service","service_name":"approvals"},"id":"1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9","recorded_at":"2026-11-26T12:00:02Z"}"#;

/// Set in a child process's environment: serve as the parent's upstream.
pub const CHILD_VAR: &str = "CLIENTGEN_BENCH_UPSTREAM_CHILD";

/// `CLIENTGEN_BENCH_UPSTREAM=http://127.0.0.1:PORT`: an upstream started
/// beforehand (`calls serve`), used instead of a child of the benchmark's.
pub const URL_VAR: &str = "CLIENTGEN_BENCH_UPSTREAM";

/// A benchmark upstream: a child process of ours, or one started beforehand.
#[derive(Debug)]
pub struct Upstream {
    url: String,
    child: Option<Connected>,
}

/// A child upstream and its pipes.
#[derive(Debug)]
struct Connected {
    process: Child,
    /// Closed first on drop, which tells the child to exit.
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Upstream {
    /// The upstream named by [`URL_VAR`], or else a child process of ours.
    pub fn start() -> std::io::Result<Upstream> {
        match std::env::var(URL_VAR) {
            Ok(url) if !url.is_empty() => Ok(Upstream { url, child: None }),
            _ => Upstream::spawn(),
        }
    }

    /// A fresh child process running this executable as an upstream.
    pub fn spawn() -> std::io::Result<Upstream> {
        let mut process = Command::new(std::env::current_exe()?)
            .env(CHILD_VAR, "1")
            .env_remove(URL_VAR)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(input), Some(output)) = (process.stdin.take(), process.stdout.take()) else {
            let _ = process.kill();
            let _ = process.wait();
            return Err(std::io::Error::other("the upstream's pipes are missing"));
        };
        let mut connected = Connected {
            process,
            input: Some(input),
            output: BufReader::new(output),
        };
        let url = connected.line()?;
        if !url.starts_with("http://") {
            return Err(std::io::Error::other(format!(
                "the upstream did not start: {url:?}"
            )));
        }
        Ok(Upstream {
            url,
            child: Some(connected),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// TCP connections accepted so far; `None` for an upstream started
    /// beforehand, or one that does not answer.
    pub fn accepted(&mut self) -> Option<usize> {
        let child = self.child.as_mut()?;
        let input = child.input.as_mut()?;
        writeln!(input, "accepted").ok()?;
        input.flush().ok()?;
        child.line().ok()?.parse().ok()
    }
}

impl Connected {
    /// The child's next line of output, trimmed.
    fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        self.output.read_line(&mut line)?;
        Ok(line.trim().to_owned())
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        // End of input: the child exits.
        drop(self.input.take());
        let _ = self.process.wait();
    }
}

/// Serves as the parent's upstream when this process was started as one
/// ([`CHILD_VAR`]), until the parent closes the pipe; returns whether it
/// did, in which case `main` should return.
pub fn serve_if_child() -> bool {
    if std::env::var_os(CHILD_VAR).is_none() {
        return false;
    }
    if let Err(error) = serve_child() {
        let _ = writeln!(std::io::stdout(), "error: {error}");
    }
    true
}

fn serve_child() -> std::io::Result<()> {
    let (url, accepted) = start_server()?;
    let mut output = std::io::stdout().lock();
    writeln!(output, "{url}")?;
    output.flush()?;
    for line in std::io::stdin().lock().lines() {
        if line?.trim() == "accepted" {
            writeln!(output, "{}", accepted.load(Ordering::Relaxed))?;
            output.flush()?;
        }
    }
    Ok(())
}

/// Serves in this process until it is killed, after printing the URL on
/// standard output: an upstream for `scripts/bench-instructions`, started
/// before the client processes it counts.
pub fn serve_forever() -> std::io::Result<()> {
    let (url, _) = start_server()?;
    let mut output = std::io::stdout().lock();
    writeln!(output, "{url}")?;
    output.flush()?;
    drop(output);
    loop {
        std::thread::park();
    }
}

/// Binds 127.0.0.1 and serves on a thread of its own, pinned to the
/// upstream's CPU when `CLIENTGEN_BENCH_CPUS` names one: the URL and the
/// count of accepted connections.
fn start_server() -> std::io::Result<(String, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::Builder::new()
        .name("bench-upstream".to_owned())
        .spawn(move || {
            if let Some((_, cpu)) = crate::cpu::placement() {
                let _ = crate::cpu::pin_to(cpu);
            }
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    counter.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(
                                TokioIo::new(stream),
                                hyper::service::service_fn(answer),
                            )
                            .await;
                    });
                }
            });
        })?;
    Ok((url, accepted))
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let is_post = request.method() == hyper::Method::POST;
    let _ = request.into_body().collect().await;
    let body = if is_post { AUDIT_EVENT } else { CONFIG_VALUE };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if is_post {
        *response.status_mut() = hyper::StatusCode::CREATED;
    }
    Ok(response)
}
