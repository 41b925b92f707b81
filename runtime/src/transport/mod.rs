//! The transport seam: how one attempt's request reaches an upstream.
//!
//! The call path hands a [`HttpRequest`] to a [`Transport`] and gets back an
//! [`HttpResponse`] (its body still to be read) or a [`TransportError`].
//! Everything else (retries, the breaker, timeouts, the body limit, error
//! mapping) happens around it, so a transport only moves bytes. The default
//! is [`ReqwestTransport`], the pooled HTTP client; tests and custom stacks
//! plug in their own with [`Session::with_transport`](crate::Session::with_transport).
//!
//! ```
//! use clientgen_runtime::transport::{HttpRequest, HttpResponse, Transport, TransportFuture};
//! use clientgen_runtime::{Headers, ResponseBody};
//!
//! /// Answers every request with `204 No Content`, without a socket.
//! #[derive(Debug)]
//! struct NoContent;
//!
//! impl Transport for NoContent {
//!     fn send(&self, _request: HttpRequest) -> TransportFuture<'_> {
//!         Box::pin(async { Ok(HttpResponse::new(204, Headers::new(), ResponseBody::empty())) })
//!     }
//! }
//! ```

mod body;
mod fake;
mod headers;
mod pooled;
mod settings;
mod tls;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use self::body::{BodyStream, FileStream, RequestBody, ResponseBody};
pub use self::fake::{FakeReply, FakeUpstream, RecordedCall};
pub use self::headers::{Headers, InvalidHeader};
pub use self::pooled::{BuildError, ReqwestTransport};
pub use self::settings::{DEFAULT_USER_AGENT, HttpSettings, HttpVersion, ProxySettings};
pub use self::tls::{Certificate, Identity, TlsError};

/// An HTTP method, without exposing the HTTP crate's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `PATCH`
    Patch,
    /// `TRACE`
    Trace,
}

impl Method {
    /// The method's name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
            Self::Patch => "PATCH",
            Self::Trace => "TRACE",
        }
    }

    /// Whether RFC 9110 defines the method as idempotent, so that sending it
    /// twice has the effect of sending it once.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Self::Post | Self::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attempt's request, complete: credentials and every header included.
#[non_exhaustive]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL, query included.
    pub url: url::Url,
    /// The headers (the transport adds its own, such as `Host` and
    /// `Content-Length`; [`ReqwestTransport`] adds the configured
    /// `User-Agent`).
    pub headers: Headers,
    /// The body.
    pub body: RequestBody,
    /// The operation id the request belongs to (empty when it belongs to
    /// none), for transports that route by operation, such as fakes.
    pub operation: &'static str,
    /// The service the operation belongs to (empty when not known).
    pub service: &'static str,
}

impl fmt::Debug for HttpRequest {
    /// The query is left out (it may hold an API key), header values too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("service", &self.service)
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("origin", &self.url.origin().ascii_serialization())
            .field("path", &self.url.path())
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: Method, url: url::Url) -> Self {
        Self {
            method,
            url,
            headers: Headers::new(),
            body: RequestBody::empty(),
            operation: "",
            service: "",
        }
    }
}

/// An upstream's answer: status and headers, and the body to read.
#[derive(Debug)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Headers,
    /// The body, not yet read.
    pub body: ResponseBody,
}

impl HttpResponse {
    /// A response of `status` with `headers` and `body`.
    pub fn new(status: u16, headers: Headers, body: ResponseBody) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }
}

/// What went wrong on the wire, as far as retries and the breaker care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, TLS handshake): the
    /// request was never sent, so any method may be retried.
    Connect,
    /// The transport's own timeout passed.
    Timeout,
    /// The connection broke after the request may have been sent.
    Broken,
}

/// The boxed cause of a [`TransportError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A request that got no answer, or a body that broke off.
#[derive(Debug, thiserror::Error)]
#[error("{}", match .kind {
    TransportErrorKind::Connect => "could not connect",
    TransportErrorKind::Timeout => "the transport timed out",
    TransportErrorKind::Broken => "the connection broke",
})]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Option<BoxError>,
}

impl TransportError {
    /// An error of `kind`, caused by `source`.
    pub fn new(kind: TransportErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// An error of `kind` with no further cause.
    pub fn of_kind(kind: TransportErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// What went wrong.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

/// The future a [`Transport`] returns.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends one attempt's request and returns the upstream's answer as soon as
/// its head is in; the body is read through [`ResponseBody`].
///
/// A transport does not retry, time out calls or follow redirects: the
/// runtime's layers around it do what the configuration says.
pub trait Transport: fmt::Debug + Send + Sync + 'static {
    /// Sends `request`.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

/// A shared transport: a test keeps one handle on its fake (to see what it
/// received) and gives the session another.
impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        T::send(self, request)
    }
}
