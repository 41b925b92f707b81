//! One call through the layers, in order: overall deadline -> retry (policy,
//! budget, backoff) -> circuit breaker -> per-attempt timeout -> pooled send
//! -> bounded body read -> status mapping.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{self, AuthFailure, Placement};
use crate::body::{self, Read};
use crate::breaker::CallVerdict;
use crate::error::{
    BoxError, CallContext, DecodeReason, InvalidRequestReason, MicroserviceError, ResponseDetails,
    UnavailableReason, excerpt,
};
use crate::request::{Method, Operation, Request};
use crate::response::Response;
use crate::retry::{AttemptOutcome, RetryDecision, retry_after};
use crate::secret::Secret;
use crate::session::{ServiceClient, now};
use crate::{links, target_url, telemetry};

/// The header an idempotency key goes in when the spec names none.
const DEFAULT_IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A request turned into HTTP terms, reused by every attempt.
struct Prepared {
    operation: &'static Operation,
    context: CallContext,
    method: reqwest::Method,
    url: url::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    replayable: bool,
}

/// How one attempt ended.
enum Attempt {
    /// The upstream answered and the body was read.
    Answered {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    },
    /// The upstream answered with a body over the limit; `prefix` holds its
    /// first bytes.
    TooLarge {
        status: u16,
        headers: HeaderMap,
        prefix: Bytes,
    },
    /// No answer.
    Failed {
        reason: UnavailableReason,
        source: Option<BoxError>,
    },
}

impl Attempt {
    fn status(&self) -> Option<u16> {
        match self {
            Self::Answered { status, .. } | Self::TooLarge { status, .. } => Some(*status),
            Self::Failed { .. } => None,
        }
    }

    fn verdict(&self) -> CallVerdict {
        self.status()
            .map_or(CallVerdict::Failed, CallVerdict::from_status)
    }

