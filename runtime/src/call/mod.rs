//! One call through the layers, in order, read top to bottom in
//! [`ServiceClient::execute`]: overall deadline -> retry (policy, budget,
//! backoff) -> circuit breaker -> per-attempt timeout -> transport ->
//! bounded body read -> status mapping.
//!
//! The breaker judges calls, not attempts: a call admitted by it reports
//! one verdict, how its last attempt ended. A blip that a retry fixes is a
//! healthy call; an upstream whose every attempt fails is a failed one. An
//! open breaker refuses new calls and stops the retries of calls in flight.

mod attempt;
mod credentials;
mod prepare;

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use crate::breaker::{BreakerOpen, CallVerdict, Permit};
use crate::error::{CallContext, MicroserviceError, UnavailableReason};
use crate::request::Request;
use crate::response::Response;
use crate::retry::{RetryDecision, RetryPolicy};
use crate::secret::Secret;
use crate::session::{ServiceClient, now};
use crate::stream::StreamingResponse;
use crate::telemetry;

use attempt::{AttemptLimit, Finished, Reading, finish};
use credentials::CallAuth;
use prepare::Prepared;

/// A call the breaker let through, ready for its attempts.
struct Admitted<'a> {
    plan: Plan,
    permit: Permit,
    prepared: Prepared,
    auth: CallAuth<'a>,
}

/// What a call's attempts go by.
struct Plan {
    policy: RetryPolicy,
    attempt_timeout: Duration,
    /// The call's overall deadline.
    deadline: Instant,
    reading: Reading,
    /// How long a streamed body may send nothing.
    stream_idle: Duration,
}

