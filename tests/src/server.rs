//! A real HTTP/1.1 server on `127.0.0.1` with an ephemeral port, for integration tests.
//!
//! Start a [`TestServer`] with a handler closure ([`TestServer::start`]) or a fixed
//! script of replies ([`TestServer::scripted`]), point the client under test at
//! [`TestServer::url`], then assert on what the server saw through
//! [`TestServer::requests`], [`TestServer::request_count`] and
//! [`TestServer::accepted_connections`].
//!
//! The server stops when [`TestServer::shutdown`] is awaited or when the handle is
//! dropped; both close the listening socket and every open connection.
//!
//! ```
//! use clientgen_tests::server::{Reply, TestServer};
//!
//! # #[tokio::main]
//! # async fn main() {
//! let server = TestServer::start(|request| {
//!     if request.path == "/health" {
//!         Reply::json(200, serde_json::json!({ "ok": true }))
//!     } else {
//!         Reply::status(404)
//!     }
//! })
//! .await;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! // ... drive the client under test against `server.url()` ...
//! assert_eq!(server.request_count(), 0);
//! server.shutdown().await;
//! # }
//! ```

// Test support: misuse (an invalid status code or header, a body that is not JSON,
// no free port) is reported by panicking with a descriptive message.
#![allow(clippy::expect_used, clippy::panic)]

use std::any::Any;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// Size of one chunk of a [`Reply::streamed`] body.
const STREAM_CHUNK_LEN: usize = 64 * 1024;

/// The bytes every [`Reply::streamed`] chunk is sliced from; shared, never copied.
static STREAM_CHUNK: [u8; STREAM_CHUNK_LEN] = [b'x'; STREAM_CHUNK_LEN];

/// How many body bytes a panic message about a non-JSON body shows at most.
const BODY_PREVIEW_LEN: usize = 512;

/// Internal handler shape: receives the request's 0-based arrival index.
type Handler = dyn Fn(usize, &RecordedRequest) -> Reply + Send + Sync;

/// State shared between the [`TestServer`] handle, the accept loop and every connection.
struct Shared {
    handler: Box<Handler>,
    accepted: AtomicUsize,
    requests_seen: AtomicUsize,
    /// Fully received requests keyed by arrival index, so snapshots come out in arrival order.
    recorded: Mutex<BTreeMap<usize, RecordedRequest>>,
    streamed_bytes: AtomicU64,
}

