//! One call through the layers, in order: overall deadline -> retry (policy,
//! budget, backoff) -> circuit breaker -> per-attempt timeout -> pooled send
//! -> bounded body read -> status mapping.

mod attempt;
mod prepare;

use std::future::Future;

use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{self, AuthFailure, Placement};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{CallContext, InvalidRequestReason, MicroserviceError, UnavailableReason};
use crate::request::Request;
use crate::response::Response;
use crate::retry::RetryDecision;
use crate::secret::Secret;
use crate::session::{ServiceClient, now};
use crate::telemetry;

use prepare::Prepared;

impl ServiceClient {
    /// Sends `request` through deadline, retry, breaker and timeout, and
    /// returns the 2xx response or the error the call ended with.
    pub async fn execute(&self, request: Request) -> Result<Response, MicroserviceError> {
        let operation = request.operation;
        let span = telemetry::call_span(
            &self.state.name,
            &self.state.host,
            self.state.port,
            operation,
        );
        // An open breaker refuses before any work is done for the request.
        if let Some(open) = self.state.breaker.refusal(now()) {
            tracing::debug!(
                service = %self.state.name,
                operation = operation.id,
                "circuit breaker open: call refused"
            );
            let context = CallContext::new(
                Arc::clone(&self.state.name),
                operation.id,
                operation.method,
                operation.path,
            );
            return Err(MicroserviceError::unavailable(
                context,
                UnavailableReason::CircuitOpen,
                0,
                Some(Box::new(open)),
            ));
        }
        let result = async {
            let prepared = self.prepare(request)?;
            self.run(prepared).await
        }
        .instrument(span.clone())
        .await;
        if span.is_disabled() {
            return result;
        }
        match &result {
            Ok(response) => {
                telemetry::record_outcome(&span, Some(response.status), None);
                span.record("attempts", response.attempts);
            }
            Err(error) => {
                telemetry::record_outcome(&span, error.status(), Some(&error_type(error)));
                span.record("attempts", error.attempts());
            }
        }
        result
    }

    async fn run(&self, prepared: Prepared) -> Result<Response, MicroserviceError> {
        let config = self.session.config();
        let options = self.options.as_deref();
        let policy = options
            .and_then(|options| options.retry)
            .unwrap_or(config.retry);
        let attempt_timeout = options
            .and_then(|options| options.attempt_timeout)
            .unwrap_or(config.timeouts.attempt);
        let started = Instant::now();
        let budget = options
            .and_then(|options| options.deadline)
            .unwrap_or(config.timeouts.deadline);
        // `Duration::MAX` means "no deadline": a century stands in for it.
        let deadline = started
            .checked_add(budget)
            .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 24 * 3600));
        let state = &self.state;
        state.budget.deposit(now());

        let mut attempt = 0u32;
        let mut refreshed: Option<Secret> = None;
        let mut refresh_spent = false;
        let mut last_error: Option<MicroserviceError> = None;
        loop {
            attempt += 1;
            let permit = match state.breaker.try_acquire(now()) {
                Ok(permit) => permit,
                Err(open) => {
                    return Err(last_error.unwrap_or_else(|| {
                        MicroserviceError::unavailable(
                            prepared.context.clone(),
                            UnavailableReason::CircuitOpen,
                            attempt - 1,
                            Some(Box::new(open)),
                        )
                    }));
                }
            };
            let placement = self
                .placement(&prepared, refreshed.as_ref(), deadline)
                .await?;
            let outcome = self
                .attempt(&prepared, placement, attempt_timeout, deadline)
                .instrument(telemetry::attempt_span(attempt))
                .await;
            if outcome.is_deadline() {
                // The caller's own deadline ran out: not the upstream's fault.
                drop(permit);
            } else {
                state.breaker.record(permit, outcome.verdict(), now());
            }

            if outcome.status() == Some(401)
                && !refresh_spent
                && let Some(token) = self.refresh(&prepared, deadline).await?
            {
                refresh_spent = true;
                refreshed = Some(token);
                continue;
            }
            let retry_outcome = outcome.outcome();
            let result = self.finish(&prepared, outcome, attempt);
            let error = match result {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let decision =
                policy.decide(attempt, prepared.replayable, retry_outcome, fastrand::f64());
            let RetryDecision::Retry(delay) = decision else {
                return Err(error);
            };
            if deadline.saturating_duration_since(Instant::now()) <= delay {
                return Err(error);
            }
            if !state.budget.try_withdraw(now()) {
                tracing::debug!(attempt, "retry budget spent; not retrying");
                return Err(error);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            last_error = Some(error);
            tokio::time::sleep(delay).await;
        }
    }

    async fn placement(
        &self,
        prepared: &Prepared,
        refreshed: Option<&Secret>,
        deadline: Instant,
    ) -> Result<Placement, MicroserviceError> {
        let credentials = self.state.credentials.as_ref();
        let placing = auth::place(
            &prepared.operation.security,
            credentials,
            &self.state.name,
            refreshed,
        );
        // Only a token provider can take time; static credentials are placed
        // at once, without arming a timer.
        let placement =
            if credentials.is_some_and(|c| c.provider_ref().is_some()) && refreshed.is_none() {
                credential_step(prepared, deadline, placing).await?
            } else {
                credential_step_now(prepared, placing.await)?
            };
        validate_placement(prepared, &placement)?;
        Ok(placement)
    }

    /// A refreshed token after a 401, when the credentials can refresh.
    async fn refresh(
        &self,
        prepared: &Prepared,
        deadline: Instant,
    ) -> Result<Option<Secret>, MicroserviceError> {
        let Some(provider) = self
            .state
            .credentials
            .as_ref()
            .and_then(|credentials| credentials.provider_ref())
        else {
            return Ok(None);
        };
        let Some(refreshing) = provider.refresh() else {
            return Ok(None);
        };
        let refreshing = async { refreshing.await.map(Some).map_err(AuthFailure::Provider) };
        credential_step(prepared, deadline, refreshing).await
    }
}

