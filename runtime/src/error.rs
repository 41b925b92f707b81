//! The one error type every client call returns, and its categories.
//!
//! [`MicroserviceError`] is the base of the plan's hierarchy. Its variants map
//! one-to-one to the plan's classes (`ServiceUnavailableError`,
//! `ServiceResponseError`, `UnauthorizedServiceError`) plus two named cases the
//! plan left implicit: a 2xx body that cannot be decoded, and a request that was
//! refused before it was sent (bad input or configuration).
//!
//! Every error carries a [`CallContext`] (service, operation, method, URL
//! template). None of them stores a concrete URL, a header value or a token,
//! so `Display`, `Debug` and tracing output never show a secret.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use std::sync::Arc;

use crate::transport::Method;

/// A boxed error used as the `source` of runtime errors.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The fixed facts of the call an error belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct CallContext {
    service: Arc<str>,
    operation: &'static str,
    method: Method,
    url_template: &'static str,
}

impl CallContext {
    /// Describes a call of `operation` (`method` `url_template`) on `service`.
    #[cfg(test)]
    pub(crate) fn new(
        service: &str,
        operation: &'static str,
        method: Method,
        url_template: &'static str,
    ) -> Self {
        Self {
            service: Arc::from(service),
            operation,
            method,
            url_template,
        }
    }

    /// Describes a call of `operation` on `service`, sharing its name.
    pub(crate) fn shared(
        service: &Arc<str>,
        operation: &'static str,
        method: Method,
        url_template: &'static str,
    ) -> Self {
        Self {
            service: Arc::clone(service),
            operation,
            method,
            url_template,
        }
    }

    /// The upstream service's name, e.g. `auth`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The operation id from the spec, e.g. `getUser`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL template from the spec, e.g. `/users/{user_id}` (never the
    /// concrete URL, which may hold identifiers or secrets).
    pub fn url_template(&self) -> &'static str {
        self.url_template
    }
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} ({} {})",
            self.service, self.operation, self.method, self.url_template
        )
    }
}

/// The category of a [`MicroserviceError`], for callers that only branch on
/// the kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// The upstream could not be reached or did not answer in time
    /// (the plan's `ServiceUnavailableError`).
    Unavailable,
    /// The upstream answered with a 4xx or 5xx status other than 401/403
    /// (the plan's `ServiceResponseError`).
    Response,
    /// The upstream refused the credentials: 401 or 403
    /// (the plan's `UnauthorizedServiceError`).
    Unauthorized,
    /// The upstream answered 2xx with a body that could not be decoded.
    Decode,
    /// The request was refused before it was sent: invalid input or
    /// configuration.
    InvalidRequest,
}

/// The error every generated client method returns.
///
/// Match on the variant for details, or use [`category`](Self::category) and
/// the predicates. Display describes this layer only; the rest of the story is
/// in [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MicroserviceError {
    /// The service could not be reached: connect failure (DNS, refused, TLS),
    /// timeout, connection reset, or an open circuit breaker.
    #[error(transparent)]
    Unavailable(Box<ServiceUnavailableError>),
    /// The service answered with an error status (4xx other than 401/403, or 5xx).
    #[error(transparent)]
    Response(Box<ServiceResponseError>),
    /// The service answered 401 or 403.
    #[error(transparent)]
    Unauthorized(Box<UnauthorizedServiceError>),
    /// The service answered 2xx, but its body could not be decoded.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The request was refused before anything was sent.
    #[error(transparent)]
    InvalidRequest(Box<InvalidRequestError>),
}

