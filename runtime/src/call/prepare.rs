//! Turning a request description into HTTP terms, once per call.

use bytes::Bytes;
use std::borrow::Cow;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue};

use crate::error::{BoxError, CallContext, InvalidRequestReason, MicroserviceError};
use crate::links;
use crate::options::CallOptions;
use crate::request::{Body, Method, Operation, Request};
use crate::response::Response;
use crate::session::ServiceClient;
use crate::target_url::{self, Target};

/// The header an idempotency key goes in when the spec names none.
const DEFAULT_IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A request turned into HTTP terms, reused by every attempt.
pub(super) struct Prepared {
    pub(super) operation: &'static Operation,
    /// The service's name, for the call's context.
    service: crate::session::ServiceName,
    /// What each attempt's URL is built from.
    pub(super) target: Target,
    /// The call's own headers (the caller's, an idempotency key); `None`
    /// for most calls, which have none, boxed so that they cost those
    /// calls' state one word.
    pub(super) headers: Option<Box<HeaderMap>>,
    /// The body and its `Content-Type`.
    pub(super) body: Option<(HeaderValue, Bytes)>,
    pub(super) replayable: bool,
}

impl Prepared {
    /// What errors and responses say about the call.
    pub(super) fn context(&self) -> CallContext {
        CallContext::of(self.service, self.operation)
    }

    /// The response of a call whose last attempt, its `attempts`th, was
    /// answered 2xx and read whole.
    #[inline]
    pub(super) fn respond(
        &self,
        status: u16,
        headers: Box<HeaderMap>,
        body: Bytes,
        attempts: u32,
    ) -> Response {
        Response {
            status,
            headers,
            body,
            context: self.context(),
            attempts,
        }
    }

    /// The HTTP method.
    pub(super) fn method(&self) -> reqwest::Method {
        http_method(self.operation.method)
    }
}

impl ServiceClient {
    /// `request` in HTTP terms. It is borrowed, and its body and key taken,
    /// rather than moved here whole.
    pub(super) fn prepare(&self, request: &mut Request) -> Result<Prepared, MicroserviceError> {
        // The common path is one straight line: every rarer step (a problem
        // found while building, headers, an idempotency key, an error) is a
        // call out of line, so that a call touches few lines of code.
        let operation = request.operation;
        if let Some(problem) = request.problem.take() {
            let (reason, detail) = *problem;
            return Err(self.invalid(operation, reason, detail.map(BoxError::from)));
        }
        let target = match Target::new(
            &self.state.base,
            operation.template(),
            &mut request.path_params,
            &mut request.query,
        ) {
            Ok(target) => target,
            Err(reason) => return Err(self.invalid(operation, reason, None)),
        };

        let options = self.options.as_deref();
        let has_extra = options.is_some_and(|options| !options.headers.is_empty());
        let mut headers = if request.headers.is_empty() && !has_extra && request.cookies.is_empty()
        {
            None
        } else {
            match caller_headers(request, options) {
                Ok(headers) => Some(Box::new(headers)),
                Err(reason) => return Err(self.invalid(operation, reason, None)),
            }
        };
        let keyed = (operation.idempotency_header.is_some() || request.idempotency_key.is_some())
            && self.idempotency_key(request, options, &mut headers)?;
        let body = match request.body.take() {
            None => None,
            Some(body) => Some(self.body(operation, body)?),
        };

        Ok(Prepared {
            operation,
            service: self.state.name,
            target,
            headers,
            body,
            replayable: operation.method.is_idempotent() || operation.idempotent || keyed,
        })
    }

    /// The error of a request that cannot be sent as described.
    #[cold]
    #[inline(never)]
    fn invalid(
        &self,
        operation: &'static Operation,
        reason: InvalidRequestReason,
        source: Option<BoxError>,
    ) -> MicroserviceError {
        MicroserviceError::invalid(CallContext::of(self.state.name, operation), reason, source)
    }

