//! `multipart/form-data` bodies (RFC 7578): held whole, or, when a file
//! part is a stream, sent as it is read.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};

use crate::transport::{BodyStream, TransportError};

/// A `multipart/form-data` body, built part by part.
///
/// ```
/// use clientgen_runtime::Multipart;
///
/// let form = Multipart::new()
///     .text("title", "Receipt")
///     .file("file", "receipt.pdf", "application/pdf", b"%PDF-1.7".to_vec());
/// # let _ = form;
/// ```
///
/// A file part can also be a stream ([`file_stream`](Self::file_stream),
/// e.g. a [`FileStream`](crate::transport::FileStream)): the form is then
/// sent as it is read, in bounded memory, and the call is never retried.
#[derive(Debug, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Data,
}

/// A part's content.
enum Data {
    Bytes(Bytes),
    Stream(Pin<Box<dyn BodyStream>>),
}

impl std::fmt::Debug for Data {
    /// The length only: parts may hold personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Data::Bytes(bytes) => write!(f, "{} bytes", bytes.len()),
            Data::Stream(_) => f.write_str("a stream"),
        }
    }
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: None,
            data: Data::Bytes(Bytes::from(value.into())),
        });
        self
    }

    /// Adds a JSON-encoded field.
    pub fn json<T: serde::Serialize + ?Sized>(
        mut self,
        name: impl Into<String>,
        value: &T,
    ) -> Result<Self, serde_json::Error> {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: Some("application/json".to_owned()),
            data: Data::Bytes(Bytes::from(serde_json::to_vec(value)?)),
        });
        Ok(self)
    }

    /// Adds a file.
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            data: Data::Bytes(data.into()),
        });
        self
    }

    /// Adds a file read from `stream` as the form is sent.
    pub fn file_stream(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        stream: impl BodyStream,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            data: Data::Stream(Box::pin(stream)),
        });
        self
    }

    /// The encoded body and its content type, with a boundary not found in
    /// any part held whole (a streamed part cannot be searched: its
    /// boundary is 128 random bits).
    pub(crate) fn encode(self) -> (String, Encoded) {
        let boundary = loop {
            let candidate = format!(
                "clientgen-{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            );
            let clash = self.parts.iter().any(|part| match &part.data {
                Data::Bytes(data) => data
                    .windows(candidate.len())
                    .any(|w| w == candidate.as_bytes()),
                Data::Stream(_) => false,
            });
            if !clash {
                break candidate;
            }
        };
        let mut segments: VecDeque<Data> = VecDeque::new();
        let mut body = BytesMut::new();
        for part in self.parts {
            body.put_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!(
                "Content-Disposition: form-data; name=\"{}\"",
                quote(&part.name)
            );
            if let Some(filename) = &part.filename {
                disposition.push_str(&format!("; filename=\"{}\"", quote(filename)));
            }
            body.put_slice(disposition.as_bytes());
            body.put_slice(b"\r\n");
            if let Some(content_type) = &part.content_type {
                body.put_slice(
                    format!("Content-Type: {}\r\n", strip_breaks(content_type)).as_bytes(),
                );
            }
            body.put_slice(b"\r\n");
            match part.data {
                Data::Bytes(data) => body.put_slice(&data),
                Data::Stream(stream) => {
                    segments.push_back(Data::Bytes(body.split().freeze()));
                    segments.push_back(Data::Stream(stream));
                }
            }
            body.put_slice(b"\r\n");
        }
        body.put_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        if segments.is_empty() {
            return (content_type, Encoded::Whole(body.freeze()));
        }
        segments.push_back(Data::Bytes(body.freeze()));
        (content_type, Encoded::Stream(FormStream { segments }))
    }
}

/// An encoded form: whole, or a stream when a part is one.
pub(crate) enum Encoded {
    Whole(Bytes),
    Stream(FormStream),
}

/// A form sent as it is read: its bytes held whole, its streamed parts in
/// between, in order.
pub(crate) struct FormStream {
    segments: VecDeque<Data>,
}

impl BodyStream for FormStream {
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        let this = self.get_mut();
        loop {
            match this.segments.front_mut() {
                None => return Poll::Ready(None),
                Some(Data::Bytes(bytes)) => {
                    let bytes = std::mem::take(bytes);
                    this.segments.pop_front();
                    if !bytes.is_empty() {
                        return Poll::Ready(Some(Ok(bytes)));
                    }
                }
                Some(Data::Stream(stream)) => match stream.as_mut().poll_chunk(cx) {
                    Poll::Ready(None) => {
                        this.segments.pop_front();
                    }
                    other => return other,
                },
            }
        }
    }
}

/// Escapes a quoted-string parameter (and drops line breaks).
fn quote(value: &str) -> String {
    strip_breaks(value)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

fn strip_breaks(value: &str) -> String {
    value.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of fixed chunks.
    struct Chunks(VecDeque<&'static str>);

    impl BodyStream for Chunks {
        fn poll_chunk(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Bytes, TransportError>>> {
            Poll::Ready(
                self.get_mut()
                    .0
                    .pop_front()
                    .map(|chunk| Ok(Bytes::from(chunk))),
            )
        }
    }

    #[test]
    fn a_streamed_part_is_sent_between_the_parts_held_whole() {
        let (content_type, Encoded::Stream(mut form)) = Multipart::new()
            .text("title", "Receipt")
            .file_stream(
                "file",
                "r.txt",
                "text/plain",
                Chunks(VecDeque::from(["ab", "", "cd"])),
            )
            .encode()
        else {
            panic!("a form with a streamed part is a stream");
        };
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary");
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut sent = Vec::new();
        while let Poll::Ready(Some(chunk)) = Pin::new(&mut form).poll_chunk(&mut cx) {
            sent.push(String::from_utf8(chunk.expect("a chunk").to_vec()).expect("utf8"));
        }
        assert!(
            sent.len() >= 3,
            "the stream's chunks go out as they come: {sent:?}"
        );
        assert_eq!(
            sent.concat(),
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReceipt\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\n\
                 Content-Type: text/plain\r\n\r\nabcd\r\n--{boundary}--\r\n"
            )
        );
    }

    #[test]
    fn encodes_text_and_file_parts() {
        let (content_type, Encoded::Whole(body)) = Multipart::new()
            .text("title", "Receipt")
            .file("file", "a\"b.pdf", "application/pdf", b"PDF".to_vec())
            .encode()
        else {
            panic!("a form without streams is whole");
        };
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary");
        let text = String::from_utf8(body.to_vec()).expect("utf8");
        assert_eq!(
            text,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReceipt\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\\\"b.pdf\"\r\n\
                 Content-Type: application/pdf\r\n\r\nPDF\r\n--{boundary}--\r\n"
            )
        );
    }
}
