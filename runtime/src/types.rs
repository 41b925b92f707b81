//! The data types generated models use, for callers that build them.
//!
//! ```
//! use clientgen_runtime::types::{DateTime, Uuid};
//!
//! let at: DateTime = "2026-11-26T12:00:00Z".parse()?;
//! let id: Uuid = "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10".parse()?;
//! # let _ = (at, id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use chrono;
pub use uuid;

pub use crate::data::Base64;

/// `date-time` values (RFC 3339, UTC).
pub type DateTime = chrono::DateTime<chrono::Utc>;

/// `date` values.
pub type Date = chrono::NaiveDate;

/// `uuid` values.
pub type Uuid = uuid::Uuid;

/// Values of any JSON type.
pub type Json = serde_json::Value;

/// JSON objects with arbitrary keys (`additionalProperties`).
pub type Map<T> = std::collections::BTreeMap<String, T>;

/// An optional property that may also be `null`: three different things
/// on the wire, as PATCH semantics need them. `Absent` leaves the property
/// out (the field is skipped), `Null` sends `null` (clear the value), and
/// `Value` sends the value.
///
/// ```
/// use clientgen_runtime::types::Nullable;
///
/// let name: Nullable<String> = "Ada".to_owned().into();
/// assert_eq!(name.value(), Some(&"Ada".to_owned()));
/// assert!(Nullable::<String>::default().is_absent());
/// assert!(Nullable::<String>::Null.is_null());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nullable<T> {
    /// Not sent; what a received object without the property holds.
    #[default]
    Absent,
    /// Sent as `null`.
    Null,
    /// Sent as the value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the property is left out (serde's `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Whether the property is an explicit `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    /// The value, if there is one, by value.
    pub fn into_value(self) -> Option<T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

impl<T: serde::Serialize> serde::Serialize for Nullable<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(value) => serializer.serialize_some(value),
            // A field left out never reaches here (`skip_serializing_if`).
            Self::Absent | Self::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Nullable<T> {
    /// A property that is there is `null` or a value; one that is not is
    /// `Absent`, through the field's `#[serde(default)]`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| match value {
            Some(value) => Self::Value(value),
            None => Self::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Nullable;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Patch {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        name: Nullable<String>,
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        age: Nullable<u32>,
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        city: Nullable<String>,
    }

    #[test]
    fn absent_null_and_a_value_are_three_requests() {
        let patch = Patch {
            name: Nullable::Null,
            age: Nullable::Absent,
            city: "Oslo".to_owned().into(),
        };
        let text = serde_json::to_string(&patch).expect("serialises");
        assert_eq!(text, r#"{"name":null,"city":"Oslo"}"#);
        let back: Patch = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back, patch);
    }
}
