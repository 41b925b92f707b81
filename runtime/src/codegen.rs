//! What generated code needs, in one place, so that a generated crate
//! depends on `clientgen-runtime` alone. Not a stable API for hand-written
//! code: its shape follows the generator.

pub use std::collections::BTreeMap;

pub use bytes::Bytes;
pub use serde;
pub use serde::{Deserialize, Serialize};
pub use serde_json;

pub use crate::multipart::Multipart;
pub use crate::options::CallOptions;
pub use crate::types::{Base64, Date, DateTime, Json, Map, Uuid, chrono, uuid};

pub use crate::auth::{ApiKeyLocation, AuthScheme};
pub use crate::config::ConfigError;
pub use crate::error::{ErrorBody, MicroserviceError};
pub use crate::request::{ErrorDecoder, Method, Operation, Request, Security};
pub use crate::response::Response;
pub use crate::session::{ServiceClient, Session};

/// Decodes a JSON error body as `T`, for an operation's error decoder.
/// A body that does not match gives `None`; the error keeps its excerpt.
pub fn decode_error<T>(body: &[u8]) -> Option<Box<dyn ErrorBody>>
where
    T: serde::de::DeserializeOwned + ErrorBody,
{
    serde_json::from_slice::<T>(body)
        .ok()
        .map(|decoded| Box::new(decoded) as Box<dyn ErrorBody>)
}

/// A date-time as RFC 3339 text, for query and header parameters.
pub fn rfc3339(value: &DateTime) -> String {
    value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Joins parameter values with `separator` (`simple`, `spaceDelimited`,
/// `pipeDelimited` and non-exploded styles).
pub fn join<I>(values: I, separator: &str) -> crate::request::Joined
where
    I: IntoIterator,
    I::Item: std::fmt::Display,
{
    crate::request::join(values, separator)
}
