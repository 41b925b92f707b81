//! Reading a response body without ever holding more than the limit.

use bytes::{Bytes, BytesMut};

use crate::error::EXCERPT_LIMIT;

/// How reading a body ended.
pub(crate) enum Read {
    /// The whole body, within the limit.
    Complete(Bytes),
    /// The body is larger than the limit; these are its first bytes (at most
    /// an excerpt's worth). Reading stopped there.
    TooLarge(Bytes),
    /// The connection broke mid-body.
    Broken(reqwest::Error),
}

/// Reads `response`'s body chunk by chunk, refusing it as soon as it passes
/// `limit` bytes (at once when `Content-Length` already says so).
pub(crate) async fn read_limited(mut response: reqwest::Response, limit: usize) -> Read {
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit as u64) {
        let prefix = match response.chunk().await {
            Ok(Some(chunk)) => chunk.slice(..chunk.len().min(EXCERPT_LIMIT)),
            _ => Bytes::new(),
        };
        return Read::TooLarge(prefix);
    }
    // The common case, a body in one chunk, is returned without a copy.
    let first = match response.chunk().await {
        Ok(Some(chunk)) => chunk,
        Ok(None) => return Read::Complete(Bytes::new()),
        Err(error) => return Read::Broken(error),
    };
    if first.len() > limit {
        return Read::TooLarge(first.slice(..EXCERPT_LIMIT.min(first.len())));
    }
    let second = match response.chunk().await {
        Ok(Some(chunk)) => chunk,
        Ok(None) => return Read::Complete(first),
        Err(error) => return Read::Broken(error),
    };
    let capacity = declared.map_or(first.len() + second.len(), |length| length as usize);
    let mut body = BytesMut::with_capacity(capacity);
    body.extend_from_slice(&first);
    let mut next = Some(second);
    loop {
        let chunk = match next.take() {
            Some(chunk) => chunk,
            None => match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Read::Complete(body.freeze()),
                Err(error) => return Read::Broken(error),
            },
        };
        if body.len() + chunk.len() > limit {
            body.truncate(EXCERPT_LIMIT);
            let missing = EXCERPT_LIMIT - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(missing)]);
            return Read::TooLarge(body.freeze());
        }
        body.extend_from_slice(&chunk);
    }
}