/// A running HTTP/1.1 test server bound to `127.0.0.1` on an ephemeral port.
///
/// Every accepted TCP connection is served on its own task with keep-alive
/// enabled. Dropping the handle stops the server (the accept loop and all of its
/// connections are aborted); [`TestServer::shutdown`] does the same and waits
/// until everything is closed.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server whose every request is answered by `handler`.
    ///
    /// The handler runs after the whole request body has been received and the
    /// request has been recorded. If it panics, the client receives a
    /// `500 Internal Server Error` whose text body carries the panic message.
    ///
    /// # Panics
    ///
    /// Panics if no tokio runtime is running or `127.0.0.1:0` cannot be bound.
    pub async fn start<F>(handler: F) -> TestServer
    where
        F: Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    {
        Self::launch(Box::new(move |_index, request| handler(request))).await
    }

    /// Starts a server that answers from a script: the n-th request gets the n-th reply, and the last reply repeats.
    ///
    /// Requests are numbered in the order their heads arrive (the same order as
    /// [`TestServer::requests`]), across all connections.
    ///
    /// # Panics
    ///
    /// Panics if `replies` is empty, if no tokio runtime is running, or if
    /// `127.0.0.1:0` cannot be bound.
    pub async fn scripted(replies: Vec<Reply>) -> TestServer {
        assert!(
            !replies.is_empty(),
            "TestServer::scripted needs at least one reply"
        );
        Self::launch(Box::new(move |index, _request| {
            replies
                .get(index)
                .or(replies.last())
                .cloned()
                .expect("the script is never empty")
        }))
        .await
    }

    /// Starts a server like [`start`](Self::start) on a listener the test
    /// bound itself (e.g. to bring an upstream back on a known port).
    ///
    /// # Panics
    ///
    /// Panics if no tokio runtime is running or the listener has no address.
    pub async fn from_listener<F>(listener: TcpListener, handler: F) -> TestServer
    where
        F: Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    {
        Self::serve(listener, Box::new(move |_index, request| handler(request)))
    }

    async fn launch(handler: Box<Handler>) -> TestServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|error| panic!("TestServer: cannot bind 127.0.0.1:0: {error}"));
        Self::serve(listener, handler)
    }

    fn serve(listener: TcpListener, handler: Box<Handler>) -> TestServer {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("TestServer: cannot read the bound address: {error}"));
        let shared = Arc::new(Shared {
            handler,
            accepted: AtomicUsize::new(0),
            requests_seen: AtomicUsize::new(0),
            recorded: Mutex::new(BTreeMap::new()),
            streamed_bytes: AtomicU64::new(0),
        });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), shutdown_rx));
        TestServer {
            addr,
            shared,
            shutdown_tx,
            task: Some(task),
        }
    }

    /// The address the server listens on (always `127.0.0.1` with an ephemeral port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the server, `"http://127.0.0.1:PORT"`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Number of TCP connections accepted so far.
    pub fn accepted_connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Number of requests received so far (counted when the request head arrives, before the handler runs).
    ///
    /// This can be larger than `requests().len()` while a request body is still
    /// arriving, or if the client went away before sending the whole body.
    pub fn request_count(&self) -> usize {
        self.shared.requests_seen.load(Ordering::SeqCst)
    }

    /// Snapshot of every request received, in arrival order.
    ///
    /// A request appears here once its whole body has been received, just before
    /// the handler is called.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Total bytes written by `Reply::streamed` bodies so far (to prove a client stopped reading early).
    ///
    /// A chunk is counted when it is handed to the connection for writing, so the
    /// figure can exceed what the client actually read by what sits in buffers
    /// (hyper's write buffer of a few hundred KiB plus the kernel's socket
    /// buffers, often a few MiB on loopback). Use a streamed length far beyond
    /// that when asserting that a client stopped early.
    pub fn streamed_bytes(&self) -> u64 {
        self.shared.streamed_bytes.load(Ordering::SeqCst)
    }

    /// Stops the server and waits until the listener and every connection are closed.
    ///
    /// Requests still in flight are abandoned; their clients see the connection close.
    pub async fn shutdown(mut self) {
        // An error only means the accept loop has already gone.
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.task.take() {
            // The accept loop never panics, and nothing else cancels it.
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.task.take() {
            // Aborting drops the listener and the set of connection tasks, which aborts them too.
            task.abort();
        }
    }
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("accepted_connections", &self.accepted_connections())
            .field("request_count", &self.request_count())
            .finish_non_exhaustive()
    }
}

/// Accepts connections until shutdown is signalled (or the sender is gone), then
/// closes the listener and aborts every connection task.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let index = shared.accepted.fetch_add(1, Ordering::SeqCst);
                    connections.spawn(serve_connection(stream, index, Arc::clone(&shared)));
                }
                // Transient accept errors (e.g. too many open files): back off briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serves one TCP connection with HTTP/1.1 keep-alive until the client closes it.
async fn serve_connection(stream: TcpStream, connection: usize, shared: Arc<Shared>) {
    // Only a latency optimisation; failure is harmless.
    let _ = stream.set_nodelay(true);
    let service =
        service_fn(move |request| serve_request(Arc::clone(&shared), connection, request));
    // Errors here are client-side aborts and protocol errors; the test observes them from the client.
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Counts, records and answers one request.
async fn serve_request(
    shared: Arc<Shared>,
    connection: usize,
    request: Request<Incoming>,
) -> Result<Response<ReplyBody>, hyper::Error> {
    let index = shared.requests_seen.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        connection,
    };
    shared
        .recorded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(index, recorded.clone());

    let reply = catch_unwind(AssertUnwindSafe(|| (shared.handler)(index, &recorded)))
        .unwrap_or_else(|payload| {
            Reply::text(
                500,
                format!(
                    "TestServer handler panicked: {}",
                    panic_message(payload.as_ref())
                ),
            )
        });
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    Ok(reply.into_response(&shared))
}

