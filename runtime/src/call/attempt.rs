//! One attempt: its request built from the prepared call, how it ended,
//! and what that ending means for the call. The exchange on the wire is
//! `exchange.rs`.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;

use super::Plan;
use super::credentials::Applied;
use super::exchange::{Exchange, Limit};
use super::prepare::Prepared;
use crate::breaker::CallVerdict;
use crate::error::{
    BoxError, CallContext, DecodeReason, ErrorBody, MicroserviceError, ResponseDetails,
    UnavailableReason, excerpt,
};
use crate::response::Response;
use crate::retry::{AttemptOutcome, retry_after};
use crate::session::ServiceClient;

/// How one attempt ended.
pub(super) enum Attempt {
    /// The upstream answered and the body was read.
    Answered {
        status: u16,
        headers: Box<HeaderMap>,
        body: Bytes,
    },
    /// The upstream answered with a body over the limit; `prefix` holds its
    /// first bytes.
    TooLarge {
        status: u16,
        headers: Box<HeaderMap>,
        prefix: Bytes,
    },
    /// No answer.
    Failed {
        reason: UnavailableReason,
        source: Option<BoxError>,
    },
}

/// Whether `status` is a success: a 2xx answer read whole is the call's
/// result.
#[inline]
pub(super) fn succeeded(status: u16) -> bool {
    (200..300).contains(&status)
}

impl Attempt {
    pub(super) fn status(&self) -> Option<u16> {
        match self {
            Self::Answered { status, .. } | Self::TooLarge { status, .. } => Some(*status),
            Self::Failed { .. } => None,
        }
    }

    /// Whether the attempt was cut short by the call's overall deadline.
    pub(super) fn is_deadline(&self) -> bool {
        matches!(
            self,
            Self::Failed {
                reason: UnavailableReason::DeadlineExceeded,
                ..
            }
        )
    }

    #[inline]
    pub(super) fn verdict(&self) -> CallVerdict {
        self.status()
            .map_or(CallVerdict::Failed, CallVerdict::from_status)
    }

    pub(super) fn outcome(&self) -> AttemptOutcome {
        match self {
            Self::Answered {
                status, headers, ..
            }
            | Self::TooLarge {
                status, headers, ..
            } => AttemptOutcome::Status {
                status: *status,
                // A success is never retried: its headers are not searched.
                retry_after: if succeeded(*status) {
                    None
                } else {
                    retry_after_of(headers)
                },
            },
            Self::Failed { reason, .. } => match reason {
                UnavailableReason::Connect => AttemptOutcome::Connect,
                UnavailableReason::ConnectionReset => AttemptOutcome::Reset,
                _ => AttemptOutcome::Timeout,
            },
        }
    }
}

fn retry_after_of(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    retry_after::parse(value, std::time::SystemTime::now())
}

impl ServiceClient {
    /// One attempt. The request is built and handed to the pool when this
    /// is called; the returned future holds only the exchange in flight and
    /// its deadline.
    pub(super) fn attempt(
        &self,
        prepared: &Prepared,
        applied: Applied,
        plan: &Plan,
        now: Instant,
    ) -> Exchange<impl Future<Output = reqwest::Result<reqwest::Response>> + Unpin + Send + use<>>
    {
        let remaining = plan.deadline.saturating_duration_since(now);
        let (duration, limit) = if remaining <= plan.attempt_timeout {
            (remaining, Limit::Deadline)
        } else {
            (plan.attempt_timeout, Limit::Attempt)
        };
        // Each attempt builds its URL from the prepared path and query (a
        // copy of the base URL, the path and query set in place), which
        // reqwest then owns: one copy per attempt, where keeping a prepared
        // URL took a second.
        let url = prepared.target.url(&self.state.base);
        let mut request = reqwest::Request::new(prepared.method(), url);
        // Headers go straight into the request's own map; most calls have
        // none of their own to copy first ([`put`]). The rarer steps are
        // calls out of line, so that the common path is one straight line of
        // code.
        let own = prepared.headers.as_deref();
        if let Some(own) = own {
            copy_headers(&mut request, own);
        }
        if let Some((content_type, body)) = &prepared.body {
            attach_body(&mut request, content_type, body, own.is_some());
        }
        if !matches!(applied, Applied::Nothing) {
            apply(&mut request, applied, own.is_some());
        }
        let sending = self.session.http().execute(request);
        Exchange::new(
            sending,
            now,
            duration,
            limit,
            self.session.config().max_body_bytes,
        )
    }