    fn outcome(&self) -> AttemptOutcome {
        match self {
            Self::Answered {
                status, headers, ..
            }
            | Self::TooLarge {
                status, headers, ..
            } => AttemptOutcome::Status {
                status: *status,
                retry_after: retry_after_of(headers),
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
        let result = async {
            let prepared = self.prepare(request)?;
            self.run(prepared).await
        }
        .instrument(span.clone())
        .await;
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

    fn prepare(&self, request: Request) -> Result<Prepared, MicroserviceError> {
        let operation = request.operation;
        let context = CallContext::new(
            Arc::clone(&self.state.name),
            operation.id,
            operation.method,
            operation.path,
        );
        let invalid = |reason, source: Option<BoxError>| {
            MicroserviceError::invalid(context.clone(), reason, source)
        };
        if let Some((reason, detail)) = request.problem {
            return Err(invalid(reason, detail.map(BoxError::from)));
        }
        let url = target_url::build(
            &self.state.base,
            operation.path,
            &request.path_params,
            &request.query,
        )
        .map_err(|reason| invalid(reason, None))?;
        let url = url::Url::parse(&url)
            .map_err(|error| invalid(InvalidRequestReason::Url, Some(Box::new(error))))?;

        let options = self.options.as_deref();
        let mut headers = HeaderMap::new();
        let extra = options.into_iter().flat_map(|options| {
            options
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
        });
        for (name, value) in request
            .headers
            .iter()
            .map(|(name, value)| (name.as_ref(), value.as_str()))
            .chain(extra)
        {
            let (name, value) = header_pair(name, value).map_err(|reason| invalid(reason, None))?;
            headers.append(name, value);
        }

        let key = options
            .and_then(|options| options.idempotency_key.clone())
            .or(request.idempotency_key)
            .or_else(|| operation.idempotency_header.map(|_| generate_key()));
        if let Some(key) = &key {
            let header = operation
                .idempotency_header
                .unwrap_or(DEFAULT_IDEMPOTENCY_HEADER);
            let (name, value) = header_pair(header, key).map_err(|reason| invalid(reason, None))?;
            headers.insert(name, value);
        }

        let body = match request.body {
            None => None,
            Some(body) => {
                let bytes = if body.json && !operation.link_fields.is_empty() {
                    links::resolve_json_fields(
                        &body.bytes,
                        operation.link_fields,
                        self.session.config().links(),
                    )
                    .map_err(|(field, error)| {
                        invalid(InvalidRequestReason::Link { field }, error)
                    })?
                } else {
                    body.bytes
                };
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(body.content_type),
                );
                Some(bytes)
            }
        };

        Ok(Prepared {
            operation,
            context,
            method: http_method(operation.method),
            url,
            headers,
            body,
            replayable: operation.method.is_idempotent() || operation.idempotent || key.is_some(),
        })
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
        let deadline = Instant::now()
            + options
                .and_then(|options| options.deadline)
                .unwrap_or(config.timeouts.deadline);
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
            state.breaker.record(permit, outcome.verdict(), now());

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
        let placing = auth::place(
            &prepared.operation.security,
            self.state.credentials.as_ref(),
            &self.state.name,
            refreshed,
        );
        match tokio::time::timeout_at(deadline, placing).await {
            Ok(Ok(placement)) => Ok(placement),
            Ok(Err(AuthFailure::Missing { accepted, hint })) => Err(MicroserviceError::invalid(
                prepared.context.clone(),
                InvalidRequestReason::MissingCredentials { accepted, hint },
                None,
            )),
            Ok(Err(AuthFailure::Provider(source))) => Err(MicroserviceError::invalid(
                prepared.context.clone(),
                InvalidRequestReason::Credentials,
                Some(source),
            )),
            Err(_) => Err(MicroserviceError::unavailable(
                prepared.context.clone(),
                UnavailableReason::DeadlineExceeded,
                0,
                None,
            )),
        }
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
        match tokio::time::timeout_at(deadline, refreshing).await {
            Ok(Ok(token)) => Ok(Some(token)),
            Ok(Err(source)) => Err(MicroserviceError::invalid(
                prepared.context.clone(),
                InvalidRequestReason::Credentials,
                Some(source),
            )),
            Err(_) => Err(MicroserviceError::unavailable(
                prepared.context.clone(),
                UnavailableReason::DeadlineExceeded,
                0,
                None,
            )),
        }
    }

    async fn attempt(
        &self,
        prepared: &Prepared,
        placement: Placement,
        attempt_timeout: Duration,
        deadline: Instant,
    ) -> Attempt {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (limit, deadline_bound) = if remaining <= attempt_timeout {
            (remaining, true)
        } else {
            (attempt_timeout, false)
        };
        let mut url = prepared.url.clone();
        let mut headers = prepared.headers.clone();
        match placement {
            Placement::Anonymous => {}
            Placement::Header(name, secret) => {
                if let Ok((name, mut value)) = header_pair(name, secret.expose()) {
                    value.set_sensitive(true);
                    headers.insert(name, value);
                }
            }
            Placement::Query(name, secret) => {
                url.query_pairs_mut().append_pair(name, secret.expose());
            }
            Placement::Cookie(name, secret) => {
                let cookie = format!("{name}={}", secret.expose());
                if let Ok(mut value) = HeaderValue::from_str(&cookie) {
                    value.set_sensitive(true);
                    headers.append(header::COOKIE, value);
                }
            }
        }
        let mut builder = self
            .session
            .http()
            .request(prepared.method.clone(), url)
            .headers(headers);
        if let Some(body) = &prepared.body {
            builder = builder.body(body.clone());
        }
        let limit_bytes = self.session.config().max_body_bytes;
        let exchange = async move {
            let mut response = match builder.send().await {
                Ok(response) => response,
                Err(error) => {
                    return Attempt::Failed {
                        reason: transport_reason(&error),
                        source: Some(Box::new(error.without_url())),
                    };
                }
            };
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            match body::read_limited(response, limit_bytes).await {
                Read::Complete(body) => Attempt::Answered {
                    status,
                    headers,
                    body,
                },
                Read::TooLarge(prefix) => Attempt::TooLarge {
                    status,
                    headers,
                    prefix,
                },
                Read::Broken(error) => Attempt::Failed {
                    reason: UnavailableReason::ConnectionReset,
                    source: Some(Box::new(error.without_url())),
                },
            }
        };
        match tokio::time::timeout(limit, exchange).await {
            Ok(attempt) => attempt,
            Err(_) => Attempt::Failed {
                reason: if deadline_bound {
                    UnavailableReason::DeadlineExceeded
                } else {
                    UnavailableReason::AttemptTimeout
                },
                source: None,
            },
        }
    }

    /// Maps how the last attempt ended to the call's result.
    fn finish(
        &self,
        prepared: &Prepared,
        attempt: Attempt,
        attempts: u32,
    ) -> Result<Response, MicroserviceError> {
        let context = prepared.context.clone();
        match attempt {
            Attempt::Answered {
                status,
                headers,
                body,
            } if (200..300).contains(&status) => Ok(Response {
                status,
                headers,
                body,
                context,
                attempts,
            }),
            Attempt::TooLarge { status, prefix, .. } if (200..300).contains(&status) => {
                let mut error = MicroserviceError::decode(
                    context,
                    status,
                    DecodeReason::BodyTooLarge,
                    &prefix,
                    None,
                );
                if let MicroserviceError::Decode(decode) = &mut error {
                    decode.attempts = attempts;
                }
                Err(error)
            }
            Attempt::Answered {
                status,
                headers,
                body,
            } => {
                let decoded = prepared
                    .operation
                    .error_decoder
                    .and_then(|decode| decode(status, &body));
                Err(MicroserviceError::from_status(ResponseDetails {
                    context,
                    status,
                    excerpt: excerpt(&body),
                    body: decoded,
                    retry_after: retry_after_of(&headers),
                    attempts,
                }))
            }
            Attempt::TooLarge {
                status,
                headers,
                prefix,
            } => Err(MicroserviceError::from_status(ResponseDetails {
                context,
                status,
                excerpt: excerpt(&prefix),
                body: None,
                retry_after: retry_after_of(&headers),
                attempts,
            })),
            Attempt::Failed { reason, source } => Err(MicroserviceError::unavailable(
                context, reason, attempts, source,
            )),
        }
    }
}

/// Validates a header pair; the value is never shown in the error.
fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), InvalidRequestReason> {
    let problem = || InvalidRequestReason::Header {
        name: name.to_owned(),
    };
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| problem())?;
    let value = HeaderValue::from_str(value).map_err(|_| problem())?;
    Ok((name, value))
}

fn http_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
        Method::Options => reqwest::Method::OPTIONS,
        Method::Patch => reqwest::Method::PATCH,
        Method::Trace => reqwest::Method::TRACE,
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

/// A random version-4 UUID, used as an idempotency key when the caller gives
/// none.
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