/// Extracts the text of a panic payload, if it has one.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "<non-string panic payload>"
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Request method, e.g. `"GET"`.
    pub method: String,
    /// Raw path as sent on the wire, percent-encoding preserved (e.g. "/users/a%2Fb").
    pub path: String,
    /// Raw query string without '?', if any.
    pub query: Option<String>,
    /// Header names lowercased, values as strings (lossy); keep order, allow duplicates.
    ///
    /// Names appear in the order they were first seen; repeated values of one
    /// name are listed together, in the order they were sent.
    pub headers: Vec<(String, String)>,
    /// The complete request body (empty if there was none).
    pub body: Bytes,
    /// 0-based index of the TCP connection this request arrived on (order of accept).
    pub connection: usize,
}

impl RecordedRequest {
    /// Value of the first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// Panics, showing the request line and the start of the body, if the body is not valid JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            let shown = &self.body[..self.body.len().min(BODY_PREVIEW_LEN)];
            let ellipsis = if self.body.len() > BODY_PREVIEW_LEN {
                "..."
            } else {
                ""
            };
            panic!(
                "body of {} {} is not valid JSON ({error}); {} bytes received: {:?}{ellipsis}",
                self.method,
                self.path,
                self.body.len(),
                String::from_utf8_lossy(shown),
            )
        })
    }

    /// Query pairs percent-decoded (decode '+' as '+', not space; decode %XX as UTF-8 bytes), in order.
    ///
    /// The raw query is split on `&` (empty pieces are skipped), then each piece
    /// on its first `=`; a piece without `=` yields an empty value. Invalid UTF-8
    /// after decoding is replaced lossily; a `%` not followed by two hex digits is kept as is.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let Some(query) = self.query.as_deref() else {
            return Vec::new();
        };
        query
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| {
                let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
                (percent_decode(name), percent_decode(value))
            })
            .collect()
    }

    /// Path segments percent-decoded (split on '/' of the raw path first, then decode each), skipping the leading empty one.
    ///
    /// So `"/users/a%2Fb"` gives `["users", "a/b"]`, a trailing slash gives a
    /// trailing empty segment, and `"/"` gives `[""]`.
    pub fn path_segments(&self) -> Vec<String> {
        self.path
            .strip_prefix('/')
            .unwrap_or(&self.path)
            .split('/')
            .map(percent_decode)
            .collect()
    }
}

/// Decodes `%XX` escapes into bytes and reads the result as UTF-8 (lossily).
/// `+` is left alone and malformed escapes are kept verbatim.
fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let high = bytes.get(i + 1).and_then(hex_digit);
            let low = bytes.get(i + 2).and_then(hex_digit);
            if let (Some(high), Some(low)) = (high, low) {
                decoded.push((high << 4) | low);
                i += 3;
                continue;
            }
        }
        decoded.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The value of one ASCII hex digit.
fn hex_digit(byte: &u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// What the server answers to one request.
///
/// Built with [`Reply::status`], [`Reply::json`], [`Reply::text`] or
/// [`Reply::streamed`], then refined with [`Reply::header`],
/// [`Reply::body_bytes`] and [`Reply::delay`].
#[derive(Clone, Debug)]
pub struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Sent unless a `content-type` header was added explicitly.
    default_content_type: Option<&'static str>,
    content: ReplyContent,
    delay: Option<Duration>,
}

/// The body a [`Reply`] will send.
#[derive(Clone, Debug)]
enum ReplyContent {
    Full(Bytes),
    Streamed(u64),
}

impl Reply {
    /// A reply with status `code` and an empty body.
    ///
    /// # Panics
    ///
    /// Panics if `code` is not a valid HTTP status code (100..=999).
    pub fn status(code: u16) -> Reply {
        let status = StatusCode::from_u16(code)
            .unwrap_or_else(|_| panic!("Reply: {code} is not a valid HTTP status code"));
        Reply {
            status,
            headers: Vec::new(),
            default_content_type: None,
            content: ReplyContent::Full(Bytes::new()),
            delay: None,
        }
    }