impl ServiceClient {
    /// Sends `request` through deadline, retry, breaker and timeout, and
    /// returns the 2xx response or the error the call ended with.
    ///
    /// Nothing happens until the future is polled. The call's span is a
    /// child of the span current at its first poll.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn holds its argument twice"
    )]
    pub fn execute(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, MicroserviceError>> + Send + '_ {
        async move {
            let span = telemetry::call_span(&self.state.name, &self.state.base, request.operation);
            let called = match span.in_scope(|| self.admit(request, Reading::Whole)) {
                Ok(admitted) => self.call(admitted).instrument(span.clone()).await,
                Err(error) => Err(error),
            };
            let result = match called {
                Ok(Finished::Whole(response)) => Ok(response),
                // Not made by a call that reads whole; read it whole all the same.
                Ok(Finished::Stream(response)) => {
                    response
                        .read_whole(self.session.config().max_body_bytes)
                        .await
                }
                Err(error) => Err(error),
            };
            telemetry::record_call(&span, &result);
            result
        }
    }

    /// Sends `request` like [`execute`](Self::execute), but returns once a
    /// 2xx answer's head is in: its body is read by the caller, as it
    /// arrives ([`crate::stream`]). Retries and the deadline cover getting
    /// the head; an error status's body is read (bounded) for the error.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn holds its argument twice"
    )]
    pub fn execute_streaming(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<StreamingResponse, MicroserviceError>> + Send + '_ {
        async move {
            let span = telemetry::call_span(&self.state.name, &self.state.base, request.operation);
            let result = match span.in_scope(|| self.admit(request, Reading::Stream)) {
                Ok(admitted) => self.call(admitted).instrument(span.clone()).await,
                Err(error) => Err(error),
            };
            telemetry::record_call_head(
                &span,
                result.as_ref().map(|finished| match finished {
                    Finished::Whole(response) => (response.status(), response.attempts()),
                    Finished::Stream(response) => (response.status(), response.attempts()),
                }),
            );
            match result? {
                Finished::Stream(response) => Ok(response),
                Finished::Whole(response) => Ok(StreamingResponse::from(response)),
            }
        }
    }

    /// The admitted call's attempts, and the breaker's verdict on how they
    /// ended.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn holds its argument twice"
    )]
    fn call<'a>(
        &'a self,
        admitted: Admitted<'a>,
    ) -> impl Future<Output = Result<Finished, MicroserviceError>> + Send + 'a {
        async move {
            let (result, last) = self
                .attempts(&admitted.prepared, &admitted.auth, &admitted.plan)
                .await;
            match last {
                Some(verdict) => {
                    let now = Instant::now().into_std();
                    self.state.breaker.record(admitted.permit, verdict, now);
                }
                // Cut short by the caller's deadline, or refused before any
                // attempt: the permit goes back unjudged.
                None => drop(admitted.permit),
            }
            result
        }
    }

    /// Admits a call of `request` that starts now: its plan, the breaker's
    /// permit, the request prepared and the credentials chosen, and a token
    /// deposited in the retry budget. Done before the call's future is
    /// made, so that the future holds the prepared request alone.
    fn admit(&self, request: Request, reading: Reading) -> Result<Admitted<'_>, MicroserviceError> {
        let started = Instant::now();
        let plan = self.plan(started, reading);
        let operation = request.operation;
        let context = CallContext::shared(
            &self.state.name,
            operation.id,
            operation.method,
            operation.path(),
        );
        let permit = match self.state.breaker.try_acquire(started.into_std()) {
            Ok(permit) => permit,
            Err(open) => return Err(circuit_open(context, 0, open)),
        };
        let prepared = self.prepare(request, context)?;
        let auth = self.call_auth(prepared.operation, &prepared.context)?;
        self.state.budget.deposit(started.into_std());
        Ok(Admitted {
            plan,
            permit,
            prepared,
            auth,
        })
    }

    /// The plan of a call that started at `started`, from the handle's
    /// options and the configuration.
    fn plan(&self, started: Instant, reading: Reading) -> Plan {
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
            reading,
            stream_idle: config.timeouts.stream_idle,
        }
    }

    /// Makes attempts until one decides the call's result; with it, the
    /// breaker's verdict on the call (`None`: no verdict).
    async fn attempts(
        &self,
        prepared: &Prepared,
        auth: &CallAuth<'_>,
        plan: &Plan,
    ) -> (Result<Finished, MicroserviceError>, Option<CallVerdict>) {
        let mut attempt = 0u32;
        // The token a 401 refresh gave; at most one refresh per call.
        let mut refreshed: Option<Secret> = None;
        // The breaker's verdict so far: an attempt the caller's own deadline
        // cut short keeps the verdict of the attempts before it.
        let mut judged: Option<CallVerdict> = None;
        loop {
            attempt += 1;
            let mut request = prepared.attempt_request();
            let placed = auth
                .place(
                    &mut request,
                    refreshed.as_ref(),
                    prepared,
                    plan.deadline,
                    attempt - 1,
                )
                .await;
            if let Err(error) = placed {
                return (Err(error), judged);
            }
            let span = telemetry::attempt_span(attempt);
            let limit = AttemptLimit::starting_now(plan.attempt_timeout, plan.deadline);
            // Handed over here, the request is not held by the attempt's
            // future, only the transport's (boxed) one.
            let sending = span.in_scope(|| self.session.transport().send(request));
            let outcome = self
                .attempt(sending, plan.reading, limit)
                .instrument(span.clone())
                .await;
            telemetry::record_attempt(&span, outcome.status(), outcome.error_type());
            judged = outcome.verdict().or(judged);

            // A streamed body is gone: it cannot go again with a new token.
            let resendable = prepared.body_replayable();
            if outcome.status() == Some(401)
                && refreshed.is_none()
                && auth.can_refresh()
                && resendable
            {
                match self.refresh(prepared, plan.deadline, attempt).await {
                    Ok(Some(token)) => {
                        refreshed = Some(token);
                        continue;
                    }
                    Ok(None) => {}
                    Err(error) => return (Err(error), judged),
                }
            }
            let retry_outcome = outcome.outcome();
            let error = match finish(prepared, outcome, attempt, plan.stream_idle) {
                Ok(response) => return (Ok(response), judged),
                Err(error) => error,
            };
            let decision =
                plan.policy
                    .decide(attempt, prepared.replayable, retry_outcome, fastrand::f64());
            let RetryDecision::Retry(delay) = decision else {
                return (Err(error), judged);
            };
            if !self.may_retry(plan, delay, attempt) {
                return (Err(error), judged);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
            if self.breaker_open() {
                tracing::debug!(
                    attempt,
                    "circuit breaker opened during the backoff; not retrying"
                );
                return (Err(error), judged);
            }
        }
    }

    /// Whether a retry after `delay` may go out: time enough is left for it
    /// to be of use, the breaker is not open, and the retry budget grants a
    /// token (taken last, so that a refused retry spends none).
    fn may_retry(&self, plan: &Plan, delay: Duration, attempt: u32) -> bool {
        let left = plan.deadline.saturating_duration_since(Instant::now());
        let useful = plan.attempt_timeout.min(MIN_USEFUL_ATTEMPT);
        if left <= delay + useful {
            tracing::debug!(attempt, "too little time left; not retrying");
            return false;
        }
        if self.breaker_open() {
            tracing::debug!(attempt, "circuit breaker open; not retrying");
            return false;
        }
        if !self.state.budget.try_withdraw(now()) {
            tracing::debug!(attempt, "retry budget spent; not retrying");
            return false;
        }
        true
    }

    /// Whether the service's breaker refuses calls now.
    fn breaker_open(&self) -> bool {
        self.state.breaker.refusal(now).is_some()
    }
}

/// The least time a retry must have left after its backoff to be worth
/// sending (or the attempt timeout, when that is shorter): less, and the
/// call would end with a deadline error instead of the upstream's answer.
const MIN_USEFUL_ATTEMPT: Duration = Duration::from_millis(50);

/// The error of a call the breaker refused.
fn circuit_open(context: CallContext, attempts: u32, open: BreakerOpen) -> MicroserviceError {
    tracing::debug!(%context, "circuit breaker open: call refused");
    MicroserviceError::unavailable(
        context,
        UnavailableReason::CircuitOpen,
        attempts,
        Some(Box::new(open)),
    )
}

#[cfg(test)]
mod tests;