/// A credential that cannot travel as a header (e.g. a token with a line
/// break) fails the call instead of going out without credentials.
fn validate_placement(prepared: &Prepared, placement: &Placement) -> Result<(), MicroserviceError> {
    let (name, valid) = match placement {
        Placement::Header(name, secret) => {
            (*name, prepare::header_pair(name, secret.expose()).is_ok())
        }
        Placement::Cookie(name, secret) => (
            *name,
            reqwest::header::HeaderValue::from_str(&format!("{name}={}", secret.expose())).is_ok(),
        ),
        Placement::Query(..) | Placement::Anonymous => return Ok(()),
    };
    if valid {
        return Ok(());
    }
    Err(MicroserviceError::invalid(
        prepared.context.clone(),
        InvalidRequestReason::Header {
            name: name.to_owned(),
        },
        None,
    ))
}

/// Maps the result of a credentials step that needed no waiting.
fn credential_step_now<T>(
    prepared: &Prepared,
    result: Result<T, AuthFailure>,
) -> Result<T, MicroserviceError> {
    result.map_err(|failure| auth_error(prepared, failure))
}

fn auth_error(prepared: &Prepared, failure: AuthFailure) -> MicroserviceError {
    let context = prepared.context.clone();
    match failure {
        AuthFailure::Missing { accepted, hint } => MicroserviceError::invalid(
            context,
            InvalidRequestReason::MissingCredentials { accepted, hint },
            None,
        ),
        AuthFailure::Provider(source) => {
            MicroserviceError::invalid(context, InvalidRequestReason::Credentials, Some(source))
        }
    }
}

/// Runs a credentials step (placing or refreshing a token) within the call's
/// deadline, mapping its failure to the call's error.
async fn credential_step<T>(
    prepared: &Prepared,
    deadline: Instant,
    step: impl Future<Output = Result<T, AuthFailure>>,
) -> Result<T, MicroserviceError> {
    match tokio::time::timeout_at(deadline, step).await {
        Ok(result) => credential_step_now(prepared, result),
        Err(_) => Err(MicroserviceError::unavailable(
            prepared.context.clone(),
            UnavailableReason::DeadlineExceeded,
            0,
            None,
        )),
    }
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
