//! One attempt: the transport's answer and its body read within the size
//! limit, both before the attempt's limit (set before the request is handed
//! to the transport); then what its ending means for the call.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::body::{self, Unread};
use crate::breaker::CallVerdict;
use crate::error::{
    BoxError, CallContext, DecodeReason, ErrorBody, MicroserviceError, ResponseDetails,
    UnavailableReason, excerpt,
};
use crate::response::Response;
use crate::retry::{AttemptOutcome, retry_after};
use crate::session::ServiceClient;
use crate::stream::{ByteStream, StreamingResponse};
use crate::transport::{Headers, ResponseBody, TransportErrorKind, TransportFuture};

use super::prepare::Prepared;

/// How one attempt ended.
pub(super) enum Attempt {
    /// The upstream answered and the body was read whole.
    Answered {
        status: u16,
        headers: Headers,
        body: Bytes,
    },
    /// The upstream answered with a body over the limit; `prefix` holds its
    /// first bytes.
    TooLarge {
        status: u16,
        headers: Headers,
        prefix: Bytes,
    },
    /// The upstream answered 2xx to a streaming call: the body is left for
    /// the caller.
    Streaming {
        status: u16,
        headers: Headers,
        body: ResponseBody,
    },
    /// No answer.
    Failed {
        reason: UnavailableReason,
        source: Option<BoxError>,
    },
}

/// How a call reads a 2xx body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reading {
    /// Whole, within the configured limit.
    Whole,
    /// Not at all: the caller streams it.
    Stream,
}

/// How a call ended well.
pub(super) enum Finished {
    /// With a body read whole.
    Whole(Response),
    /// With a body to stream.
    Stream(StreamingResponse),
}

impl Attempt {
    /// The status the upstream answered with, if it answered.
    pub(super) fn status(&self) -> Option<u16> {
        match self {
            Self::Answered { status, .. }
            | Self::TooLarge { status, .. }
            | Self::Streaming { status, .. } => Some(*status),
            Self::Failed { .. } => None,
        }
    }

