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

use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use crate::breaker::BreakerOpen;
use crate::error::{CallContext, MicroserviceError, UnavailableReason};
use crate::request::Request;
use crate::response::Response;
use crate::retry::{RetryDecision, RetryPolicy};
use crate::secret::Secret;
use crate::session::ServiceClient;
use crate::telemetry;

use attempt::finish;
use credentials::CallAuth;
use prepare::Prepared;

/// What a call's attempts go by.
struct Plan {
    policy: RetryPolicy,
    attempt_timeout: Duration,
    /// The call's overall deadline.
    deadline: Instant,
}

impl ServiceClient {
    /// Sends `request` through deadline, retry, breaker and timeout, and
    /// returns the 2xx response or the error the call ended with.
    ///
    /// Nothing happens until the future is polled. The call's span is a
    /// child of the span current at its first poll.
    pub async fn execute(&self, request: Request) -> Result<Response, MicroserviceError> {
        let span = telemetry::call_span(&self.state.name, &self.state.base, request.operation);
        let result = self.call(request).instrument(span.clone()).await;
        telemetry::record_call(&span, &result);
        result
    }

    /// The call: its plan, its request, the breaker's permit, the attempts,
    /// and the breaker's verdict on how they ended.
    async fn call(&self, request: Request) -> Result<Response, MicroserviceError> {
        let started = Instant::now();
        let plan = self.plan(started);
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
        let (result, last) = self.attempts(&prepared, &auth, &plan).await;
        match last {
            Some(verdict) => {
                let now = Instant::now().into_std();
                self.state.breaker.record(permit, verdict, now);
            }
            // Cut short by the caller's deadline, or refused before any
            // attempt: the permit goes back unjudged.
            None => drop(permit),
        }
        result
    }

    /// The plan of a call that started at `started`, from the handle's
    /// options and the configuration.
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

    /// Makes attempts until one decides the call's result; with it, the
    /// breaker's verdict on the call (`None`: no verdict).
    async fn attempts(
        &self,
        prepared: &Prepared,
        auth: &CallAuth<'_>,
        plan: &Plan,
    ) -> (
        Result<Response, MicroserviceError>,
        Option<crate::breaker::CallVerdict>,
    ) {
        let mut attempt = 0u32;
        // The token a 401 refresh gave; at most one refresh per call.
        let mut refreshed: Option<Secret> = None;
        loop {
            attempt += 1;
            let mut request = prepared.attempt_request();
            let placed = auth
                .place(
                    &mut request,
                    refreshed.as_ref(),
                    &prepared.context,
                    plan.deadline,
                )
                .await;
            if let Err(error) = placed {
                return (Err(error), None);
            }
            let span = telemetry::attempt_span(attempt);
            let outcome = self
                .attempt(request, plan.attempt_timeout, plan.deadline)
                .instrument(span.clone())
                .await;
            telemetry::record_attempt(&span, outcome.status(), outcome.error_type());

            if outcome.status() == Some(401) && refreshed.is_none() {
                match self.refresh(&prepared.context, plan.deadline).await {
                    Ok(Some(token)) => {
                        refreshed = Some(token);
                        continue;
                    }
                    Ok(None) => {}
                    Err(error) => return (Err(error), None),
                }
            }
            let verdict = outcome.verdict();
            let retry_outcome = outcome.outcome();
            let error = match finish(prepared, outcome, attempt) {
                Ok(response) => return (Ok(response), verdict),
                Err(error) => error,
            };
            let decision =
                plan.policy
                    .decide(attempt, prepared.replayable, retry_outcome, fastrand::f64());
            let RetryDecision::Retry(delay) = decision else {
                return (Err(error), verdict);
            };
            let now = Instant::now();
            if plan.deadline.saturating_duration_since(now) <= delay {
                return (Err(error), verdict);
            }
            if !self.state.budget.try_withdraw(now.into_std()) {
                tracing::debug!(attempt, "retry budget spent; not retrying");
                return (Err(error), verdict);
            }
            if self.state.breaker.refusal(|| now.into_std()).is_some() {
                tracing::debug!(attempt, "circuit breaker open; not retrying");
                return (Err(error), verdict);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

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
