//! What every generated call builder shares: this call's own settings
//! ([`Call`]), the future a builder becomes when awaited ([`CallFuture`]),
//! and the typed answer with its metadata ([`Reply`]).
//!
//! A generated client method takes the operation's required values and
//! returns a builder; optional parameters are its setters, and so are this
//! call's settings (`timeout`, `attempt_timeout`, `retry`, `header`,
//! `idempotency_key`). Awaiting the builder sends the call and gives the
//! typed body; `send_with_response()` gives a [`Reply`] with the status,
//! the headers and the attempts as well.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use crate::error::MicroserviceError;
use crate::events::EventStream;
use crate::options::CallOptions;
use crate::pagination::{PageLimits, Pages, Paging};
use crate::request::Request;
use crate::response::Response;
use crate::retry::RetryPolicy;
use crate::session::ServiceClient;
use crate::stream::StreamingResponse;
use crate::transport::Headers;

/// A call in flight up to its response: the runtime's whole call path,
/// boxed, so that it is compiled once here rather than for each operation.
type Sending<'a> = Pin<Box<dyn Future<Output = Result<Response, MicroserviceError>> + Send + 'a>>;

/// The future of a streamed call, up to the answer's head.
pub type StreamFuture<'a> =
    Pin<Box<dyn Future<Output = Result<StreamingResponse, MicroserviceError>> + Send + 'a>>;

/// The future of a call: what awaiting a call builder runs. It sends the
/// call when first polled and decodes the answer when the call ends.
#[must_use = "a call does nothing until it is awaited"]
pub struct CallFuture<'a, T> {
    sending: Sending<'a>,
    decode: Decode<T>,
}

impl<T> Future for CallFuture<'_, T> {
    type Output = Result<T, MicroserviceError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let response = ready!(this.sending.as_mut().poll(cx))?;
        Poll::Ready((this.decode)(&response))
    }
}

impl<T> std::fmt::Debug for CallFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

/// The future of `send_with_response()`: the decoded answer with the
/// response's status, headers and attempts.
#[must_use = "a call does nothing until it is awaited"]
pub struct ReplyFuture<'a, T> {
    sending: Sending<'a>,
    decode: Decode<T>,
}

impl<T> Future for ReplyFuture<'_, T> {
    type Output = Result<Reply<T>, MicroserviceError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let response = ready!(this.sending.as_mut().poll(cx))?;
        let body = (this.decode)(&response)?;
        Poll::Ready(Ok(Reply {
            status: response.status,
            headers: response.headers,
            attempts: response.attempts,
            body,
        }))
    }
}

impl<T> std::fmt::Debug for ReplyFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyFuture").finish_non_exhaustive()
    }
}

/// Turns a 2xx response into an operation's typed answer.
pub type Decode<T> = fn(&Response) -> Result<T, MicroserviceError>;

/// The handle a call goes through and the settings of this call alone,
/// held by every generated call builder.
#[derive(Debug)]
pub struct Call<'a> {
    service: &'a ServiceClient,
    /// The handle's options with this call's settings applied, once one
    /// is set.
    options: Option<CallOptions>,
    idempotency_key: Option<String>,
}

impl<'a> Call<'a> {
    /// A call through `service`, with the handle's own options.
    pub fn new(service: &'a ServiceClient) -> Self {
        Self {
            service,
            options: None,
            idempotency_key: None,
        }
    }

    /// This call's overall deadline, retries included.
    pub fn timeout(self, deadline: Duration) -> Self {
        self.with_options(|options| options.timeout(deadline))
    }

    /// The timeout of each of this call's attempts.
    pub fn attempt_timeout(self, timeout: Duration) -> Self {
        self.with_options(|options| options.attempt_timeout(timeout))
    }

    /// This call's retry policy.
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.with_options(|options| options.retry(policy))
    }

    /// A header sent with this call, by the rules of
    /// [`CallOptions::header`]; it replaces a header of the same name set
    /// on the handle.
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.with_options(|options| options.header(name, value))
    }

    /// This call's idempotency key, the same on every attempt.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    fn with_options(mut self, change: impl FnOnce(CallOptions) -> CallOptions) -> Self {
        let options = match self.options.take() {
            Some(options) => options,
            None => self.service.options().cloned().unwrap_or_default(),
        };
        self.options = Some(change(options));
        self
    }

    /// Sends `request` and decodes the answer with `decode`.
    pub fn send<T>(self, request: Request, decode: Decode<T>) -> CallFuture<'a, T> {
        CallFuture {
            sending: self.start(request),
            decode,
        }
    }

    /// Sends `request` and gives the decoded answer with the response's
    /// status, headers and attempts.
    pub fn send_with_response<T>(self, request: Request, decode: Decode<T>) -> ReplyFuture<'a, T> {
        ReplyFuture {
            sending: self.start(request),
            decode,
        }
    }

    /// Sends `request` and returns once a 2xx answer's head is in; its
    /// body is read as it arrives ([`StreamingResponse`]).
    pub fn send_streaming(self, request: Request) -> StreamFuture<'a> {
        let (service, request) = self.settle(request);
        Box::pin(async move { service.execute_streaming(request).await })
    }

    /// The call path for `request`, not started until polled.
    fn start(self, request: Request) -> Sending<'a> {
        match self.settle(request) {
            (Handle::Borrowed(service), request) => Box::pin(service.execute(request)),
            (Handle::Owned(service), request) => {
                Box::pin(async move { service.execute(request).await })
            }
        }
    }

    /// Sends `request` and reads its `text/event-stream` answer as events
    /// whose `data` decode as JSON `T` ([`EventStream`]).
    pub async fn events<T: serde::de::DeserializeOwned>(
        self,
        request: Request,
    ) -> Result<EventStream<T>, MicroserviceError> {
        let (service, request) = self.settle(request);
        service.execute_events(request).await
    }

    /// The pages of the list `request` asks for, read as `paging` says
    /// (each page a call with this call's settings), within the default
    /// [`PageLimits`].
    pub fn pages(self, request: Request, paging: Paging) -> Pages {
        let (service, request) = self.settle(request);
        service.pages(request, paging, PageLimits::default())
    }

    /// The handle to send through (the borrowed one, or one carrying this
    /// call's options) and the request with this call's key.
    fn settle(self, request: Request) -> (Handle<'a>, Request) {
        let request = match self.idempotency_key {
            Some(key) => request.idempotency_key(key),
            None => request,
        };
        let service = match self.options {
            Some(options) => Handle::Owned(self.service.with_options(options)),
            None => Handle::Borrowed(self.service),
        };
        (service, request)
    }
}

