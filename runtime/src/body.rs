//! Reading a response body without ever holding more than the limit.

use std::future::Future;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};

use crate::error::EXCERPT_LIMIT;

/// How reading a body ended: the whole body, within the limit, or why not.
pub(crate) type Read = Result<Bytes, Unread>;

/// Why a body was not read whole.
pub(crate) enum Unread {
    /// The body is larger than the limit; these are its first bytes (at most
    /// an excerpt's worth). Reading stopped there.
    TooLarge(Bytes),
    /// The connection broke mid-body.
    Broken(reqwest::Error),
}

/// What has been read so far.
enum Held {
    Nothing,
    /// One chunk: the common case, returned without a copy.
    One(Bytes),
    /// Several chunks, copied together.
    Many(BytesMut),
}

impl Held {
    /// The bytes held so far.
    fn bytes(&self) -> &[u8] {
        match self {
            Held::Nothing => &[],
            Held::One(bytes) => bytes,
            Held::Many(bytes) => bytes,
        }
    }
}

/// Reads a response's body chunk by chunk, refusing it as soon as it passes
/// the limit (at its first bytes when `Content-Length` already says so). A
/// plain state machine polled by the attempt, not a future of its own.
///
/// It reads through the response itself ([`reqwest::Response::chunk`]),
/// rather than turning it into a [`reqwest::Body`], which boxes the body and
/// adds layers to every poll.
pub(crate) struct BodyReader {
    response: reqwest::Response,
    limit: usize,
    declared: Option<u64>,
    held: Held,
}

impl BodyReader {
    /// A reader of `response`'s body, whose `Content-Length` (if any) is
    /// `declared`.
    pub(crate) fn new(response: reqwest::Response, declared: Option<u64>, limit: usize) -> Self {
        Self {
            response,
            limit,
            declared,
            held: Held::Nothing,
        }
    }

    /// Reads until the body ends, breaks or passes the limit. Everything
    /// but a body that arrives in one chunk within the limit is handled out
    /// of line, so that the common path is one straight line of code.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Read> {
        let over = self
            .declared
            .is_some_and(|length| length > self.limit as u64);
        loop {
            // A fresh `chunk` future at each poll: it keeps no state of its
            // own between polls (it polls the body for its next frame, and
            // skips trailers), so one dropped while pending loses nothing.
            let next = ready!(std::pin::pin!(self.response.chunk()).poll(cx));
            let chunk = match next {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Poll::Ready(self.complete(over)),
                Err(error) => return Poll::Ready(broken(error, over)),
            };
            if over {
                return Poll::Ready(too_large(&chunk));
            }
            if let Some(read) = self.hold(chunk) {
                return Poll::Ready(read);
            }
        }
    }

    /// Adds `chunk` to what is held, or ends the read when it passes the
    /// limit. The first chunk within the limit, nearly always the whole
    /// body, is kept inline; the rest is out of line.
    fn hold(&mut self, chunk: Bytes) -> Option<Read> {
        if matches!(self.held, Held::Nothing) && chunk.len() <= self.limit {
            self.held = Held::One(chunk);
            return None;
        }
        self.hold_more(chunk)
    }

    #[cold]
    fn hold_more(&mut self, chunk: Bytes) -> Option<Read> {
        let held = self.held.bytes();
        if held.len() + chunk.len() > self.limit {
            let mut prefix = BytesMut::with_capacity(EXCERPT_LIMIT);
            prefix.extend_from_slice(&held[..held.len().min(EXCERPT_LIMIT)]);
            let missing = EXCERPT_LIMIT - prefix.len();
            prefix.extend_from_slice(&chunk[..chunk.len().min(missing)]);
            return Some(Err(Unread::TooLarge(prefix.freeze())));
        }
        self.held = match std::mem::replace(&mut self.held, Held::Nothing) {
            Held::Nothing => Held::One(chunk),
            Held::One(first) => {
                let capacity = self
                    .declared
                    .map_or(first.len() + chunk.len(), |length| length as usize);
                let mut bytes = BytesMut::with_capacity(capacity);
                bytes.extend_from_slice(&first);
                bytes.extend_from_slice(&chunk);
                Held::Many(bytes)
            }
            Held::Many(mut bytes) => {
                bytes.extend_from_slice(&chunk);
                Held::Many(bytes)
            }
        };
        None
    }

    /// The body once it ended.
    fn complete(&mut self, over: bool) -> Read {
        match std::mem::replace(&mut self.held, Held::Nothing) {
            Held::One(bytes) if !over => Ok(bytes),
            held => complete_rare(held, over),
        }
    }
}

/// The read of a body that broke mid-read: over the limit anyway when its
/// declared length said so.
#[cold]
fn broken(error: reqwest::Error, over: bool) -> Read {
    if over {
        return Err(Unread::TooLarge(Bytes::new()));
    }
    Err(Unread::Broken(error))
}

/// The body once it ended, unless it came in one chunk within the limit.
#[cold]
fn complete_rare(held: Held, over: bool) -> Read {
    if over {
        return Err(Unread::TooLarge(Bytes::new()));
    }
    match held {
        Held::Nothing => Ok(Bytes::new()),
        Held::One(bytes) => Ok(bytes),
        Held::Many(bytes) => Ok(bytes.freeze()),
    }
}

/// The read of a body whose declared length is over the limit: its first
/// chunk's first bytes.
#[cold]
fn too_large(chunk: &Bytes) -> Read {
    Err(Unread::TooLarge(
        chunk.slice(..chunk.len().min(EXCERPT_LIMIT)),
    ))
}
