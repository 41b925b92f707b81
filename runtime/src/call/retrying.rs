//! The general retry loop: attempts, 401 refreshes, retry decisions and
//! backoff, until a result. A call enters it from the start, or after a
//! first attempt made on the fast path.

use tokio::time::Instant;
use tracing::Instrument;

use super::attempt::Attempt;
use super::credentials::Step;
use super::prepare::Prepared;
use super::{Plan, circuit_open};
use crate::error::MicroserviceError;
use crate::response::Response;
use crate::retry::RetryDecision;
use crate::secret::Secret;
use crate::session::ServiceClient;
use crate::telemetry;

/// Where the loop starts.
pub(super) enum Resume {
    /// Before the first attempt; the clock read when the call started.
    Fresh(Instant),
    /// After the first attempt: how it ended, and when.
    After(Attempt, Instant),
}

impl ServiceClient {
    /// Makes attempts until one decides the call's result.
    pub(super) async fn attempts(
        &self,
        prepared: &Prepared,
        plan: &Plan,
        resume: Resume,
    ) -> Result<Response, MicroserviceError> {
        let (mut attempt, mut made, mut clock) = match resume {
            Resume::Fresh(clock) => (0u32, None, clock),
            Resume::After(outcome, finished) => (1, Some(outcome), finished),
        };
        // The token a 401 refresh gave; there is at most one refresh a call.
        let mut refreshed: Option<Secret> = None;
        let mut last_error: Option<MicroserviceError> = None;
        // `clock` is the latest clock reading: taken before and after each
        // attempt, and again after anything that waited (a token fetch or
        // refresh, a retry's backoff).
        loop {
            let outcome = match made.take() {
                Some(outcome) => outcome,
                None => {
                    attempt += 1;
                    let permit = match self.state.breaker.try_acquire(clock.into_std()) {
                        Ok(permit) => permit,
                        Err(open) => {
                            return Err(last_error
                                .unwrap_or_else(|| circuit_open(prepared, attempt - 1, open)));
                        }
                    };
                    let applied = match self.credentials(prepared, refreshed.as_ref())? {
                        Step::Ready(applied) => applied,
                        Step::Fetch(provider) => {
                            // Rare paths (token fetches and refreshes, retry
                            // waits) are boxed: the loop's future stays small.
                            let applied =
                                Box::pin(Self::fetch(prepared, provider, plan.deadline)).await?;
                            clock = Instant::now();
                            applied
                        }
                    };
                    let exchange = self.attempt(prepared, applied, plan, clock);
                    let span = telemetry::attempt_span(attempt);
                    let outcome = if span.is_disabled() {
                        exchange.await
                    } else {
                        exchange.instrument(span).await
                    };
                    clock = Instant::now();
                    self.record(permit, &outcome, clock);
                    outcome
                }
            };
            let finished = clock;

            if outcome.status() == Some(401)
                && refreshed.is_none()
                && let Some(token) = Box::pin(self.refresh(prepared, plan.deadline)).await?
            {
                refreshed = Some(token);
                clock = Instant::now();
                continue;
            }
            let retry_outcome = outcome.outcome();
            let error = match self.finish(prepared, outcome, attempt) {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let decision =
                plan.policy
                    .decide(attempt, prepared.replayable, retry_outcome, fastrand::f64());
            let RetryDecision::Retry(delay) = decision else {
                return Err(error);
            };
            if plan.deadline.saturating_duration_since(finished) <= delay {
                return Err(error);
            }
            if !self.state.budget.try_withdraw(finished.into_std()) {
                tracing::debug!(attempt, "retry budget spent; not retrying");
                return Err(error);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            last_error = Some(error);
            Box::pin(tokio::time::sleep(delay)).await;
            clock = Instant::now();
        }
    }
}
