//! One call through the layers, in order: overall deadline -> retry (policy,
//! budget, backoff) -> circuit breaker -> per-attempt timeout -> pooled send
//! -> bounded body read -> status mapping.
//!
//! A call takes one of two paths. Nearly every call has no span to record
//! into, static or no credentials, and a first attempt that succeeds: for
//! it, [`Call`] is a plain state machine around the one attempt's exchange,
//! with nothing else to poll, in one allocation. Everything else (a first
//! attempt that fails, retries, refreshes after a 401, token providers, a
//! listening tracing subscriber) continues in the general retry loop
//! ([`retrying`]), boxed, the same code whichever path the call started on.

mod attempt;
mod credentials;
mod exchange;
mod prepare;
mod retrying;

pub(crate) use credentials::WireCredentials;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use crate::breaker::{BreakerOpen, Permit};
use crate::error::{CallContext, MicroserviceError, UnavailableReason};
use crate::request::Request;
use crate::response::Response;
use crate::retry::RetryPolicy;
use crate::session::{ServiceClient, now};
use crate::telemetry;

use attempt::Attempt;
use credentials::{Applied, Step};
use exchange::Exchange;
use prepare::Prepared;
use retrying::Resume;

/// What a call's attempts go by.
pub(super) struct Plan {
    policy: RetryPolicy,
    attempt_timeout: Duration,
    /// The call's overall deadline.
    deadline: Instant,
}

impl ServiceClient {
    /// Sends `request` through deadline, retry, breaker and timeout, and
    /// returns the 2xx response or the error the call ended with.
    ///
    /// The request is checked and turned into HTTP terms when this is called;
    /// the call starts (its deadline, its count in the retry budget, its
    /// breaker permit) when the returned future is first polled. An open
    /// breaker refuses here, before any work is done for the request, and
    /// the call's span is created here, as a child of the span current at
    /// this point. Generated methods call this from their own
    /// `async` body, so for them "here" is their first poll, inside whatever
    /// span the caller instrumented them with.
    pub fn execute(
        &self,
        mut request: Request,
    ) -> impl Future<Output = Result<Response, MicroserviceError>> + Send + '_ {
        let span = telemetry::call_span(
            self.state.name.as_str(),
            self.state.base.url(),
            request.operation,
        );
        let prepared = match self.start(&mut request) {
            Ok(prepared) => prepared,
            Err(refused) => return Call::Ended(Some(refused_call(&span, refused))),
        };
        if !span.is_disabled() {
            return Call::Slow(self.traced(prepared, span));
        }
        Call::Fast(Box::new(Fast {
            client: self,
            prepared,
            attempt: ServiceClient::attempt,
            first: None,
        }))
    }

    /// The whole call in the general loop, recorded on `span`.
    #[inline(never)]
    fn traced<'a>(&'a self, prepared: Prepared, span: tracing::Span) -> SlowCall<'a> {
        Box::pin(async move {
            let (plan, started) = self.begin();
            let result = self
                .attempts(&prepared, &plan, Resume::Fresh(started))
                .instrument(span.clone())
                .await;
            record_call(&span, &result);
            result
        })
    }

    /// The breaker's refusal, or the request in HTTP terms.
    fn start(&self, request: &mut Request) -> Result<Prepared, MicroserviceError> {
        match self.state.breaker.refusal(now) {
            None => self.prepare(request),
            Some(open) => Err(self.refused(request.operation, open)),
        }
    }

    /// The error of a call an open breaker refused.
    #[cold]
    fn refused(
        &self,
        operation: &'static crate::request::Operation,
        open: BreakerOpen,
    ) -> MicroserviceError {
        tracing::debug!(
            service = self.state.name.as_str(),
            operation = operation.id,
            "circuit breaker open: call refused"
        );
        MicroserviceError::unavailable(
            CallContext::of(self.state.name, operation),
            UnavailableReason::CircuitOpen,
            0,
            Some(Box::new(open)),
        )
    }

    /// Starts a call now: it counts toward the retry budget from here. Its
    /// plan follows from the time it started.
    fn begin(&self) -> (Plan, Instant) {
        let started = Instant::now();
        self.state.budget.deposit(started.into_std());
        (self.plan(started), started)
    }

    /// The plan of a call that started at `started`.
    fn plan(&self, started: Instant) -> Plan {
        let config = self.session.config();
        let options = self.options.as_deref();
        let policy = options
            .and_then(|options| options.retry)
            .unwrap_or(config.retry);
        let attempt_timeout = options
            .and_then(|options| options.attempt_timeout)
            .unwrap_or(config.timeouts.attempt);
        let budget = options
            .and_then(|options| options.deadline)
            .unwrap_or(config.timeouts.deadline);
        // `Duration::MAX` means "no deadline": a century stands in for it.
        let deadline = started
            .checked_add(budget)
            .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 24 * 3600));
        Plan {
            policy,
            attempt_timeout,
            deadline,
        }
    }

    /// Reports an attempt's outcome to the breaker. An attempt cut short by
    /// the caller's own deadline is not the upstream's fault: not reported.
    #[inline]
    fn record(&self, permit: Permit, outcome: &Attempt, finished: Instant) {
        if outcome.is_deadline() {
            unreported(permit);
        } else {
            self.state
                .breaker
                .record(permit, outcome.verdict(), finished.into_std());
        }
    }
}

