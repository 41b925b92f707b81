//! Tracing output of calls: OpenTelemetry attribute names, and no secrets.
//!
//! Alone in its own test binary: `tracing` caches callsite interest per
//! process, so a scoped subscriber shared with parallel tests would miss spans.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use clientgen_runtime::Credentials;
use clientgen_runtime::auth::{ApiKeyLocation, AuthScheme};
use clientgen_runtime::codegen::{Method, Operation, Request, Security};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};

static ME: Operation = Operation::new("getCurrentUser", Method::Get, "/me").security(Security {
    requirements: &[&[AuthScheme::Bearer]],
    optional: false,
});
static EVENTS: Operation =
    Operation::new("listEvents", Method::Get, "/events").security(Security {
        requirements: &[&[AuthScheme::ApiKey {
            location: ApiKeyLocation::Query,
            name: "api_key",
        }]],
        optional: false,
    });

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tracing_output_has_otel_attributes_and_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::scripted(vec![Reply::status(503), Reply::status(401)]).await;
    let svc = client(&server.url(), |config| {
        config.credentials("svc", Credentials::bearer("tok-hunter2"))
    });
    let error = svc.execute(Request::new(&ME)).await.unwrap_err();
    assert!(error.is_unauthorized());
    let keyed = client(&server.url(), |config| {
        config.credentials("svc", Credentials::api_key("key-hunter2"))
    });
    keyed.execute(Request::new(&EVENTS)).await.unwrap_err();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for attribute in [
        "http.request.method=\"GET\"",
        "server.address=\"127.0.0.1\"",
        "url.template=\"/me\"",
        "http.response.status_code=401",
        "error.type=\"401\"",
        "operation=\"getCurrentUser\"",
        "attempt=2",
    ] {
        assert!(text.contains(attribute), "missing {attribute} in:\n{text}");
    }
    assert!(!text.contains("hunter2"), "secret leaked:\n{text}");
}
