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
    let capacity = declared.map_or(0, |length| length as usize);
    let mut body = BytesMut::with_capacity(capacity);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    body.truncate(EXCERPT_LIMIT);
                    let missing = EXCERPT_LIMIT - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(missing)]);
                    return Read::TooLarge(body.freeze());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Read::Complete(body.freeze()),
            Err(error) => return Read::Broken(error),
        }
    }
}