    /// The OpenTelemetry `error.type` of an attempt that got no answer.
    pub(super) fn error_type(&self) -> Option<&'static str> {
        match self {
            Self::Failed { reason, .. } => Some(reason.as_str()),
            _ => None,
        }
    }

    /// What the breaker makes of the attempt, when it is the call's last:
    /// `None` when the call's own deadline cut it short, which says nothing
    /// about the upstream.
    pub(super) fn verdict(&self) -> Option<CallVerdict> {
        match self {
            Self::Failed {
                reason: UnavailableReason::DeadlineExceeded,
                ..
            } => None,
            Self::Failed { .. } => Some(CallVerdict::Failed),
            Self::Answered { status, .. }
            | Self::TooLarge { status, .. }
            | Self::Streaming { status, .. } => Some(CallVerdict::from_status(*status)),
        }
    }

    /// What the retry policy makes of the attempt.
    pub(super) fn outcome(&self) -> AttemptOutcome {
        match self {
            Self::Answered {
                status, headers, ..
            }
            | Self::TooLarge {
                status, headers, ..
            }
            | Self::Streaming {
                status, headers, ..
            } => AttemptOutcome::Status {
                status: *status,
                // A success is never retried: its `Retry-After` is not read.
                retry_after: if (200..300).contains(status) {
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

fn retry_after_of(headers: &Headers) -> Option<Duration> {
    let value = headers.get("retry-after")?;
    retry_after::parse(value, std::time::SystemTime::now())
}

/// When an attempt starting now ends unanswered, and why.
#[derive(Clone, Copy, Debug)]
pub(super) struct AttemptLimit {
    end: Instant,
    reason: UnavailableReason,
}

impl AttemptLimit {
    /// The limit of an attempt starting now: its own timeout, or what is
    /// left before the call's `deadline` when that comes first.
    pub(super) fn starting_now(attempt_timeout: Duration, deadline: Instant) -> Self {
        match Instant::now().checked_add(attempt_timeout) {
            Some(own) if own < deadline => Self {
                end: own,
                reason: UnavailableReason::AttemptTimeout,
            },
            _ => Self {
                end: deadline,
                reason: UnavailableReason::DeadlineExceeded,
            },
        }
    }
}

impl ServiceClient {
    /// Waits for the answer the transport is `sending` and reads it, until
    /// `limit` ends the attempt.
    pub(super) async fn attempt(
        &self,
        sending: TransportFuture<'_>,
        reading: Reading,
        limit: AttemptLimit,
    ) -> Attempt {
        match tokio::time::timeout_at(limit.end, self.exchange(sending, reading)).await {
            Ok(attempt) => attempt,
            Err(_) => Attempt::Failed {
                reason: limit.reason,
                source: None,
            },
        }
    }

    /// The exchange itself: the transport's answer, and its body read whole
    /// within the configured limit (a streaming call's 2xx body excepted).
    async fn exchange(&self, sending: TransportFuture<'_>, reading: Reading) -> Attempt {
        let response = match sending.await {
            Ok(response) => response,
            Err(error) => {
                let reason = match error.kind() {
                    TransportErrorKind::Connect => UnavailableReason::Connect,
                    TransportErrorKind::Timeout => UnavailableReason::AttemptTimeout,
                    _ => UnavailableReason::ConnectionReset,
                };
                return Attempt::Failed {
                    reason,
                    source: Some(Box::new(error)),
                };
            }
        };
        let limit = self.session.config().max_body_bytes;
        let status = response.status;
        let headers = response.headers;
        if reading == Reading::Stream && (200..300).contains(&status) {
            return Attempt::Streaming {
                status,
                headers,
                body: response.body,
            };
        }
        match body::read(response.body, &headers, limit).await {
            Ok(body) => Attempt::Answered {
                status,
                headers,
                body,
            },
            Err(Unread::TooLarge(prefix)) => Attempt::TooLarge {
                status,
                headers,
                prefix,
            },
            Err(Unread::Broken(error)) => Attempt::Failed {
                reason: UnavailableReason::ConnectionReset,
                source: Some(Box::new(error)),
            },
        }
    }
}

/// The call's result when `attempt`, its `attempts`th, was its last; a
/// streamed body's idle timeout is `idle`.
pub(super) fn finish(
    prepared: &Prepared,
    attempt: Attempt,
    attempts: u32,
    idle: Duration,
) -> Result<Finished, MicroserviceError> {
    let context = prepared.context.clone();
    match attempt {
        Attempt::Answered {
            status,
            headers,
            body,
        } if (200..300).contains(&status) => Ok(Finished::Whole(Response {
            status,
            headers,
            body,
            context,
            attempts,
        })),
        Attempt::Streaming {
            status,
            headers,
            body,
        } => Ok(Finished::Stream(StreamingResponse {
            status,
            headers,
            body: ByteStream::new(body, idle, context),
            attempts,
        })),
        Attempt::Answered {
            status,
            headers,
            body,
        } => {
            let decoded = prepared
                .operation
                .error_decoder
                .and_then(|decode| decode(status, &body));
            Err(status_error(
                context, status, &headers, &body, decoded, attempts,
            ))
        }
        Attempt::TooLarge { status, prefix, .. } if (200..300).contains(&status) => {
            Err(MicroserviceError::decode(
                context,
                status,
                DecodeReason::BodyTooLarge,
                &prefix,
                attempts,
                None,
            ))
        }
        // Over the limit: no typed body is decoded from a part of one.
        Attempt::TooLarge {
            status,
            headers,
            prefix,
        } => Err(status_error(
            context, status, &headers, &prefix, None, attempts,
        )),
        Attempt::Failed { reason, source } => Err(MicroserviceError::unavailable(
            context, reason, attempts, source,
        )),
    }
}

/// The error of an answer with a non-2xx `status`: `read` is what was read
/// of its body, `body` the typed error body decoded from it.
fn status_error(
    context: CallContext,
    status: u16,
    headers: &Headers,
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
