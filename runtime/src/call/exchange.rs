//! One attempt on the wire: the request in flight, then its body read within
//! the size limit, both under the attempt's deadline.
//!
//! A plain state machine rather than nested `async` blocks: every call polls
//! it, and each level of nesting would add a dispatch on every poll and a
//! copy of the whole future whenever one is moved into another.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::attempt::Attempt;
use crate::body::{BodyReader, Unread};
use crate::deadline::Deadline;
use crate::error::UnavailableReason;

/// The future of one attempt; `F` is reqwest's response future.
pub(super) struct Exchange<F> {
    phase: Phase<F>,
    deadline: Deadline,
    /// What the deadline passing means.
    limit: Limit,
    max_body_bytes: usize,
}

#[expect(
    clippy::large_enum_variant,
    reason = "the phase changes in place inside the call's boxed state; boxing the response \
              being read would cost the allocation that reading through it saves"
)]
enum Phase<F> {
    /// Waiting for the response head.
    Sending(F),
    /// Reading the body of the response whose head is here.
    Reading {
        status: u16,
        headers: Box<HeaderMap>,
        body: BodyReader,
    },
    /// The attempt ended and its outcome was handed out.
    Ended,
}

impl<F> Exchange<F> {
    /// The exchange of `sending`, cut off `duration` after `now` as `limit`
    /// says.
    pub(super) fn new(
        sending: F,
        now: Instant,
        duration: Duration,
        limit: Limit,
        max_body_bytes: usize,
    ) -> Self {
        Self {
            phase: Phase::Sending(sending),
            deadline: Deadline::after(now.into_std(), duration),
            limit,
            max_body_bytes,
        }
    }
}

impl<F> Future for Exchange<F>
where
    F: Future<Output = reqwest::Result<reqwest::Response>> + Unpin,
{
    type Output = Attempt;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Attempt> {
        let this = &mut *self;
        loop {
            match &mut this.phase {
                Phase::Sending(sending) => match Pin::new(sending).poll(cx) {
                    Poll::Ready(Ok(mut response)) => {
                        let status = response.status().as_u16();
                        let declared = response.content_length();
                        let headers = Box::new(std::mem::take(response.headers_mut()));
                        let body = BodyReader::new(response, declared, this.max_body_bytes);
                        this.phase = Phase::Reading {
                            status,
                            headers,
                            body,
                        };
                    }
                    Poll::Ready(Err(error)) => {
                        this.phase = Phase::Ended;
                        return Poll::Ready(failed(error));
                    }
                    Poll::Pending => break,
                },
                Phase::Reading { body, .. } => {
                    let Poll::Ready(read) = body.poll_read(cx) else {
                        break;
                    };
                    // The head is moved out whole, leaving nothing to drop.
                    let Phase::Reading {
                        status, headers, ..
                    } = std::mem::replace(&mut this.phase, Phase::Ended)
                    else {
                        // Matched just above: never taken.
                        return Poll::Pending;
                    };
                    return Poll::Ready(match read {
                        Ok(body) => Attempt::Answered {
                            status,
                            headers,
                            body,
                        },
                        Err(unread) => unread_body(status, headers, unread),
                    });
                }
                // Polled again after the end: it stays pending, as a fused
                // future would.
                Phase::Ended => return Poll::Pending,
            }
        }
        match this.deadline.poll_elapsed(cx) {
            Poll::Ready(()) => Poll::Ready(this.elapsed()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> Exchange<F> {
    /// Ends the attempt whose deadline passed.
    #[cold]
    fn elapsed(&mut self) -> Attempt {
        self.phase = Phase::Ended;
        self.limit.elapsed()
    }
}

/// How an attempt whose request failed ended. This and the next are error
/// paths, kept out of line so that the poll a successful attempt runs stays
/// compact.
#[cold]
fn failed(error: reqwest::Error) -> Attempt {
    Attempt::Failed {
        reason: transport_reason(&error),
        source: Some(Box::new(error.without_url())),
    }
}

/// How an attempt whose body was not read whole ended.
#[cold]
fn unread_body(status: u16, headers: Box<HeaderMap>, unread: Unread) -> Attempt {
    match unread {
        Unread::TooLarge(prefix) => Attempt::TooLarge {
            status,
            headers,
            prefix,
        },
        Unread::Broken(error) => Attempt::Failed {
            reason: UnavailableReason::ConnectionReset,
            source: Some(Box::new(error.without_url())),
        },
    }
}

/// Which limit cut an attempt short when its deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Limit {
    /// The attempt's own timeout, shorter than what was left of the call.
    Attempt,
    /// The call's overall deadline.
    Deadline,
}

impl Limit {
    /// How an attempt cut short by this limit ended.
    #[cold]
    pub(super) fn elapsed(self) -> Attempt {
        Attempt::Failed {
            reason: match self {
                Self::Attempt => UnavailableReason::AttemptTimeout,
                Self::Deadline => UnavailableReason::DeadlineExceeded,
            },
            source: None,
        }
    }
}

fn transport_reason(error: &reqwest::Error) -> UnavailableReason {
    if error.is_connect() {
        UnavailableReason::Connect
    } else if error.is_timeout() {
        UnavailableReason::AttemptTimeout
    } else {
        UnavailableReason::ConnectionReset
    }
}
