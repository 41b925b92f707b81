//! A request description turned into what every attempt sends: the URL,
//! the headers and the body, checked once per call.

use bytes::Bytes;

use crate::encoding;
use crate::error::{BoxError, CallContext, InvalidRequestReason, MicroserviceError};
use crate::links;
use crate::request::{Body, BodyKind, Operation, Request};
use crate::request_url::{self, UrlProblem};
use crate::session::ServiceClient;
use crate::transport::{Headers, HttpRequest, RequestBody};

/// The header an idempotency key goes in when the spec names none.
const DEFAULT_IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A call's request, ready for its attempts.
pub(super) struct Prepared {
    pub(super) operation: &'static Operation,
    pub(super) context: CallContext,
    url: url::Url,
    headers: Headers,
    body: RequestBody,
    /// Whether sending it twice is safe: an idempotent method or operation,
    /// or an idempotency key that is the same on every attempt.
    pub(super) replayable: bool,
}

impl Prepared {
    /// Whether the body can be sent again (it is not a stream).
    pub(super) fn body_replayable(&self) -> bool {
        self.body.is_replayable()
    }

    /// The request of one attempt, before credentials.
    pub(super) fn attempt_request(&self) -> HttpRequest {
        let mut request = HttpRequest::new(self.operation.method, self.url.clone());
        request.headers = self.headers.clone();
        request.body = self.body.clone();
        request.operation = self.operation.id;
        request.service = self.operation.service;
        request
    }
}

impl ServiceClient {
    /// `request` as the HTTP request every attempt sends.
    ///
    /// Each header name is sent once. The most specific value wins: the
    /// runtime's own (the body's `Content-Type`, the idempotency key, then
    /// credentials, placed per attempt) over the operation's header and
    /// cookie parameters (the last value given for a name), over headers
    /// set on the handle's [`CallOptions`](crate::CallOptions). A handle
    /// never sends an idempotency key of its own: `Idempotency-Key` and the
    /// operation's idempotency header are dropped from its headers, since
    /// one key on many calls makes the upstream take them for one. A cookie
    /// credential joins the `Cookie` header; cookie parameters replace a
    /// `Cookie` header set on the handle.
    pub(super) fn prepare(
        &self,
        request: Request,
        context: CallContext,
    ) -> Result<Prepared, MicroserviceError> {
        let operation = request.operation;
        let invalid = |reason, source: Option<BoxError>| {
            MicroserviceError::invalid(context.clone(), reason, source)
        };
        if let Some(problem) = request.problem {
            let (reason, detail) = *problem;
            return Err(invalid(reason, detail.map(BoxError::from)));
        }
        let url = match request.url {
            Some(url) => url,
            None => request_url::build(
                &self.state.base,
                operation.path(),
                &request.path_params,
                &request.query,
            )
            .map_err(|UrlProblem::PathParameter(name)| {
                invalid(InvalidRequestReason::PathParameter { name }, None)
            })?,
        };

        let header_error = |invalid_header: crate::transport::InvalidHeader| {
            invalid(
                InvalidRequestReason::Header {
                    name: invalid_header.name,
                },
                None,
            )
        };
        let mut headers = Headers::new();
        if let Some(options) = self.options.as_deref() {
            let is_key = |name: &str| {
                name.eq_ignore_ascii_case(DEFAULT_IDEMPOTENCY_HEADER)
                    || operation
                        .idempotency_header
                        .is_some_and(|header| name.eq_ignore_ascii_case(header))
            };
            for (name, value) in options.headers.iter().filter(|(name, _)| !is_key(name)) {
                headers.insert(name, value).map_err(header_error)?;
            }
        }
        let mut own = Headers::new();
        for (name, value) in &request.headers {
            own.insert(name, value).map_err(header_error)?;
        }
        if !request.cookies.is_empty() {
            own.insert("cookie", &cookie_header(&request.cookies))
                .map_err(header_error)?;
        }
        headers.overlay(&own);

        let body = match request.body {
            None => RequestBody::empty(),
            Some(body) => {
                headers
                    .insert("content-type", &body.content_type)
                    .map_err(header_error)?;
                if body.kind == BodyKind::Stream {
                    body.stream
                } else {
                    let bytes = self
                        .body_bytes(operation, body)
                        .map_err(|(reason, source)| invalid(reason, source))?;
                    RequestBody::from_bytes(bytes)
                }
            }
        };

        let key = match (request.idempotency_key, operation.idempotency_header) {
            (Some(key), header) => Some((key, header.unwrap_or(DEFAULT_IDEMPOTENCY_HEADER))),
            (None, Some(header)) => Some((generate_key(), header)),
            (None, None) => None,
        };
        if let Some((key, header)) = &key {
            headers.insert(header, key).map_err(header_error)?;
        }
        Ok(Prepared {
            operation,
            replayable: body.is_replayable()
                && (operation.method.is_idempotent() || operation.idempotent || key.is_some()),
            context,
            url,
            headers,
            body,
        })
    }
}

impl ServiceClient {
    /// A body's bytes as sent: the link fields of a JSON body or form
    /// resolved against `FRONTEND_URL`, a form then encoded.
    fn body_bytes(
        &self,
        operation: &Operation,
        body: Body,
    ) -> Result<Bytes, (InvalidRequestReason, Option<BoxError>)> {
        let links = operation.link_fields;
        let bytes = match body.kind {
            BodyKind::Raw | BodyKind::Stream => return Ok(body.bytes),
            BodyKind::Json | BodyKind::Form if links.is_empty() => body.bytes,
            BodyKind::Json | BodyKind::Form => {
                links::resolve_json_fields(&body.bytes, links, self.session.config().links())
                    .map_err(|(field, source)| (InvalidRequestReason::Link { field }, source))?
            }
        };
        if body.kind == BodyKind::Json {
            return Ok(bytes);
        }
        let fields: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|error| (InvalidRequestReason::Body, Some(BoxError::from(error))))?;
        let pairs = encoding::flatten("", &fields, encoding::Nesting::Brackets)
            .map_err(|error| (InvalidRequestReason::Body, Some(BoxError::from(error))))?;
        Ok(encoding::urlencode(&pairs).into())
    }
}

/// Cookie parameters in one `Cookie` header, values percent-encoded.
fn cookie_header(cookies: &[(&'static str, String)]) -> String {
    let mut header = String::new();
    for (name, value) in cookies {
        if !header.is_empty() {
            header.push_str("; ");
        }
        header.push_str(name);
        header.push('=');
        encoding::push_encoded(&mut header, value);
    }
    header
}

/// A random version-4 UUID: the idempotency key of a call whose caller gave
/// none. Every call gets its own; its attempts share it.
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