    /// Puts the call's idempotency key in `headers`. For an operation that
    /// declares an idempotency header: the handle's key, else the request's,
    /// else a generated one; otherwise the request's own key, if any, under
    /// `Idempotency-Key`. Whether a key went out.
    #[inline(never)]
    fn idempotency_key(
        &self,
        request: &mut Request,
        options: Option<&CallOptions>,
        headers: &mut Option<Box<HeaderMap>>,
    ) -> Result<bool, MicroserviceError> {
        let operation = request.operation;
        let own = request.idempotency_key.take();
        // A handle-wide key applies only to operations that declare an
        // idempotency header: elsewhere it would make every POST on the
        // handle retryable and give different calls the same key.
        let key = match operation.idempotency_header {
            Some(_) => options
                .and_then(|options| options.idempotency_key.clone())
                .or(own)
                .unwrap_or_else(generate_key),
            None => match own {
                Some(key) => key,
                None => return Ok(false),
            },
        };
        let header = operation
            .idempotency_header
            .unwrap_or(DEFAULT_IDEMPOTENCY_HEADER);
        let (name, value) =
            header_pair(header, &key).map_err(|reason| self.invalid(operation, reason, None))?;
        headers.get_or_insert_default().insert(name, value);
        Ok(true)
    }

    /// A request body in HTTP terms: its links resolved, its `Content-Type`
    /// checked.
    #[inline(never)]
    fn body(
        &self,
        operation: &'static Operation,
        body: Body,
    ) -> Result<(HeaderValue, Bytes), MicroserviceError> {
        let bytes = if body.json && !operation.link_fields.is_empty() {
            links::resolve_json_fields(
                &body.bytes,
                operation.link_fields,
                self.session.config().links(),
            )
            .map_err(|(field, error)| {
                self.invalid(operation, InvalidRequestReason::Link { field }, error)
            })?
        } else {
            body.bytes
        };
        let value = content_type(body.content_type).map_err(|_| {
            self.invalid(
                operation,
                InvalidRequestReason::Header {
                    name: header::CONTENT_TYPE.as_str().to_owned(),
                },
                None,
            )
        })?;
        Ok((value, bytes))
    }
}

/// The headers the caller set, on the request and on the handle, and its
/// cookies in one `Cookie` header.
#[cold]
#[inline(never)]
fn caller_headers(
    request: &Request,
    options: Option<&CallOptions>,
) -> Result<HeaderMap, InvalidRequestReason> {
    let mut headers = HeaderMap::new();
    let extra = options.into_iter().flat_map(|options| {
        options
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    });
    for (name, value) in request
        .headers
        .iter()
        .map(|(name, value)| (name.as_ref(), value.as_str()))
        .chain(extra)
    {
        let (name, value) = header_pair(name, value)?;
        headers.append(name, value);
    }
    if !request.cookies.is_empty() {
        let mut cookie = String::new();
        for (name, value) in &request.cookies {
            if !cookie.is_empty() {
                cookie.push_str("; ");
            }
            cookie.push_str(name);
            cookie.push('=');
            target_url::push_encoded(&mut cookie, value);
        }
        let (name, value) = header_pair(header::COOKIE.as_str(), &cookie)?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// A body's `Content-Type`. A type the generated code names statically is
/// checked and then shared, not copied.
fn content_type(content_type: Cow<'static, str>) -> Result<HeaderValue, InvalidHeaderValue> {
    match content_type {
        Cow::Borrowed(text) => HeaderValue::from_maybe_shared(Bytes::from_static(text.as_bytes())),
        Cow::Owned(text) => HeaderValue::from_str(&text),
    }
}

/// Validates a header pair; the value is never shown in the error.
pub(super) fn header_pair(
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), InvalidRequestReason> {
    let problem = || InvalidRequestReason::Header {
        name: name.to_owned(),
    };
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| problem())?;
    let value = HeaderValue::from_str(value).map_err(|_| problem())?;
    Ok((name, value))
}

/// The HTTP crate's method: GET and POST inline, the others out of line.
#[inline]
fn http_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        other => other_method(other),
    }
}

#[inline(never)]
fn other_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
        Method::Options => reqwest::Method::OPTIONS,
        Method::Patch => reqwest::Method::PATCH,
        Method::Trace => reqwest::Method::TRACE,
    }
}

/// A random version-4 UUID, used as an idempotency key when the caller gives
/// none.
fn generate_key() -> String {
    let high = fastrand::u64(..);
    let low = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        ((low >> 48) & 0x3fff) | 0x8000,
        low & 0xffff_ffff_ffff,
    )
}
