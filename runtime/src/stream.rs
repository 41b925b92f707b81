//! Response bodies consumed as they arrive, with bounded memory: a call
//! made with [`ServiceClient::execute_streaming`](crate::ServiceClient::execute_streaming)
//! returns once the head is in, and the body follows chunk by chunk.
//!
//! The call's deadline and retries cover getting the head; a body that
//! has started is never replayed. While it is read, the stream's idle
//! timeout applies: no bytes for that long ends it with
//! `Unavailable(IdleTimeout)`. Dropping the stream closes the connection.

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::error::{CallContext, DecodeReason, MicroserviceError, UnavailableReason};
use crate::response::Response;
use crate::transport::{Headers, ResponseBody};

/// A 2xx response whose body is still to be read.
pub struct StreamingResponse {
    pub(crate) status: u16,
    pub(crate) headers: Headers,
    pub(crate) body: ByteStream,
    pub(crate) attempts: u32,
}

impl StreamingResponse {
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

    /// How many attempts it took to get the head.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The body, to read chunk by chunk.
    pub fn into_body(self) -> ByteStream {
        self.body
    }

    /// Reads the body whole, as [`ServiceClient::execute`](crate::ServiceClient::execute)
    /// does, refusing it past `limit` bytes.
    pub(crate) async fn read_whole(self, limit: usize) -> Result<Response, MicroserviceError> {
        let Self {
            status,
            headers,
            mut body,
            attempts,
        } = self;
        let mut read = BytesMut::new();
        while let Some(chunk) = body.chunk().await {
            read.extend_from_slice(&chunk?);
            if read.len() > limit {
                return Err(MicroserviceError::decode(
                    body.context.clone(),
                    status,
                    DecodeReason::BodyTooLarge,
                    &read,
                    attempts,
                    None,
                ));
            }
        }
        Ok(Response {
            status,
            headers,
            body: read.freeze(),
            context: body.context,
            attempts,
        })
    }
}

impl From<Response> for StreamingResponse {
    /// A response read whole, as a stream of its one chunk.
    fn from(response: Response) -> Self {
        Self {
            status: response.status,
            headers: response.headers,
            body: ByteStream::new(
                ResponseBody::from_bytes(response.body),
                Duration::MAX,
                response.context,
            ),
            attempts: response.attempts,
        }
    }
}

impl fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("context", &self.body.context)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A response body read as it arrives.
pub struct ByteStream {
    body: ResponseBody,
    idle: Duration,
    pub(crate) context: CallContext,
    ended: bool,
}

impl ByteStream {
    pub(crate) fn new(body: ResponseBody, idle: Duration, context: CallContext) -> Self {
        Self {
            body,
            idle,
            context,
            ended: false,
        }
    }

    /// The next chunk; `None` once the body ended. A body that breaks off,
    /// or sends nothing for longer than the idle timeout, ends with an
    /// `Unavailable` error, after which the stream gives `None`.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, MicroserviceError>> {
        if self.ended {
            return None;
        }
        let (reason, source) = match tokio::time::timeout(self.idle, self.body.chunk()).await {
            Ok(Some(Ok(bytes))) => return Some(Ok(bytes)),
            Ok(None) => {
                self.ended = true;
                return None;
            }
            Ok(Some(Err(error))) => (UnavailableReason::ConnectionReset, Some(error.into())),
            Err(_) => (UnavailableReason::IdleTimeout, None),
        };
        self.ended = true;
        Some(Err(MicroserviceError::unavailable(
            self.context.clone(),
            reason,
            1,
            source,
        )))
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("context", &self.context)
            .field("idle", &self.idle)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
