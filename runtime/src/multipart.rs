//! `multipart/form-data` bodies (RFC 7578).

use bytes::{BufMut, Bytes, BytesMut};

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
#[derive(Clone, Debug, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Bytes,
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
            data: Bytes::from(value.into()),
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
            data: Bytes::from(serde_json::to_vec(value)?),
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
            data: data.into(),
        });
        self
    }

    /// The encoded body and its content type, with a boundary not found in
    /// any part.
    pub(crate) fn encode(&self) -> (String, Bytes) {
        let boundary = loop {
            let candidate = format!(
                "clientgen-{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            );
            let clash = self.parts.iter().any(|part| {
                part.data
                    .windows(candidate.len())
                    .any(|w| w == candidate.as_bytes())
            });
            if !clash {
                break candidate;
            }
        };
        let mut body = BytesMut::new();
        for part in &self.parts {
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
            body.put_slice(&part.data);
            body.put_slice(b"\r\n");
        }
        body.put_slice(format!("--{boundary}--\r\n").as_bytes());
        (
            format!("multipart/form-data; boundary={boundary}"),
            body.freeze(),
        )
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

    #[test]
    fn encodes_text_and_file_parts() {
        let (content_type, body) = Multipart::new()
            .text("title", "Receipt")
            .file("file", "a\"b.pdf", "application/pdf", b"PDF".to_vec())
            .encode();
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