    /// A reply with status `code` and `body` serialised as JSON, with `content-type: application/json`.
    ///
    /// # Panics
    ///
    /// Panics if `code` is not a valid HTTP status code.
    pub fn json(code: u16, body: serde_json::Value) -> Reply {
        let mut reply = Reply::status(code).body_bytes(body.to_string());
        reply.default_content_type = Some("application/json");
        reply
    }

    /// A reply with status `code` and a text body, with `content-type: text/plain; charset=utf-8`.
    ///
    /// # Panics
    ///
    /// Panics if `code` is not a valid HTTP status code.
    pub fn text(code: u16, body: impl Into<String>) -> Reply {
        let mut reply = Reply::status(code).body_bytes(body.into());
        reply.default_content_type = Some("text/plain; charset=utf-8");
        reply
    }

    /// Adds a response header. Repeating a name sends it several times; a
    /// `content-type` given here replaces the default one of [`Reply::json`] or [`Reply::text`].
    ///
    /// # Panics
    ///
    /// Panics if `name` is not a valid header name or `value` is not a valid header value.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("Reply::header: {name:?} is not a valid header name"));
        let header_value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| {
            panic!("Reply::header: {value:?} is not a valid value for header {name:?}")
        });
        self.headers.push((header_name, header_value));
        self
    }

    /// Replaces the body (also the body of a [`Reply::streamed`] reply); headers are kept.
    pub fn body_bytes(mut self, body: impl Into<Bytes>) -> Reply {
        self.content = ReplyContent::Full(body.into());
        self
    }

    /// Waits this long before sending the response head (for timeout tests).
    ///
    /// The request is already counted and recorded while the server waits.
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = Some(d);
        self
    }

    /// Sends a response with `Content-Length: len` streamed as `len` bytes of b'x' in 64 KiB chunks, never materialised in memory at once (for body-size-limit tests); records how many bytes were actually written before the client went away, see [`TestServer::streamed_bytes`].
    ///
    /// # Panics
    ///
    /// Panics if `code` is not a valid HTTP status code.
    pub fn streamed(code: u16, len: u64) -> Reply {
        let mut reply = Reply::status(code);
        reply.content = ReplyContent::Streamed(len);
        reply
    }

    /// Turns the reply into a response; `shared` receives the streamed-byte count.
    fn into_response(self, shared: &Arc<Shared>) -> Response<ReplyBody> {
        let body = match self.content {
            ReplyContent::Full(bytes) => ReplyBody::Full(Some(bytes)),
            ReplyContent::Streamed(len) => ReplyBody::Streamed {
                remaining: len,
                shared: Arc::clone(shared),
            },
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        let has_own_content_type = self.headers.iter().any(|(name, _)| name == CONTENT_TYPE);
        if let Some(content_type) = self.default_content_type.filter(|_| !has_own_content_type) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

/// Response body: either one in-memory frame, or `x` bytes produced lazily in chunks.
///
/// Both report an exact size, so hyper sends `Content-Length` rather than chunked encoding.
enum ReplyBody {
    Full(Option<Bytes>),
    Streamed { remaining: u64, shared: Arc<Shared> },
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ReplyBody::Full(bytes) => Poll::Ready(
                bytes
                    .take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            ReplyBody::Streamed { remaining, shared } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let chunk_len = (*remaining).min(STREAM_CHUNK_LEN as u64);
                *remaining -= chunk_len;
                shared.streamed_bytes.fetch_add(chunk_len, Ordering::SeqCst);
                let chunk = Bytes::from_static(&STREAM_CHUNK[..chunk_len as usize]);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReplyBody::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            ReplyBody::Streamed { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            ReplyBody::Streamed { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bind an ephemeral listener, read its port, drop it), for connection-refused tests.
///
/// Another process could in principle grab the port between this call and its
/// use; in practice the kernel does not hand the same ephemeral port out again soon.
///
/// # Panics
///
/// Panics if `127.0.0.1:0` cannot be bound.
pub async fn unused_local_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap_or_else(|error| panic!("unused_local_port: cannot bind 127.0.0.1:0: {error}"));
    listener
        .local_addr()
        .unwrap_or_else(|error| panic!("unused_local_port: cannot read the bound address: {error}"))
        .port()
}
