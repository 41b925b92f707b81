//! Tracing spans with OpenTelemetry's HTTP client attribute names.
//!
//! One `http.client.call` span per call and one `http.client.attempt` span
//! per attempt. Attributes: `http.request.method`, `server.address`,
//! `server.port`, `url.template`, `http.response.status_code`, `error.type`,
//! plus `service`, `operation` and `attempt`. No concrete URL, header or body
//! is ever recorded.

use tracing::Span;
use tracing::field::Empty;

use crate::request::Operation;

/// The span of one call to the service at `base`. Its fields are computed
/// only when a subscriber listens.
pub(crate) fn call_span(service: &str, base: &url::Url, operation: &Operation) -> Span {
    tracing::info_span!(
        "http.client.call",
        otel.kind = "client",
        service = service,
        operation = operation.id,
        http.request.method = operation.method.as_str(),
        server.address = base.host_str().unwrap_or_default(),
        server.port = base.port_or_known_default().unwrap_or_default(),
        url.template = operation.path(),
        http.response.status_code = Empty,
        error.type = Empty,
        attempts = Empty,
    )
}

/// The span of one attempt.
pub(crate) fn attempt_span(attempt: u32) -> Span {
    tracing::debug_span!(
        "http.client.attempt",
        attempt = attempt,
        http.response.status_code = Empty,
        error.type = Empty,
    )
}

/// Whether a subscriber listens to attempt spans, asked without creating
/// one (a span created only to ask would reach the subscriber as an attempt
/// of its own). Without a subscriber at debug level, nearly always, the
/// answer is a load and a compare.
#[inline]
pub(crate) fn attempt_spans_listened() -> bool {
    tracing::level_enabled!(tracing::Level::DEBUG) && debug_spans_enabled()
}

#[cold]
#[inline(never)]
fn debug_spans_enabled() -> bool {
    tracing::span_enabled!(tracing::Level::DEBUG)
}

/// Records the outcome of an attempt or call on `span`.
pub(crate) fn record_outcome(span: &Span, status: Option<u16>, error_type: Option<&str>) {
    if let Some(status) = status {
        span.record("http.response.status_code", status);
    }
    if let Some(error_type) = error_type {
        span.record("error.type", error_type);
    }
}
