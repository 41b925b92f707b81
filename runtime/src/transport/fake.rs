//! An upstream in memory, for tests of code that calls the clients: each
//! operation answers from its script, then its handler; every request is
//! recorded. It is a [`Transport`], so the whole call path (retries,
//! breaker, budget, deadlines, link resolution, error mapping) runs as in
//! production; only the socket is gone. Delays use tokio's clock, so a test
//! on a paused clock runs at once.
//!
//! ```
//! use clientgen_runtime::codegen::{Method, Operation, Request};
//! use clientgen_runtime::transport::{FakeReply, FakeUpstream};
//! use clientgen_runtime::{RuntimeConfig, Session};
//!
//! static GET_USER: Operation = Operation::new("getUser", Method::Get, "/users/{id}");
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let upstream = FakeUpstream::new();
//! upstream
//!     .script("getUser", [FakeReply::status(503)])
//!     .on("getUser", |call| FakeReply::json(200, &serde_json::json!({"id": call.path()})));
//! let config = RuntimeConfig::builder().service_url("auth", "http://auth.test").build()?;
//! let auth = Session::with_transport(config, upstream.clone()).service("auth")?;
//! let user = auth.execute(Request::new(&GET_USER).path_param("id", 7)).await?;
//! assert_eq!(user.attempts(), 2, "the 503 was retried");
//! assert_eq!(upstream.calls_to("getUser").len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;

use super::{
    Headers, HttpRequest, HttpResponse, Method, ResponseBody, Transport, TransportError,
    TransportErrorKind, TransportFuture,
};

/// What a fake operation does with one request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FakeReply {
    /// Answers with a status, headers and a body, after `delay`.
    Answer {
        /// The status.
        status: u16,
        /// The headers.
        headers: Headers,
        /// The body.
        body: Bytes,
        /// How long to wait first (on tokio's clock).
        delay: Duration,
    },
    /// Drops the connection before answering.
    Drop,
    /// Never answers (the call's timeouts end it).
    Hang,
    /// Refuses the connection (nothing was sent).
    Refuse,
}

impl FakeReply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: &impl serde::Serialize) -> Self {
        let mut headers = Headers::new();
        // A static, valid header.
        let _ = headers.insert("content-type", "application/json");
        Self::Answer {
            status,
            headers,
            body: serde_json::to_vec(body)
                .map(Bytes::from)
                .unwrap_or_default(),
            delay: Duration::ZERO,
        }
    }

    /// `status` without a body.
    pub fn status(status: u16) -> Self {
        Self::Answer {
            status,
            headers: Headers::new(),
            body: Bytes::new(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a header to an answer (an invalid one is left out).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Answer { headers, .. } = &mut self {
            let _ = headers.append(name, value);
        }
        self
    }

    /// Answers after `delay`, on tokio's clock.
    pub fn after(mut self, wait: Duration) -> Self {
        if let Self::Answer { delay, .. } = &mut self {
            *delay = wait;
        }
        self
    }
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    /// The operation id.
    pub operation: &'static str,
    /// The method.
    pub method: Method,
    /// The URL, query included.
    pub url: url::Url,
    /// The headers (credentials and idempotency keys included).
    pub headers: Headers,
    /// The body (empty for none or a streamed one).
    pub body: Bytes,
}

impl RecordedCall {
    /// The URL's path.
    pub fn path(&self) -> &str {
        self.url.path()
    }

    /// The first value of the query parameter `name`, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// A header's first value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body decoded from JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// The answer of a request to an operation.
type Handler = Arc<dyn Fn(&RecordedCall) -> FakeReply + Send + Sync>;

#[derive(Default)]
struct State {
    scripts: BTreeMap<&'static str, VecDeque<FakeReply>>,
    handlers: BTreeMap<&'static str, Handler>,
    calls: Vec<RecordedCall>,
}

/// An upstream in memory; clones share one state (keep one to look at
/// the calls, give the session another).
#[derive(Clone, Default)]
pub struct FakeUpstream {
    state: Arc<Mutex<State>>,
}

impl FakeUpstream {
    /// An upstream where no operation answers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `operation` with `handler` (once its script is used up).
    pub fn on(
        &self,
        operation: &'static str,
        handler: impl Fn(&RecordedCall) -> FakeReply + Send + Sync + 'static,
    ) -> &Self {
        self.lock().handlers.insert(operation, Arc::new(handler));
        self
    }

    /// Answers the next requests to `operation` with `replies`, in order
    /// (e.g. fail twice with 503, then what the handler says).
    pub fn script(
        &self,
        operation: &'static str,
        replies: impl IntoIterator<Item = FakeReply>,
    ) -> &Self {
        self.lock()
            .scripts
            .entry(operation)
            .or_default()
            .extend(replies);
        self
    }

    /// Every request received, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    /// The requests `operation` received, in order.
    pub fn calls_to(&self, operation: &str) -> Vec<RecordedCall> {
        let state = self.lock();
        state
            .calls
            .iter()
            .filter(|call| call.operation == operation)
            .cloned()
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `request` and picks its reply.
    fn reply(&self, request: HttpRequest) -> FakeReply {
        let call = RecordedCall {
            operation: request.operation,
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body.bytes().cloned().unwrap_or_default(),
        };
        let mut state = self.lock();
        state.calls.push(call.clone());
        if let Some(reply) = state
            .scripts
            .get_mut(call.operation)
            .and_then(VecDeque::pop_front)
        {
            return reply;
        }
        match state.handlers.get(call.operation).cloned() {
            Some(handler) => {
                drop(state);
                handler(&call)
            }
            None => FakeReply::json(
                501,
                &serde_json::json!({
                    "error": format!("the fake upstream has no handler for operation `{}`", call.operation)
                }),
            ),
        }
    }
}

impl fmt::Debug for FakeUpstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("FakeUpstream")
            .field("handlers", &state.handlers.keys().collect::<Vec<_>>())
            .field("calls", &state.calls.len())
            .finish_non_exhaustive()
    }
}

impl Transport for FakeUpstream {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        let reply = self.reply(request);
        Box::pin(async move {
            match reply {
                FakeReply::Answer {
                    status,
                    headers,
                    body,
                    delay,
                } => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Ok(HttpResponse::new(
                        status,
                        headers,
                        ResponseBody::from_bytes(body),
                    ))
                }
                FakeReply::Drop => Err(TransportError::of_kind(TransportErrorKind::Broken)),
                FakeReply::Refuse => Err(TransportError::of_kind(TransportErrorKind::Connect)),
                FakeReply::Hang => std::future::pending().await,
            }
        })
    }
}
