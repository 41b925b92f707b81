//! Reading a response body whole without ever holding more than the limit.

use bytes::{Bytes, BytesMut};

use crate::error::EXCERPT_LIMIT;
use crate::transport::{Headers, ResponseBody, TransportError};

/// Why a body was not read whole.
pub(crate) enum Unread {
    /// The body is larger than the limit; these are its first bytes (at most
    /// an excerpt's worth). Reading stopped there.
    TooLarge(Bytes),
    /// The connection broke mid-body.
    Broken(TransportError),
}

/// Reads `body` whole, refusing it as soon as it passes `limit` bytes (at
/// once when `Content-Length` already says so). A body that comes in one
/// chunk is returned without a copy.
pub(crate) async fn read(
    mut body: ResponseBody,
    headers: &Headers,
    limit: usize,
) -> Result<Bytes, Unread> {
    let declared = headers
        .get("content-length")
        .and_then(|length| length.trim().parse::<u64>().ok());
    let over = declared.is_some_and(|length| length > limit as u64);
    let mut first: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    while let Some(chunk) = body.chunk().await {
        let chunk = match chunk {
            Ok(chunk) if chunk.is_empty() => continue,
            Ok(chunk) => chunk,
            Err(_) if over => return Err(Unread::TooLarge(Bytes::new())),
            Err(error) => return Err(Unread::Broken(error)),
        };
        if over {
            return Err(Unread::TooLarge(
                chunk.slice(..chunk.len().min(EXCERPT_LIMIT)),
            ));
        }
        let held = more.as_deref().or(first.as_deref()).unwrap_or_default();
        if held.len() + chunk.len() > limit {
            let mut prefix = BytesMut::with_capacity(EXCERPT_LIMIT);
            prefix.extend_from_slice(&held[..held.len().min(EXCERPT_LIMIT)]);
            let missing = EXCERPT_LIMIT - prefix.len();
            prefix.extend_from_slice(&chunk[..chunk.len().min(missing)]);
            return Err(Unread::TooLarge(prefix.freeze()));
        }
        match (&mut more, first.take()) {
            (Some(bytes), _) => bytes.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(earlier)) => {
                let capacity = declared.map_or(earlier.len() + chunk.len(), |length| {
                    usize::try_from(length).unwrap_or(limit)
                });
                let mut bytes = BytesMut::with_capacity(capacity);
                bytes.extend_from_slice(&earlier);
                bytes.extend_from_slice(&chunk);
                more = Some(bytes);
            }
        }
    }
    // A declared length with no body (an answer to HEAD, a 304) is no body.
    Ok(more.map_or_else(|| first.unwrap_or_default(), BytesMut::freeze))
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;
    use crate::transport::BodyStream;

    struct Chunks(Vec<Bytes>);

    impl BodyStream for Chunks {
        fn poll_chunk(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Bytes, TransportError>>> {
            Poll::Ready((!self.0.is_empty()).then(|| Ok(self.0.remove(0))))
        }
    }

    fn body(chunks: &[&'static str]) -> ResponseBody {
        ResponseBody::from_stream(Chunks(
            chunks
                .iter()
                .map(|chunk| Bytes::from_static(chunk.as_bytes()))
                .collect(),
        ))
    }

    async fn read_all(chunks: &[&'static str], limit: usize) -> Result<Bytes, Bytes> {
        read(body(chunks), &Headers::new(), limit)
            .await
            .map_err(|unread| match unread {
                Unread::TooLarge(prefix) => prefix,
                Unread::Broken(_) => Bytes::from_static(b"broken"),
            })
    }

    #[tokio::test]
    async fn chunks_are_joined_within_the_limit_and_refused_past_it() {
        assert_eq!(read_all(&[], 4).await, Ok(Bytes::new()));
        assert_eq!(read_all(&["ab"], 4).await, Ok(Bytes::from_static(b"ab")));
        assert_eq!(
            read_all(&["ab", "cd"], 4).await,
            Ok(Bytes::from_static(b"abcd"))
        );
        assert_eq!(
            read_all(&["ab", "cd", "e"], 4).await,
            Err(Bytes::from_static(b"abcde"))
        );
    }

    #[tokio::test]
    async fn a_declared_length_without_a_body_is_an_empty_body() {
        let mut headers = Headers::new();
        headers.insert("content-length", "100").unwrap();
        assert!(matches!(read(body(&[]), &headers, 10).await, Ok(bytes) if bytes.is_empty()));
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_stops_at_the_first_chunk() {
        let mut headers = Headers::new();
        headers.insert("content-length", "100").unwrap();
        let read = read(body(&["abc", "def"]), &headers, 10).await;
        assert!(matches!(read, Err(Unread::TooLarge(prefix)) if prefix == "abc"));
    }
}