/// The handle a call is sent through.
enum Handle<'a> {
    Borrowed(&'a ServiceClient),
    Owned(ServiceClient),
}

impl std::ops::Deref for Handle<'_> {
    type Target = ServiceClient;

    fn deref(&self) -> &ServiceClient {
        match self {
            Handle::Borrowed(service) => service,
            Handle::Owned(service) => service,
        }
    }
}

/// An operation's typed answer with the response's metadata, from a call
/// builder's `send_with_response()`.
#[derive(Clone, Debug)]
pub struct Reply<T> {
    status: u16,
    headers: Headers,
    attempts: u32,
    body: T,
}

impl<T> Reply<T> {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header's first value, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// Every response header.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// How many attempts the call took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, by value.
    pub fn into_body(self) -> T {
        self.body
    }
}

/// Decodes a JSON body (a [`Decode`] for generated builders).
pub fn decode_json<T: serde::de::DeserializeOwned>(
    response: &Response,
) -> Result<T, MicroserviceError> {
    response.json()
}

/// The body as UTF-8 text (a [`Decode`] for generated builders).
pub fn decode_text(response: &Response) -> Result<String, MicroserviceError> {
    response.text()
}

/// The raw body (a [`Decode`] for generated builders).
pub fn decode_bytes(response: &Response) -> Result<bytes::Bytes, MicroserviceError> {
    Ok(response.body.clone())
}

/// Nothing to decode (a [`Decode`] for generated builders).
pub fn decode_nothing(_: &Response) -> Result<(), MicroserviceError> {
    Ok(())
}

/// The settings and the sending methods of a generated call builder
/// `$builder<'a>`, which holds a [`Call`] in its field `call` and turns
/// itself into a request with `fn into_parts(self) -> (Call<'a>, Request)`.
/// Awaiting the builder gives `$output`, decoded by `$decode`.
#[doc(hidden)]
#[macro_export]
macro_rules! call_builder {
    ($builder:ident, $output:ty, $decode:expr) => {
        impl<'a> $builder<'a> {
            /// This call's overall deadline, retries included.
            pub fn timeout(mut self, deadline: ::std::time::Duration) -> Self {
                self.call = self.call.timeout(deadline);
                self
            }

            /// The timeout of each of this call's attempts.
            pub fn attempt_timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.call = self.call.attempt_timeout(timeout);
                self
            }

            /// This call's retry policy (e.g. `RetryPolicy::never()`).
            pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
                self.call = self.call.retry(policy);
                self
            }

            /// A header sent with this call (e.g. `X-Request-ID`); a header
            /// the operation sets itself wins over it.
            pub fn header(
                mut self,
                name: impl ::std::convert::Into<::std::string::String>,
                value: impl ::std::convert::Into<::std::string::String>,
            ) -> Self {
                self.call = self.call.header(name, value);
                self
            }

            /// This call's idempotency key, the same on every attempt: with
            /// one, a `POST` or `PATCH` may be retried.
            pub fn idempotency_key(
                mut self,
                key: impl ::std::convert::Into<::std::string::String>,
            ) -> Self {
                self.call = self.call.idempotency_key(key);
                self
            }

            /// Sends the call and gives the decoded body with the
            /// response's status, headers and attempts.
            pub fn send_with_response(self) -> $crate::codegen::ReplyFuture<'a, $output> {
                let (call, request) = self.into_parts();
                call.send_with_response(request, $decode)
            }
        }

        impl<'a> ::std::future::IntoFuture for $builder<'a> {
            type Output = ::std::result::Result<$output, $crate::MicroserviceError>;
            type IntoFuture = $crate::codegen::CallFuture<'a, $output>;

            fn into_future(self) -> Self::IntoFuture {
                let (call, request) = self.into_parts();
                call.send(request, $decode)
            }
        }
    };
}
