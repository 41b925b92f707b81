//! What generated code needs, in one place, so that a generated crate
//! depends on `clientgen-runtime` alone. Not a stable API for hand-written
//! code: its shape follows the generator.

pub use std::collections::BTreeMap;

pub use bytes::Bytes;
pub use serde;
pub use serde::de::DeserializeOwned;
pub use serde::ser::SerializeStruct;
pub use serde::{Deserialize, Serialize, Serializer};
pub use serde_json;

pub use crate::events::EventStream;
pub use crate::multipart::Multipart;
pub use crate::options::CallOptions;
pub use crate::pagination::{Items, PageScheme, Pages, Paging};
pub use crate::types::{Base64, Date, DateTime, Json, Map, Nullable, Uuid, chrono, uuid};

pub use crate::auth::{ApiKeyLocation, AuthScheme};
pub use crate::builder::{
    Call, CallFuture, Decode, ReplyFuture, StreamFuture, decode_bytes, decode_json, decode_nothing,
    decode_text,
};
pub use crate::call_builder;
pub use crate::config::{ConfigError, RuntimeConfig, RuntimeConfigBuilder};
pub use crate::error::{ErrorBody, MicroserviceError};
pub use crate::request::{ErrorDecoder, Method, Operation, Request, Security};
pub use crate::response::Response;
pub use crate::session::{ServiceClient, Session};
pub use crate::stream::StreamingResponse;
pub use crate::transport::{FakeReply, FakeUpstream, RecordedCall};

#[cfg(feature = "fakes")]
pub use crate::fakes::{
    Answer, FakeError, FakeOperation, FakeRequest, Mismatch, NoError, ServiceFake,
};

/// Decodes a JSON error body as `T`, for an operation's error decoder.
/// A body that does not match gives `None`; the error keeps its excerpt.
pub fn decode_error<T>(body: &[u8]) -> Option<Box<dyn ErrorBody>>
where
    T: DeserializeOwned + ErrorBody,
{
    serde_json::from_slice::<T>(body)
        .ok()
        .map(|decoded| Box::new(decoded) as Box<dyn ErrorBody>)
}

/// The error of serialising a union's `Unknown` variant, which holds
/// nothing that could be sent.
pub fn unknown_variant<E: serde::ser::Error>() -> E {
    E::custom("a variant this client does not know cannot be sent")
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

/// A structured parameter value (an object, or a union of scalars and
/// arrays) written in OpenAPI's `simple` style, which is also the value of
/// a non-exploded `form` query parameter: a scalar as itself, an array's
/// items joined by commas, an object as `k,v,k2,v2` or, exploded,
/// `k=v,k2=v2`. Deeper values are written as JSON text; `null`s are left
/// out.
pub fn simple<T: Serialize + ?Sized>(value: &T, explode: bool) -> Simple {
    Simple(
        serde_json::to_value(value)
            .ok()
            .map(|value| simple_text(&value, explode)),
    )
}

/// The pieces of an exploded `form` query parameter that is a union of
/// scalars and arrays: each item of an array, or the scalar alone.
pub fn pieces<T: Serialize + ?Sized>(value: &T) -> Vec<Simple> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .filter(|item| !item.is_null())
            .map(|item| Simple(Some(simple_text(item, false))))
            .collect(),
        Ok(serde_json::Value::Null) => Vec::new(),
        Ok(other) => vec![Simple(Some(simple_text(&other, false)))],
        Err(_) => vec![Simple(None)],
    }
}

/// A parameter value written by [`simple`] or [`pieces`]. Writing it fails
/// when the value could not be serialised, and the request then records
/// the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simple(Option<String>);

impl std::fmt::Display for Simple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(text) => f.write_str(text),
            None => Err(std::fmt::Error),
        }
    }
}

fn simple_text(value: &serde_json::Value, explode: bool) -> String {
    use serde_json::Value;
    let scalar = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .filter(|item| !item.is_null())
            .map(scalar)
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(map) => {
            let separator = if explode { "=" } else { "," };
            map.iter()
                .filter(|(_, item)| !item.is_null())
                .map(|(key, item)| format!("{key}{separator}{}", scalar(item)))
                .collect::<Vec<_>>()
                .join(",")
        }
        Value::Null => String::new(),
        other => scalar(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// OpenAPI's style table, `simple` rows: `role,admin,firstName,Alex`
    /// and, exploded, `role=admin,firstName=Alex`.
    #[test]
    fn simple_values_follow_the_style_table() {
        let object = json!({"role": "admin", "firstName": "Alex", "gone": null});
        assert_eq!(
            simple(&object, false).to_string(),
            "role,admin,firstName,Alex"
        );
        assert_eq!(
            simple(&object, true).to_string(),
            "role=admin,firstName=Alex"
        );
        assert_eq!(simple(&json!([3, 4, 5]), false).to_string(), "3,4,5");
        assert_eq!(simple(&json!("blue"), false).to_string(), "blue");
        assert_eq!(simple(&7, true).to_string(), "7");
        let split: Vec<String> = pieces(&json!([1, "a"]))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(split, ["1", "a"]);
        assert_eq!(pieces(&5).len(), 1);
    }
}
