//! A raw TCP server on 127.0.0.1 that misbehaves on purpose: it reads a
//! request head and then answers with one of [`Fault`]'s broken responses.
#![allow(clippy::expect_used)] // Test support: a setup failure is a bug in the test.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Resets the connection (RST) after reading the request, before any answer.
    ResetBeforeResponse,
    /// Sends the head and part of a `Content-Length` body, then resets.
    ResetMidBody,
    /// Sends a chunked body and closes without the terminating chunk.
    TruncatedChunked,
    /// Answers 200 with an HTML page where JSON is expected.
    WrongContentType,
    /// Answers 200 with JSON that has the wrong shape.
    WrongShape,
    /// Sends the head at once, then a 1,000-byte body one byte every 20 ms
    /// (20 s in all).
    SlowBody,
    /// Sends an event stream's head and a first chunk, then nothing for 10 s.
    StallAfterHead,
    /// A server-sent event stream that resumes: a request without
    /// `Last-Event-ID` gets a comment and event 1 (multi-line data, with
    /// `retry: 50`), then the connection breaks mid-stream; a request with
    /// `Last-Event-ID: 1` gets event 2 and a clean end.
    ResumableEvents,
}

/// A running fault server; stops when dropped.
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl FaultServer {
    /// Starts a server that answers every request with `fault`.
    ///
    /// # Panics
    ///
    /// Panics if `127.0.0.1:0` cannot be bound.
    pub async fn start(fault: Fault) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let counter = Arc::clone(&requests);
        let log = Arc::clone(&heads);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let _ = serve(stream, fault, &counter, &log).await;
                });
            }
        });
        FaultServer {
            addr,
            requests,
            heads,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests whose head arrived.
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The value of header `name` (case-insensitive) in each request head
    /// received, in order; `None` where a request did not carry it.
    pub fn header_values(&self, name: &str) -> Vec<Option<String>> {
        let heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        heads
            .iter()
            .map(|head| {
                head.lines().find_map(|line| {
                    let (field, value) = line.split_once(':')?;
                    field
                        .trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| value.trim().to_owned())
                })
            })
            .collect()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    fault: Fault,
    requests: &AtomicUsize,
    heads: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    loop {
        // Read one request head (and whatever body came with it).
        let mut head = Vec::new();
        let mut buffer = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await?;
            if read == 0 {
                return Ok(());
            }
            head.extend_from_slice(&buffer[..read]);
        }
        requests.fetch_add(1, Ordering::SeqCst);
        heads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(String::from_utf8_lossy(&head).into_owned());
        match fault {
            Fault::ResetBeforeResponse => return reset(stream),
            Fault::ResetMidBody => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"items\": [")
                    .await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
                return reset(stream);
            }
            Fault::TruncatedChunked => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n")
                    .await?;
                stream.flush().await?;
                return Ok(());
            }
            Fault::WrongContentType => {
                let body = "<html><body>Service temporarily moved</body></html>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(answer.as_bytes()).await?;
            }
            Fault::SlowBody => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n")
                    .await?;
                for _ in 0..1000 {
                    stream.write_all(b" ").await?;
                    stream.flush().await?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Fault::StallAfterHead => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n5\r\n: hi\n\r\n")
                    .await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_secs(10)).await;
                return Ok(());
            }
            Fault::ResumableEvents => {
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let events = if head.contains("\r\nlast-event-id: 1\r\n") {
                    "id: 2\ndata: {\"n\": 2}\n\n"
                } else {
                    ": resumable\r\nretry: 50\nid: 1\ndata: {\"n\":\ndata: 1}\n\n"
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{events}\r\n",
                    events.len()
                );
                stream.write_all(answer.as_bytes()).await?;
                stream.flush().await?;
                if events.starts_with(": resumable") {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    return reset(stream);
                }
                stream.write_all(b"0\r\n\r\n").await?;
            }
            Fault::WrongShape => {
                let body = r#"{"unexpected": true}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(answer.as_bytes()).await?;
            }
        }
    }
}

/// Closes with RST instead of FIN. (A zero linger never blocks, which is
/// what tokio's deprecation of `set_linger` warns about.)
#[allow(deprecated)]
fn reset(stream: TcpStream) -> std::io::Result<()> {
    stream.set_linger(Some(Duration::ZERO))?;
    drop(stream);
    Ok(())
}