impl MicroserviceError {
    /// The category of this error.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Unavailable(_) => ErrorCategory::Unavailable,
            Self::Response(_) => ErrorCategory::Response,
            Self::Unauthorized(_) => ErrorCategory::Unauthorized,
            Self::Decode(_) => ErrorCategory::Decode,
            Self::InvalidRequest(_) => ErrorCategory::InvalidRequest,
        }
    }

    /// The call this error belongs to.
    pub fn context(&self) -> &CallContext {
        match self {
            Self::Unavailable(e) => &e.context,
            Self::Response(e) => &e.details.context,
            Self::Unauthorized(e) => &e.details.context,
            Self::Decode(e) => &e.context,
            Self::InvalidRequest(e) => &e.context,
        }
    }

    /// The HTTP status the upstream answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Response(e) => Some(e.details.status),
            Self::Unauthorized(e) => Some(e.details.status),
            Self::Decode(e) => Some(e.status),
            Self::Unavailable(_) | Self::InvalidRequest(_) => None,
        }
    }

    /// Whether trying the same call again later may succeed: the service was
    /// unavailable, or it answered 429, 502, 503 or 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Response(e) => crate::retry::policy::is_retryable_status(e.details.status),
            Self::Unauthorized(_) | Self::Decode(_) | Self::InvalidRequest(_) => false,
        }
    }

    /// Whether this is the unavailable category.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// Whether this is the response category (4xx other than 401/403, 5xx).
    pub fn is_response(&self) -> bool {
        matches!(self, Self::Response(_))
    }

    /// Whether the upstream refused the credentials (401, 403).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Unauthorized(_))
    }

    /// Whether a 2xx body could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode(_))
    }

    /// Whether the request was refused before it was sent.
    pub fn is_invalid_request(&self) -> bool {
        matches!(self, Self::InvalidRequest(_))
    }

    /// The typed error body the spec declares for this status, if the
    /// upstream sent one that decoded as `T`.
    pub fn body<T: Any>(&self) -> Option<&T> {
        match self {
            Self::Response(e) => e.details.body(),
            Self::Unauthorized(e) => e.details.body(),
            _ => None,
        }
    }

    /// A bounded, lossy UTF-8 excerpt of the upstream's response body.
    pub fn body_excerpt(&self) -> Option<&str> {
        match self {
            Self::Response(e) => Some(&e.details.excerpt),
            Self::Unauthorized(e) => Some(&e.details.excerpt),
            Self::Decode(e) => Some(&e.excerpt),
            _ => None,
        }
    }

    /// How many attempts were made before this error was returned (0 when
    /// nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Unavailable(e) => e.attempts,
            Self::Response(e) => e.details.attempts,
            Self::Unauthorized(e) => e.details.attempts,
            Self::Decode(e) => e.attempts,
            Self::InvalidRequest(_) => 0,
        }
    }
}

/// Why a service was unavailable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnavailableReason {
    /// No connection could be made: DNS failure, refused, unreachable, TLS.
    Connect,
    /// One attempt took longer than the per-attempt timeout.
    AttemptTimeout,
    /// The whole call, retries included, ran past its deadline.
    DeadlineExceeded,
    /// The connection broke while the request or response was in flight.
    ConnectionReset,
    /// A streamed body sent nothing for longer than the stream's idle
    /// timeout.
    IdleTimeout,
    /// The service's circuit breaker is open: no request was sent.
    CircuitOpen,
}

impl UnavailableReason {
    /// The value of the OpenTelemetry `error.type` attribute for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect_error",
            Self::AttemptTimeout => "timeout",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::ConnectionReset => "connection_reset",
            Self::IdleTimeout => "idle_timeout",
            Self::CircuitOpen => "circuit_open",
        }
    }
}

impl fmt::Display for UnavailableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect",
            Self::AttemptTimeout => "attempt timed out",
            Self::DeadlineExceeded => "deadline exceeded",
            Self::ConnectionReset => "connection reset",
            Self::IdleTimeout => "stream idle for too long",
            Self::CircuitOpen => "circuit breaker open",
        })
    }
}

/// The service could not be reached (the plan's `ServiceUnavailableError`).
#[derive(Debug, thiserror::Error)]
#[error("{} service unavailable ({reason}) calling {context}", context.service)]
pub struct ServiceUnavailableError {
    pub(crate) context: CallContext,
    pub(crate) reason: UnavailableReason,
    pub(crate) attempts: u32,
    #[source]
    pub(crate) source: Option<BoxError>,
}

impl ServiceUnavailableError {
    /// The call that failed.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// Why the service was unavailable.
    pub fn reason(&self) -> UnavailableReason {
        self.reason
    }

    /// Attempts made (0 when the breaker refused the first one).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// A decoded error body, kept type-erased until the caller asks for its type.
pub trait ErrorBody: Any + fmt::Debug + Send + Sync {}

impl<T: Any + fmt::Debug + Send + Sync> ErrorBody for T {}

/// What an upstream said when it answered with an error status.
#[derive(Debug)]
pub struct ResponseDetails {
    pub(crate) context: CallContext,
    pub(crate) status: u16,
    pub(crate) excerpt: String,
    pub(crate) body: Option<Box<dyn ErrorBody>>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
}

impl ResponseDetails {
    /// The call that failed.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A bounded, lossy UTF-8 excerpt of the body.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }

    /// The decoded error body, when the spec declares one for this status and
    /// the body decoded as `T`.
    pub fn body<T: Any>(&self) -> Option<&T> {
        let body: &dyn Any = self.body.as_deref()?;
        body.downcast_ref()
    }

    /// The delay the upstream asked for in `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// The upstream answered 4xx (other than 401/403) or 5xx (the plan's
/// `ServiceResponseError`).
#[derive(Debug, thiserror::Error)]
#[error("{} service answered {} to {}", details.context.service, details.status, details.context)]
pub struct ServiceResponseError {
    pub(crate) details: ResponseDetails,
}

impl std::ops::Deref for ServiceResponseError {
    type Target = ResponseDetails;

