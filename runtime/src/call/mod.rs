//! One call through the layers, in order: overall deadline -> retry (policy,
//! budget, backoff) -> circuit breaker -> per-attempt timeout -> pooled send
//! -> bounded body read -> status mapping.

mod attempt;
mod prepare;

use std::future::Future;

use tokio::time::Instant;
use tracing::Instrument;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::auth::{self, AuthFailure, Choice, Placement};

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
    ///
    /// The request is checked and turned into HTTP terms when this is called;
    /// the returned future does the I/O. An open breaker refuses here, before
    /// any work is done for the request, and the call's span is created here,
    /// as a child of the span current at this point. Generated methods call
    /// this from their own `async` body, so for them "here" is their first
    /// poll, inside whatever span the caller instrumented them with.
    pub fn execute(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, MicroserviceError>> + Send + '_ {
        let span = telemetry::call_span(
            &self.state.name,
            &self.state.host,
            self.state.port,
            request.operation,
        );
        let started = self.start(request);
        async move {
            // The prepared request is boxed: every future below holds a
            // pointer to it instead of a copy.
            let result = match started {
                // Without a subscriber the span is skipped, not entered and
                // exited at every poll.
                Ok(prepared) if span.is_disabled() => self.run(&prepared).await,
                Ok(prepared) => self.run(&prepared).instrument(span.clone()).await,
                Err(error) => Err(error),
            };
            if !span.is_disabled() {
                record_call(&span, &result);
            }
            result
        }
    }

    /// The breaker's refusal, or the request in HTTP terms.
    fn start(&self, request: Request) -> Result<Box<Prepared>, MicroserviceError> {
        let Some(open) = self.state.breaker.refusal(now) else {
            return self.prepare(request).map(Box::new);
        };
        let operation = request.operation;
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
        Err(MicroserviceError::unavailable(
            context,
            UnavailableReason::CircuitOpen,
            0,
            Some(Box::new(open)),
        ))
    }

    async fn run(&self, prepared: &Prepared) -> Result<Response, MicroserviceError> {
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
        state.budget.deposit(started.into_std());

        let mut attempt = 0u32;
        let mut refreshed: Option<Secret> = None;
        let mut refresh_spent = false;
        let mut last_error: Option<MicroserviceError> = None;
        // The latest clock reading: taken before and after each attempt, and
        // again after anything that waited (a token fetch or refresh, a
        // retry's backoff).
        let mut clock = started;
        loop {
            attempt += 1;
            let permit = match state.breaker.try_acquire(clock.into_std()) {
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
            let (applied, waited) = self
                .credentials(prepared, refreshed.as_ref(), deadline)
                .await?;
            if waited {
                clock = Instant::now();
            }
            let attempting = self.attempt(prepared, applied, attempt_timeout, deadline, clock);
            let span = telemetry::attempt_span(attempt);
            let outcome = if span.is_disabled() {
                attempting.await
            } else {
                attempting.instrument(span).await
            };
            let finished = Instant::now();
            if outcome.is_deadline() {
                // The caller's own deadline ran out: not the upstream's fault.
                drop(permit);
            } else {
                state
                    .breaker
                    .record(permit, outcome.verdict(), finished.into_std());
            }

            if outcome.status() == Some(401)
                && !refresh_spent
                && let Some(token) = Box::pin(self.refresh(prepared, deadline)).await?
            {
                refresh_spent = true;
                refreshed = Some(token);
                clock = Instant::now();
                continue;
            }
            let retry_outcome = outcome.outcome();
            let result = self.finish(prepared, outcome, attempt);
            let error = match result {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let decision =
                policy.decide(attempt, prepared.replayable, retry_outcome, fastrand::f64());
            let RetryDecision::Retry(delay) = decision else {
                return Err(error);
            };
            if deadline.saturating_duration_since(finished) <= delay {
                return Err(error);
            }
            if !state.budget.try_withdraw(finished.into_std()) {
                tracing::debug!(attempt, "retry budget spent; not retrying");
                return Err(error);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            last_error = Some(error);
            // Rare paths (retry waits, token refreshes) are boxed so that
            // the call's future stays small on the common path.
            Box::pin(tokio::time::sleep(delay)).await;
            clock = Instant::now();
        }
    }

    /// The credentials of one attempt, in wire form, and whether getting
    /// them waited. Only a token provider can take time: static credentials
    /// are placed at once, and the provider's wait lives in its own
    /// allocation, so the call's future stays small for everyone else.
    async fn credentials(
        &self,
        prepared: &Prepared,
        refreshed: Option<&Secret>,
        deadline: Instant,
    ) -> Result<(Applied, bool), MicroserviceError> {
        let choice = auth::place(
            &prepared.operation.security,
            self.state.credentials.as_ref(),
            &self.state.name,
            refreshed,
        )
        .map_err(|failure| auth_error(prepared, failure))?;
        let (placement, waited) = match choice {
            Choice::Ready(placement) => (placement, false),
            Choice::Fetch(provider) => {
                let fetching = async { provider.token().await.map_err(AuthFailure::Provider) };
                let token = Box::pin(credential_step(prepared, deadline, fetching)).await?;
                (auth::bearer(&token), true)
            }
        };
        Ok((apply(prepared, placement)?, waited))
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

/// Credentials in wire form, checked before the attempt is sent.
pub(super) enum Applied {
    /// Nothing to add.
    Nothing,
    /// A header, marked sensitive.
    Header(HeaderName, HeaderValue),
    /// A `Cookie` header, marked sensitive, added beside any other cookie.
    Cookie(HeaderValue),
    /// A query parameter.
    Query(&'static str, Secret),
}

/// Turns a placement into wire form. A credential that cannot travel as a
/// header (e.g. a token with a line break) fails the call instead of going
/// out without credentials.
fn apply(prepared: &Prepared, placement: Placement) -> Result<Applied, MicroserviceError> {
    let invalid = |name: &str| {
        MicroserviceError::invalid(
            prepared.context.clone(),
            InvalidRequestReason::Header {
                name: name.to_owned(),
            },
            None,
        )
    };
    Ok(match placement {
        Placement::Anonymous => Applied::Nothing,
        Placement::Query(name, secret) => Applied::Query(name, secret),
        Placement::Header(name, secret) => {
            let (header, mut value) =
                prepare::header_pair(name, secret.expose()).map_err(|_| invalid(name))?;
            value.set_sensitive(true);
            Applied::Header(header, value)
        }
        Placement::Cookie(name, secret) => {
            let mut value = HeaderValue::from_str(&format!("{name}={}", secret.expose()))
                .map_err(|_| invalid(name))?;
            value.set_sensitive(true);
            Applied::Cookie(value)
        }
    })
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
        Ok(result) => result.map_err(|failure| auth_error(prepared, failure)),
        Err(_) => Err(MicroserviceError::unavailable(
            prepared.context.clone(),
            UnavailableReason::DeadlineExceeded,
            0,
            None,
        )),
    }
}

/// Records how a call ended on its span.
fn record_call(span: &tracing::Span, result: &Result<Response, MicroserviceError>) {
    match result {
        Ok(response) => {
            telemetry::record_outcome(span, Some(response.status), None);
            span.record("attempts", response.attempts);
        }
        Err(error) => {
            telemetry::record_outcome(span, error.status(), Some(&error_type(error)));
            span.record("attempts", error.attempts());
        }
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
#[cfg(test)]
mod tests {
    use crate::request::{Method, Operation, Request};
    use crate::{RuntimeConfig, Session};

    static PING: Operation = Operation::new("ping", Method::Get, "/ping");

    /// Every layer a generated method awaits copies the call's future at
    /// least once: it is kept small by boxing the prepared request and the
    /// rare paths (token fetches, refreshes, retry waits).
    #[test]
    fn the_call_future_stays_small() {
        let config = RuntimeConfig::builder()
            .service_url("ping", "http://127.0.0.1:1")
            .build()
            .unwrap();
        let client = Session::new(config).unwrap().service("ping").unwrap();
        let call = client.execute(Request::new(&PING));
        let size = size_of_val(&call);
        assert!(size <= 1024, "the call's future grew to {size} bytes");
    }
}
