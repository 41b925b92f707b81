//! Runtime configurations pointed at local test servers.
#![allow(clippy::panic)] // Test support: a bad fixture is a bug in the test.

use std::time::Duration;

use clientgen_runtime::{Credentials, RuntimeConfig, RuntimeConfigBuilder, ServiceClient, Session};

/// The service name the runtime tests call.
pub const SERVICE: &str = "svc";

/// A builder with `service` at `url` and fast retries (1-5 ms backoff), so
/// tests exercise retries without waiting.
pub fn fast_config(service: &str, url: &str) -> RuntimeConfigBuilder {
    RuntimeConfig::builder()
        .service_url(service, url)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// `builder` with each of the six services at `url_of(service)`: a bearer
/// token (`t0ken`) for each, and an API key (`k3y`) for config and audit,
/// as the approvals flow's clients expect.
pub fn every_service(
    mut builder: RuntimeConfigBuilder,
    url_of: impl Fn(&str) -> String,
) -> RuntimeConfigBuilder {
    for service in [
        "auth",
        "notification",
        "leaves_wallet",
        "expensive_wallet",
        "config",
        "audit",
    ] {
        builder = builder
            .service_url(service, url_of(service))
            .credentials(service, Credentials::bearer("t0ken"));
    }
    for service in ["config", "audit"] {
        builder = builder.credentials(service, Credentials::api_key("k3y"));
    }
    builder
}

/// A handle on [`SERVICE`] at `url`, with fast retries and `tweak` applied.
///
/// # Panics
///
/// Panics if the configuration is invalid.
pub fn client(
    url: &str,
    tweak: impl FnOnce(RuntimeConfigBuilder) -> RuntimeConfigBuilder,
) -> ServiceClient {
    let config = tweak(fast_config(SERVICE, url))
        .build()
        .unwrap_or_else(|error| panic!("test configuration is invalid: {error}"));
    Session::new(config)
        .and_then(|session| session.service(SERVICE))
        .unwrap_or_else(|error| panic!("test session could not be built: {error}"))
}

/// A wire value (a date-time, a UUID) decoded the way the generated clients
/// decode it.
///
/// # Panics
///
/// Panics if `value` does not decode as `T`.
pub fn wire<T: serde::de::DeserializeOwned>(value: &str) -> T {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .unwrap_or_else(|error| panic!("{value:?} is not a valid wire value: {error}"))
}

/// The one request `server` received.
///
/// # Panics
///
/// Panics unless exactly one request arrived.
pub fn only_request(server: &crate::server::TestServer) -> crate::server::RecordedRequest {
    let mut seen = server.requests();
    assert!(
        seen.len() == 1,
        "expected exactly one request, got {seen:?}"
    );
    seen.remove(0)
}