/// Gives back the permit of an attempt that is not reported to the breaker.
#[cold]
fn unreported(permit: Permit) {
    drop(permit);
}

/// The error of a call the breaker refused after `attempts` attempts.
#[cold]
fn circuit_open(prepared: &Prepared, attempts: u32, open: BreakerOpen) -> MicroserviceError {
    MicroserviceError::unavailable(
        prepared.context(),
        UnavailableReason::CircuitOpen,
        attempts,
        Some(Box::new(open)),
    )
}

/// The general loop's future, boxed.
type SlowCall<'a> = Pin<Box<dyn Future<Output = Result<Response, MicroserviceError>> + Send + 'a>>;

/// A refused call's result, recorded on its span when one listens.
#[cold]
fn refused_call(span: &tracing::Span, refused: MicroserviceError) -> MicroserviceError {
    if !span.is_disabled() {
        record_error(span, &refused);
    }
    refused
}

/// The future of a call: a pointer to its state, so that the futures of the
/// generated method and its callers, which each hold it, stay small and
/// cheap to move.
enum Call<'a, F> {
    /// On the fast path: prepared, then (from the first poll) with its first
    /// attempt in flight.
    Fast(Box<Fast<'a, F>>),
    /// The general retry loop.
    Slow(SlowCall<'a>),
    /// Refused before any I/O, or already handed out its result (`None`).
    Ended(Option<MicroserviceError>),
}

/// A call on the fast path: prepared, and from its first poll on, with its
/// first attempt in flight.
struct Fast<'a, F> {
    client: &'a ServiceClient,
    prepared: Prepared,
    /// [`ServiceClient::attempt`]: the call's future is generic over the
    /// type of reqwest's response future, which only this names.
    attempt: fn(&ServiceClient, &Prepared, Applied, &Plan, Instant) -> Exchange<F>,
    /// The first attempt, once the call started.
    first: Option<First<F>>,
}

/// The first attempt of a call on the fast path.
struct First<F> {
    /// When the call started: its plan follows, should it need one again.
    started: Instant,
    /// Taken when the attempt's outcome is reported.
    permit: Option<Permit>,
    exchange: Exchange<F>,
}

/// How starting a call on the fast path went.
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per call and moved straight into the call's state"
)]
enum Begun<F> {
    /// Its first attempt is in flight.
    Sending(First<F>),
    /// It ended before any I/O.
    Ended(MicroserviceError),
    /// A step waits or a span listens: the general loop makes the attempt
    /// of the call that started at this time.
    General(Instant),
}

impl<'a, F> Fast<'a, F> {
    /// Starts the call and its first attempt, step by step as the general
    /// loop makes them.
    fn begin(&self) -> Begun<F> {
        let client = self.client;
        let (plan, started) = client.begin();
        let permit = match client.state.breaker.try_acquire(started.into_std()) {
            Ok(permit) => permit,
            Err(open) => return Begun::Ended(circuit_open(&self.prepared, 0, open)),
        };
        let applied = match client.credentials(&self.prepared, None) {
            Ok(Step::Ready(applied)) if !telemetry::attempt_spans_listened() => applied,
            other => return not_sending(other, permit, started),
        };
        let exchange = (self.attempt)(client, &self.prepared, applied, &plan, started);
        Begun::Sending(First {
            started,
            permit: Some(permit),
            exchange,
        })
    }

    /// The general loop from `resume`, with the plan of a call that started
    /// at `started`.
    #[cold]
    #[inline(never)]
    fn general(self, resume: Resume, started: Instant) -> SlowCall<'a> {
        let Fast {
            client, prepared, ..
        } = self;
        Box::pin(async move {
            let plan = client.plan(started);
            client.attempts(&prepared, &plan, resume).await
        })
    }
}

/// How a call on the fast path goes on when its first attempt cannot go out
/// at once: a token provider's fetch waits, and a listening attempt span is
/// entered at every poll, so the general loop makes the attempt; or it ended
/// with the credentials' error. The permit goes back unreported.
#[cold]
fn not_sending<F>(
    step: Result<Step<'_>, MicroserviceError>,
    permit: Permit,
    started: Instant,
) -> Begun<F> {
    drop(permit);
    match step {
        Ok(_) => Begun::General(started),
        Err(error) => Begun::Ended(error),
    }
}

