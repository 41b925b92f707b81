//! Tracing spans with OpenTelemetry's HTTP client attribute names.
//!
//! One `http.client.call` span per call and one `http.client.attempt` span
//! per attempt. Attributes: `http.request.method`, `server.address`,
//! `server.port`, `url.template`, `http.response.status_code`, `error.type`,
//! plus `service`, `operation` and `attempt`. No concrete URL, header or body
//! is ever recorded. Without a subscriber, a span is a disabled handle and
//! recording into it does nothing.

use tracing::Span;
use tracing::field::Empty;

use crate::error::MicroserviceError;
use crate::request::Operation;
use crate::response::Response;

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

/// Records how an attempt ended: the status it was answered with, or why it
/// was not.
pub(crate) fn record_attempt(span: &Span, status: Option<u16>, error_type: Option<&str>) {
    if span.is_disabled() {
        return;
    }
    if let Some(status) = status {
        span.record("http.response.status_code", status);
    }
    if let Some(error_type) = error_type {
        span.record("error.type", error_type);
    }
}

/// Records how a streaming call's head came back: its status and attempts,
/// or the error (recorded by [`record_call`]'s rules).
pub(crate) fn record_call_head(span: &Span, head: Result<(u16, u32), &MicroserviceError>) {
    if span.is_disabled() {
        return;
    }
    match head {
        Ok((status, attempts)) => {
            span.record("http.response.status_code", status);
            span.record("attempts", attempts);
        }
        Err(error) => record_error(span, error),
    }
}

/// Records how a call ended on its span.
pub(crate) fn record_call(span: &Span, result: &Result<Response, MicroserviceError>) {
    if span.is_disabled() {
        return;
    }
    match result {
        Ok(response) => {
            span.record("http.response.status_code", response.status());
            span.record("attempts", response.attempts());
        }
        Err(error) => record_error(span, error),
    }
}

/// Records the error a call ended with on its span.
fn record_error(span: &Span, error: &MicroserviceError) {
    if let Some(status) = error.status() {
        span.record("http.response.status_code", status);
    }
    span.record("error.type", error_type(error));
    span.record("attempts", error.attempts());
}

/// The OpenTelemetry `error.type` of an error.
fn error_type(error: &MicroserviceError) -> String {
    match error {
        MicroserviceError::Unavailable(error) => error.reason().as_str().to_owned(),
        MicroserviceError::Response(error) => error.status().to_string(),
        MicroserviceError::Unauthorized(error) => error.status().to_string(),
        MicroserviceError::Decode(_) => "decode_error".to_owned(),
        _ => "invalid_request".to_owned(),
    }
}
