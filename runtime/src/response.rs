//! A successful response, and decoding its body.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{CallContext, DecodeReason, MicroserviceError};
use crate::transport::Headers;

/// A 2xx response whose body has been read (within the size limit).
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
    pub(crate) context: CallContext,
    pub(crate) attempts: u32,
}

impl Response {
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

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The raw body, by value.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// How many attempts the call took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Decodes the JSON body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, MicroserviceError> {
        serde_json::from_slice(&self.body)
            .map_err(|error| self.decode_error(DecodeReason::Json, Some(Box::new(error))))
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<String, MicroserviceError> {
        String::from_utf8(self.body.to_vec())
            .map_err(|error| self.decode_error(DecodeReason::Text, Some(Box::new(error))))
    }

    fn decode_error(
        &self,
        reason: DecodeReason,
        source: Option<crate::error::BoxError>,
    ) -> MicroserviceError {
        MicroserviceError::decode(
            self.context.clone(),
            self.status,
            reason,
            &self.body,
            self.attempts,
            source,
        )
    }
}

impl std::fmt::Debug for Response {
    /// Header values (e.g. `Set-Cookie`) are not shown, only names.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .field("context", &self.context)
            .field("attempts", &self.attempts)
            .finish()
    }
}
