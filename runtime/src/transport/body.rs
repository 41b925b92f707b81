//! Bodies that cross the transport seam: a request body held whole (sent
//! again on a retry) or streamed (sent once), and a response body read
//! chunk by chunk, so that a transport may stream it.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;

use super::TransportError;

/// A stream a request body is read from, once.
type Upload = Pin<Box<dyn BodyStream>>;

/// A request body: none, bytes (every attempt sends the same), or a
/// stream, which only one attempt can send: a call with a streamed body is
/// never retried.
#[derive(Clone, Default)]
pub struct RequestBody(Content);

#[derive(Clone, Default)]
enum Content {
    #[default]
    Empty,
    Bytes(Bytes),
    /// Shared by the clones of the request; the attempt that sends it
    /// takes it.
    Stream(Arc<Mutex<Option<Upload>>>),
}

impl RequestBody {
    /// No body.
    pub fn empty() -> Self {
        Self(Content::Empty)
    }

    /// A body of `bytes`.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self(Content::Bytes(bytes.into()))
    }

    /// A body read from `stream` as it is sent, in bounded memory.
    pub fn from_stream(stream: impl BodyStream) -> Self {
        Self(Content::Stream(Arc::new(Mutex::new(Some(Box::pin(
            stream,
        ))))))
    }

    /// The body's bytes, when it is held whole.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.0 {
            Content::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The stream of a streamed body, for the transport that sends it:
    /// `None` when the body is not streamed or an earlier attempt took it.
    pub fn take_stream(&self) -> Option<Pin<Box<dyn BodyStream>>> {
        match &self.0 {
            Content::Stream(stream) => stream.lock().unwrap_or_else(PoisonError::into_inner).take(),
            _ => None,
        }
    }

    /// Whether the body can be sent again (it is not a stream).
    pub fn is_replayable(&self) -> bool {
        !matches!(self.0, Content::Stream(_))
    }

    /// Whether there is no body.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Content::Empty)
    }
}

impl fmt::Debug for RequestBody {
    /// The length only: bodies may hold personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Content::Empty => f.write_str("RequestBody(empty)"),
            Content::Bytes(bytes) => write!(f, "RequestBody({} bytes)", bytes.len()),
            Content::Stream(_) => f.write_str("RequestBody(stream)"),
        }
    }
}

/// A file read as a request body, in chunks.
pub struct FileStream {
    file: tokio::fs::File,
    buffer: Box<[u8]>,
}

impl FileStream {
    /// Opens the file at `path` to stream it.
    pub async fn open(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        Ok(Self {
            file: tokio::fs::File::open(path).await?,
            buffer: vec![0; 64 * 1024].into_boxed_slice(),
        })
    }
}

impl BodyStream for FileStream {
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        use tokio::io::AsyncRead;

        let this = self.get_mut();
        let mut read = tokio::io::ReadBuf::new(&mut this.buffer);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(TransportError::new(
                super::TransportErrorKind::Broken,
                error,
            )))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => Poll::Ready(None),
            Poll::Ready(Ok(())) => Poll::Ready(Some(Ok(Bytes::copy_from_slice(read.filled())))),
        }
    }
}

impl fmt::Debug for FileStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStream").finish_non_exhaustive()
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