impl<F> Call<'_, F> {
    /// Ends the call on the fast path with `error`, before any I/O.
    #[cold]
    fn end(&mut self, error: MicroserviceError) -> Poll<Result<Response, MicroserviceError>> {
        *self = Call::Ended(None);
        Poll::Ready(Err(error))
    }

    /// Moves a call on the fast path to the general loop, from `resume`.
    #[cold]
    fn continue_in_general_loop(&mut self, resume: Resume, started: Instant) {
        if let Call::Fast(fast) = std::mem::replace(self, Call::Ended(None)) {
            *self = Call::Slow((*fast).general(resume, started));
        }
    }
}

impl<F> Future for Call<'_, F>
where
    F: Future<Output = reqwest::Result<reqwest::Response>> + Unpin + Send,
{
    type Output = Result<Response, MicroserviceError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match this {
                Call::Fast(fast) => {
                    let first = match &mut fast.first {
                        Some(first) => first,
                        None => match fast.begin() {
                            Begun::Sending(first) => fast.first.insert(first),
                            Begun::Ended(error) => return this.end(error),
                            Begun::General(started) => {
                                this.continue_in_general_loop(Resume::Fresh(started), started);
                                continue;
                            }
                        },
                    };
                    let Poll::Ready(outcome) = Pin::new(&mut first.exchange).poll(cx) else {
                        return Poll::Pending;
                    };
                    let finished = Instant::now();
                    let started = first.started;
                    if let Some(permit) = first.permit.take() {
                        fast.client.record(permit, &outcome, finished);
                    }
                    let outcome = match outcome {
                        Attempt::Answered {
                            status,
                            headers,
                            body,
                        } if attempt::succeeded(status) => {
                            let response = fast.prepared.respond(status, headers, body, 1);
                            *this = Call::Ended(None);
                            return Poll::Ready(Ok(response));
                        }
                        outcome => outcome,
                    };
                    // Anything but a success continues in the general loop.
                    this.continue_in_general_loop(Resume::After(outcome, finished), started);
                }
                Call::Slow(slow) => {
                    let Poll::Ready(result) = slow.as_mut().poll(cx) else {
                        return Poll::Pending;
                    };
                    *this = Call::Ended(None);
                    return Poll::Ready(result);
                }
                // Polled again after the end: pending, as a fused future.
                Call::Ended(error) => {
                    return error
                        .take()
                        .map_or(Poll::Pending, |error| Poll::Ready(Err(error)));
                }
            }
        }
    }
}

/// Records how a call ended on its span.
fn record_call(span: &tracing::Span, result: &Result<Response, MicroserviceError>) {
    match result {
        Ok(response) => {
            telemetry::record_outcome(span, Some(response.status), None);
            span.record("attempts", response.attempts);
        }
        Err(error) => record_error(span, error),
    }
}

/// Records the error a call ended with on its span.
fn record_error(span: &tracing::Span, error: &MicroserviceError) {
    telemetry::record_outcome(span, error.status(), Some(&error_type(error)));
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
#[cfg(test)]
mod tests {
    use crate::request::{Method, Operation, Request};
    use crate::{RuntimeConfig, Session};

    static PING: Operation = Operation::new("ping", Method::Get, "/ping");

    fn ping() -> crate::ServiceClient {
        let config = RuntimeConfig::builder()
            .service_url("ping", "http://127.0.0.1:1")
            .build()
            .unwrap();
        Session::new(config).unwrap().service("ping").unwrap()
    }

    /// Every layer a generated method awaits holds the call's future: it is
    /// a pointer to the call's state.
    #[test]
    fn the_call_future_is_a_pointer() {
        let client = ping();
        let call = client.execute(Request::new(&PING));
        let size = size_of_val(&call);
        assert!(size <= 32, "the call's future grew to {size} bytes");
    }

    /// The state of a call on the fast path, its one allocation, holds only
    /// the prepared request and the one attempt in flight.
    #[test]
    fn the_call_state_stays_small() {
        let client = ping();
        let prepared = client.prepare(&mut Request::new(&PING)).unwrap();
        let state = super::Fast {
            client: &client,
            prepared,
            attempt: crate::ServiceClient::attempt,
            first: None,
        };
        let size = size_of_val(&state);
        assert!(size <= 640, "the call's state grew to {size} bytes");
    }

    /// A response and an attempt's outcome are moved several times on their
    /// way to the caller: their headers are boxed, so that each move copies
    /// a few words rather than a whole header map.
    #[test]
    fn responses_and_outcomes_stay_small() {
        let response = size_of::<crate::response::Response>();
        assert!(response <= 112, "a response grew to {response} bytes");
        let attempt = size_of::<super::attempt::Attempt>();
        assert!(
            attempt <= 56,
            "an attempt's outcome grew to {attempt} bytes"
        );
    }
}