    fn deref(&self) -> &ResponseDetails {
        &self.details
    }
}

/// The upstream refused the call's credentials with 401 or 403 (the plan's
/// `UnauthorizedServiceError`).
#[derive(Debug, thiserror::Error)]
#[error("{} service refused the credentials ({}) for {}", details.context.service, details.status, details.context)]
pub struct UnauthorizedServiceError {
    pub(crate) details: ResponseDetails,
}

impl std::ops::Deref for UnauthorizedServiceError {
    type Target = ResponseDetails;

    fn deref(&self) -> &ResponseDetails {
        &self.details
    }
}

/// Why a 2xx body could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeReason {
    /// The body is not the JSON the spec describes.
    Json,
    /// The body is not valid UTF-8 text.
    Text,
    /// The body is larger than the configured maximum.
    BodyTooLarge,
    /// A list's next page is one already read (the same cursor, URL,
    /// offset or page): following it would never end.
    PageLoop,
    /// A list's next page is on another origin than the service's base
    /// URL; the service's credentials are not sent there.
    ForeignPage,
}

impl fmt::Display for DecodeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "body does not match the expected JSON",
            Self::Text => "body is not UTF-8 text",
            Self::BodyTooLarge => "body exceeds the size limit",
            Self::PageLoop => "next page repeats one already read",
            Self::ForeignPage => "next page is on another origin",
        })
    }
}

/// A 2xx response whose body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("{} service answered {} to {}, but the {reason}", context.service, status, context)]
pub struct DecodeError {
    pub(crate) context: CallContext,
    pub(crate) status: u16,
    pub(crate) reason: DecodeReason,
    pub(crate) excerpt: String,
    pub(crate) attempts: u32,
    #[source]
    pub(crate) source: Option<BoxError>,
}

impl DecodeError {
    /// The call whose response failed to decode.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// The (successful) status the body came with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Why decoding failed.
    pub fn reason(&self) -> DecodeReason {
        self.reason
    }

    /// A bounded, lossy UTF-8 excerpt of the body.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

/// Why a request was refused before it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidRequestReason {
    /// A path parameter is empty, `.` or `..`, which cannot travel as one segment.
    PathParameter {
        /// The parameter's name in the URL template.
        name: String,
    },
    /// A parameter's value could not be written: its `Display` failed.
    Value {
        /// The parameter's name.
        name: String,
    },
    /// A header name or value is not valid (e.g. the value holds CR or LF).
    Header {
        /// The header's name (the value is never shown).
        name: String,
    },
    /// The request body could not be serialised.
    Body,
    /// A field marked as a frontend link was refused by the link resolver.
    Link {
        /// JSON pointer of the field inside the body.
        field: String,
    },
    /// The operation requires credentials that are not configured.
    MissingCredentials {
        /// What the spec accepts, e.g. `bearer token or API key`.
        accepted: String,
        /// The environment variable that would provide them.
        hint: String,
    },
    /// The credentials provider failed to produce a token.
    Credentials,
}

impl InvalidRequestReason {
    /// Why the value of the parameter `name` was refused: its `Display`
    /// failed.
    #[cold]
    pub(crate) fn unwritable(name: &str) -> Self {
        Self::Value {
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for InvalidRequestReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PathParameter { name } => {
                write!(f, "path parameter `{name}` must not be empty, `.` or `..`")
            }
            Self::Value { name } => {
                write!(f, "the value of parameter `{name}` could not be written")
            }
            Self::Header { name } => write!(f, "header `{name}` has an invalid name or value"),
            Self::Body => f.write_str("the request body could not be serialised"),
            Self::Link { field } => write!(f, "link field `{field}` was refused"),
            Self::MissingCredentials { accepted, hint } => {
                write!(f, "the operation requires {accepted}; set {hint}")
            }
            Self::Credentials => f.write_str("the credentials provider failed"),
        }
    }
}

/// A request refused before it was sent: invalid input or configuration.
#[derive(Debug, thiserror::Error)]
#[error("invalid request to {context}: {reason}")]
pub struct InvalidRequestError {
    pub(crate) context: CallContext,
    pub(crate) reason: InvalidRequestReason,
    #[source]
    pub(crate) source: Option<BoxError>,
}

impl InvalidRequestError {
    /// The call that was refused.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// Why it was refused.
    pub fn reason(&self) -> &InvalidRequestReason {
        &self.reason
    }
}

