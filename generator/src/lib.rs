//! clientgen: turns OpenAPI 3.0/3.1 specs into typed Rust clients that run on
//! `clientgen-runtime`.
//!
//! The generation pipeline (load -> validate -> IR -> emit) lands with the
//! generator issue; this crate currently exposes the version that generated
//! files will name in their `@generated` header.

/// The generator's version, written into every generated file's header.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
