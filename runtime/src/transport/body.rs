//! Bodies that cross the transport seam: a request body that can be sent
//! again on a retry, and a response body read chunk by chunk, so that a
//! transport may stream it.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::TransportError;

/// A request body. It is replayable: every attempt of a call sends the same
/// bytes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestBody(Option<Bytes>);

impl RequestBody {
    /// No body.
    pub fn empty() -> Self {
        Self(None)
    }

    /// A body of `bytes`.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self(Some(bytes.into()))
    }

    /// The body's bytes, `None` when there is no body.
    pub fn bytes(&self) -> Option<&Bytes> {
        self.0.as_ref()
    }

    /// Whether there is no body.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

impl fmt::Debug for RequestBody {
    /// The length only: bodies may hold personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("RequestBody(empty)"),
            Some(bytes) => write!(f, "RequestBody({} bytes)", bytes.len()),
        }
    }
}

/// A source of response body chunks, for transports that stream.
pub trait BodyStream: Send + 'static {
    /// The next chunk; `None` at the end of the body.
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>>;
}

/// A response body, read with [`chunk`](Self::chunk) until `None`.
pub struct ResponseBody(Source);

enum Source {
    /// Whole bytes, handed out once.
    Full(Option<Bytes>),
    /// Chunks from a transport.
    Stream(Pin<Box<dyn BodyStream>>),
}

impl ResponseBody {
    /// An empty body.
    pub fn empty() -> Self {
        Self(Source::Full(None))
    }

    /// A body held whole.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self(Source::Full((!bytes.is_empty()).then_some(bytes)))
    }

    /// A body read from `stream`.
    pub fn from_stream(stream: impl BodyStream) -> Self {
        Self(Source::Stream(Box::pin(stream)))
    }

    /// The next chunk; `None` at the end of the body.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, TransportError>> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Polls for the next chunk.
    pub fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        match &mut self.0 {
            Source::Full(bytes) => Poll::Ready(bytes.take().map(Ok)),
            Source::Stream(stream) => stream.as_mut().poll_chunk(cx),
        }
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Full(bytes) => write!(
                f,
                "ResponseBody({} bytes)",
                bytes.as_ref().map_or(0, Bytes::len)
            ),
            Source::Stream(_) => f.write_str("ResponseBody(stream)"),
        }
    }
}