/// The constructors are `#[cold]`: every call site is an error path, which the
/// compiler then lays out away from the path a successful call runs.
impl MicroserviceError {
    #[cold]
    pub(crate) fn unavailable(
        context: CallContext,
        reason: UnavailableReason,
        attempts: u32,
        source: Option<BoxError>,
    ) -> Self {
        Self::Unavailable(Box::new(ServiceUnavailableError {
            context,
            reason,
            attempts,
            source,
        }))
    }

    #[cold]
    pub(crate) fn invalid(
        context: CallContext,
        reason: InvalidRequestReason,
        source: Option<BoxError>,
    ) -> Self {
        Self::InvalidRequest(Box::new(InvalidRequestError {
            context,
            reason,
            source,
        }))
    }

    #[cold]
    pub(crate) fn from_status(details: ResponseDetails) -> Self {
        if matches!(details.status, 401 | 403) {
            Self::Unauthorized(Box::new(UnauthorizedServiceError { details }))
        } else {
            Self::Response(Box::new(ServiceResponseError { details }))
        }
    }

    #[cold]
    pub(crate) fn decode(
        context: CallContext,
        status: u16,
        reason: DecodeReason,
        body: &[u8],
        attempts: u32,
        source: Option<BoxError>,
    ) -> Self {
        Self::Decode(Box::new(DecodeError {
            context,
            status,
            reason,
            excerpt: excerpt(body),
            attempts,
            source,
        }))
    }
}

/// The most bytes of a body kept in an error's excerpt.
pub const EXCERPT_LIMIT: usize = 512;

/// A lossy UTF-8 excerpt of at most [`EXCERPT_LIMIT`] bytes, cut on a
/// character boundary, with `…` appended when truncated.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let cut = body.len().min(EXCERPT_LIMIT);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if cut < body.len() {
        // A multi-byte character split at the cut shows as U+FFFD; drop it.
        if text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> CallContext {
        CallContext::new("auth", "getUser", Method::Get, "/users/{user_id}")
    }

    fn details(status: u16) -> ResponseDetails {
        ResponseDetails {
            context: context(),
            status,
            excerpt: "{\"detail\":\"nope\"}".into(),
            body: Some(Box::new(String::from("typed"))),
            retry_after: None,
            attempts: 1,
        }
    }

    #[test]
    fn statuses_map_to_categories() {
        assert_eq!(
            MicroserviceError::from_status(details(401)).category(),
            ErrorCategory::Unauthorized
        );
        assert_eq!(
            MicroserviceError::from_status(details(403)).category(),
            ErrorCategory::Unauthorized
        );
        for status in [400, 404, 409, 422, 429, 500, 503] {
            let error = MicroserviceError::from_status(details(status));
            assert_eq!(error.category(), ErrorCategory::Response);
            assert_eq!(error.status(), Some(status));
        }
    }

    #[test]
    fn retryable_only_for_transient_conditions() {
        assert!(MicroserviceError::from_status(details(503)).is_retryable());
        assert!(MicroserviceError::from_status(details(429)).is_retryable());
        assert!(!MicroserviceError::from_status(details(500)).is_retryable());
        assert!(!MicroserviceError::from_status(details(404)).is_retryable());
        assert!(!MicroserviceError::from_status(details(401)).is_retryable());
        let refused =
            MicroserviceError::unavailable(context(), UnavailableReason::Connect, 3, None);
        assert!(refused.is_retryable());
        assert_eq!(refused.attempts(), 3);
        let invalid = MicroserviceError::invalid(context(), InvalidRequestReason::Body, None);
        assert!(!invalid.is_retryable());
    }

    #[test]
    fn typed_body_downcasts_to_its_own_type_only() {
        let error = MicroserviceError::from_status(details(404));
        assert_eq!(error.body::<String>().map(String::as_str), Some("typed"));
        assert!(error.body::<u32>().is_none());
    }

    #[test]
    fn display_names_service_operation_and_template_without_repeating_source() {
        let source: BoxError = "tcp connect error: Connection refused".into();
        let error =
            MicroserviceError::unavailable(context(), UnavailableReason::Connect, 1, Some(source));
        let shown = error.to_string();
        assert_eq!(
            shown,
            "auth service unavailable (could not connect) calling auth.getUser (GET /users/{user_id})"
        );
        let chain = StdError::source(&error).map(ToString::to_string);
        assert_eq!(
            chain.as_deref(),
            Some("tcp connect error: Connection refused")
        );
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_char_boundary() {
        let body = "é".repeat(EXCERPT_LIMIT);
        let text = excerpt(body.as_bytes());
        assert!(text.len() <= EXCERPT_LIMIT + '…'.len_utf8());
        assert!(text.ends_with('…'));
        assert!(!text.contains('\u{FFFD}'));
        assert_eq!(excerpt(b"short"), "short");
    }
}
