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
