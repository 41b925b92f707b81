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
    /// A fault (a drop, a refusal) after a delay, on tokio's clock.
    Delayed(Duration, Box<FakeReply>),
}

impl FakeReply {
    /// `status` with a JSON body.
    ///
    /// # Panics
    ///
    /// When `body` cannot be written as JSON (a union's `Unknown` variant,
    /// a map with keys that are not strings): a test's answer that cannot
    /// be sent fails the test, like an assertion.
    pub fn json(status: u16, body: &impl serde::Serialize) -> Self {
        let body = match serde_json::to_vec(body) {
            Ok(body) => body,
            #[allow(
                clippy::panic,
                reason = "a test double fails the test like an assertion"
            )]
            Err(error) => panic!("a fake's answer cannot be written as JSON: {error}"),
        };
        Self::bytes(status, "application/json", body)
    }

    /// `status` with a `text/plain` body.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self::bytes(status, "text/plain; charset=utf-8", body.into())
    }

    /// `status` with a body of `content_type`.
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self::Answer {
            status,
            headers: Headers::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
        .header("content-type", content_type)
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

    /// Answers (or fails) after `delay`, on tokio's clock.
    pub fn after(self, wait: Duration) -> Self {
        match self {
            Self::Answer {
                status,
                headers,
                body,
                delay,
            } => Self::Answer {
                status,
                headers,
                body,
                delay: delay + wait,
            },
            Self::Hang => Self::Hang,
            Self::Delayed(delay, reply) => Self::Delayed(delay + wait, reply),
            fault => Self::Delayed(wait, Box::new(fault)),
        }
    }
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    /// The service the operation belongs to (empty when not known).
    pub service: &'static str,
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

    /// Whether the call went to `operation` of `service` (a route of no
    /// service takes the operation of any).
    fn is_to(&self, service: &str, operation: &str) -> bool {
        self.operation == operation && (service.is_empty() || self.service == service)
    }
}

/// Why a request does not match the spec: the fake fails the test with it.
pub(crate) type MismatchMessage = String;

/// The answer of a request to an operation.
type Handler = Arc<dyn Fn(&RecordedCall) -> Result<FakeReply, MismatchMessage> + Send + Sync>;

/// Checks a request against the operation's spec.
type Check = Arc<dyn Fn(&RecordedCall) -> Result<(), MismatchMessage> + Send + Sync>;

/// What one operation does: its script, then its handler.
#[derive(Default)]
struct Route {
    script: VecDeque<FakeReply>,
    handler: Option<Handler>,
    check: Option<Check>,
}

/// Routes by service (empty: any service) and operation id.
type RouteKey = (&'static str, &'static str);

#[derive(Default)]
struct State {
    routes: BTreeMap<RouteKey, Route>,
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
        self.answer_in(("", operation), move |call| Ok(handler(call)));
        self
    }

    /// Answers the next requests to `operation` with `replies`, in order
    /// (e.g. fail twice with 503, then what the handler says).
    pub fn script(
        &self,
        operation: &'static str,
        replies: impl IntoIterator<Item = FakeReply>,
    ) -> &Self {
        self.script_in(("", operation), replies);
        self
    }

    /// Every request received, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    /// The requests `operation` received, in order.
    pub fn calls_to(&self, operation: &str) -> Vec<RecordedCall> {
        self.calls_in("", operation)
    }

    /// The requests `operation` of `service` received, in order.
    pub(crate) fn calls_in(&self, service: &str, operation: &str) -> Vec<RecordedCall> {
        let state = self.lock();
        state
            .calls
            .iter()
            .filter(|call| call.is_to(service, operation))
            .cloned()
            .collect()
    }

    /// Answers `operation` of `service` with `handler`, which may find
    /// that the request does not match the spec.
    pub(crate) fn answer_in(
        &self,
        key: RouteKey,
        handler: impl Fn(&RecordedCall) -> Result<FakeReply, MismatchMessage> + Send + Sync + 'static,
    ) {
        let handler: Handler = Arc::new(handler);
        self.change_route(key, |route| route.handler = Some(handler));
    }

    /// Scripts the next replies of `operation` of `service`.
    pub(crate) fn script_in(&self, key: RouteKey, replies: impl IntoIterator<Item = FakeReply>) {
        self.change_route(key, |route| route.script.extend(replies));
    }

    #[cfg(feature = "fakes")]
    /// Checks every request to `operation` of `service` that its handler
    /// does not see (scripted, or with no handler) with `check`.
    pub(crate) fn check_in(
        &self,
        key: RouteKey,
        check: impl Fn(&RecordedCall) -> Result<(), MismatchMessage> + Send + Sync + 'static,
    ) {
        let check: Check = Arc::new(check);
        self.change_route(key, |route| route.check = Some(check));
    }

    /// Changes the route of `key`, made when first named.
    fn change_route(&self, key: RouteKey, change: impl FnOnce(&mut Route)) {
        change(self.lock().routes.entry(key).or_default());
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `request` and picks its reply: the service's own route
    /// first, then a route of any service; a script before a handler.
    fn reply(&self, request: HttpRequest) -> Result<FakeReply, MismatchMessage> {
        let call = RecordedCall {
            service: request.service,
            operation: request.operation,
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body.bytes().cloned().unwrap_or_default(),
        };
        let mut state = self.lock();
        state.calls.push(call.clone());
        let keys = [(call.service, call.operation), ("", call.operation)];
        let check = keys
            .iter()
            .find_map(|key| state.routes.get(key)?.check.clone());
        let scripted = keys.iter().find_map(|key| {
            state
                .routes
                .get_mut(key)
                .and_then(|route| route.script.pop_front())
        });
        let handler = keys
            .iter()
            .find_map(|key| state.routes.get(key)?.handler.clone());
        drop(state);
        if let Some(reply) = scripted {
            return check.map_or(Ok(()), |check| check(&call)).map(|()| reply);
        }
        match handler {
            Some(handler) => handler(&call),
            None => {
                check.map_or(Ok(()), |check| check(&call))?;
                Ok(FakeReply::json(
                    501,
                    &serde_json::json!({
                        "error": format!(
                            "the fake upstream has no handler for operation `{}`{}",
                            call.operation,
                            if call.service.is_empty() { String::new() } else { format!(" of service `{}`", call.service) },
                        )
                    }),
                ))
            }
        }
    }
}

impl fmt::Debug for FakeUpstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("FakeUpstream")
            .field("routes", &state.routes.keys().collect::<Vec<_>>())
            .field("calls", &state.calls.len())
            .finish_non_exhaustive()
    }
}

impl Transport for FakeUpstream {
    /// # Panics
    ///
    /// When a typed fake finds that the request does not match the spec
    /// (a required parameter missing, a body its schema refuses): like an
    /// assertion, it fails the test that made the call, with a message
    /// naming the operation and the mismatch.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        let reply = match self.reply(request) {
            Ok(reply) => reply,
            #[allow(
                clippy::panic,
                reason = "a test double fails the test like an assertion"
            )]
            Err(mismatch) => panic!("{mismatch}"),
        };
        Box::pin(async move {
            let mut reply = reply;
            while let FakeReply::Delayed(delay, fault) = reply {
                tokio::time::sleep(delay).await;
                reply = *fault;
            }
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
                // (Delays were waited above.)
                FakeReply::Hang | FakeReply::Delayed(..) => std::future::pending().await,
            }
        })
    }
}