    /// Maps how the last attempt ended to the call's result.
    pub(super) fn finish(
        &self,
        prepared: &Prepared,
        attempt: Attempt,
        attempts: u32,
    ) -> Result<Response, MicroserviceError> {
        match attempt {
            Attempt::Answered {
                status,
                headers,
                body,
            } if succeeded(status) => Ok(prepared.respond(status, headers, body, attempts)),
            attempt => Err(failure(prepared, attempt, attempts)),
        }
    }
}

/// Copies a call's own headers into its attempt's request, whose map is
/// still empty.
#[inline(never)]
fn copy_headers(request: &mut reqwest::Request, own: &HeaderMap) {
    request.headers_mut().clone_from(own);
}

/// Attaches a body and its `Content-Type`, which replaces one among the
/// call's own headers (`own`).
#[inline(never)]
fn attach_body(
    request: &mut reqwest::Request,
    content_type: &HeaderValue,
    body: &Bytes,
    own: bool,
) {
    put(
        request.headers_mut(),
        header::CONTENT_TYPE,
        content_type.clone(),
        own,
    );
    *request.body_mut() = Some(body.clone().into());
}

/// Sets `name` in `headers`: inserted, replacing what is there, when the map
/// `may_hold` the name already; else appended, which into a map without the
/// name is inserting, on the path reqwest itself takes for every request.
fn put(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue, may_hold: bool) {
    if may_hold {
        headers.insert(name, value);
    } else {
        headers.append(name, value);
    }
}

/// Adds credentials to a request: a header replaces one of the same name
/// among the call's own headers (`own`), or a body's `Content-Type`; a
/// cookie goes beside other cookies; a query parameter after the others.
#[inline(never)]
fn apply(request: &mut reqwest::Request, applied: Applied, own: bool) {
    match applied {
        Applied::Nothing => {}
        Applied::Header(name, value) => {
            // A body's `Content-Type` is in the map already.
            let may_hold = own || name == header::CONTENT_TYPE;
            put(request.headers_mut(), name, value, may_hold);
        }
        Applied::Cookie(value) => {
            request.headers_mut().append(header::COOKIE, value);
        }
        Applied::Query(name, secret) => {
            request
                .url_mut()
                .query_pairs_mut()
                .append_pair(name, secret.expose());
        }
    }
}

/// The error a call ends with when its last attempt was anything but a 2xx
/// response read whole: [`ServiceClient::finish`] and the fast path take
/// those first, so an `Answered` here is a status error.
#[cold]
fn failure(prepared: &Prepared, attempt: Attempt, attempts: u32) -> MicroserviceError {
    let context = prepared.context();
    match attempt {
        Attempt::TooLarge { status, prefix, .. } if succeeded(status) => MicroserviceError::decode(
            context,
            status,
            DecodeReason::BodyTooLarge,
            &prefix,
            attempts,
            None,
        ),
        Attempt::Answered {
            status,
            headers,
            body,
        } => {
            debug_assert!(!succeeded(status), "a 2xx answer is a response");
            let decoded = prepared
                .operation
                .error_decoder
                .and_then(|decode| decode(status, &body));
            status_error(context, status, &headers, &body, decoded, attempts)
        }
        // Over the limit: no typed body is decoded from a part of one.
        Attempt::TooLarge {
            status,
            headers,
            prefix,
        } => status_error(context, status, &headers, &prefix, None, attempts),
        Attempt::Failed { reason, source } => {
            MicroserviceError::unavailable(context, reason, attempts, source)
        }
    }
}

/// The error of an answer with a non-2xx `status`: `read` is what was read
/// of its body, `body` the typed error body decoded from it.
fn status_error(
    context: CallContext,
    status: u16,
    headers: &HeaderMap,
    read: &Bytes,
    body: Option<Box<dyn ErrorBody>>,
    attempts: u32,
) -> MicroserviceError {
    MicroserviceError::from_status(ResponseDetails {
        context,
        status,
        excerpt: excerpt(read),
        body,
        retry_after: retry_after_of(headers),
        attempts,
    })
}
