//! Building a [`RuntimeConfig`] in code, and validating it.

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use super::{
    ConfigError, DEFAULT_AUTH_CALLBACK_PATH, DEFAULT_FRONTEND_URL, RuntimeConfig, ServiceConfig,
    Timeouts, service_env_prefix, service_key,
};
use crate::auth::Credentials;
use crate::breaker::BreakerConfig;
use crate::links::LinkResolver;
use crate::retry::{Backoff, BudgetConfig, RetryPolicy};
use crate::transport::HttpSettings;

pub(crate) const FRONTEND_URL: &str = "FRONTEND_URL";
pub(crate) const AUTH_CALLBACK_URL: &str = "AUTH_CALLBACK_URL";
pub(crate) const CONNECT_TIMEOUT: &str = "CLIENTGEN_CONNECT_TIMEOUT_MS";
pub(crate) const ATTEMPT_TIMEOUT: &str = "CLIENTGEN_ATTEMPT_TIMEOUT_MS";
pub(crate) const DEADLINE: &str = "CLIENTGEN_DEADLINE_MS";
pub(crate) const STREAM_IDLE: &str = "CLIENTGEN_STREAM_IDLE_TIMEOUT_MS";
pub(crate) const MAX_ATTEMPTS: &str = "CLIENTGEN_MAX_ATTEMPTS";
pub(crate) const BACKOFF_BASE: &str = "CLIENTGEN_BACKOFF_BASE_MS";
pub(crate) const BACKOFF_MAX: &str = "CLIENTGEN_BACKOFF_MAX_MS";
pub(crate) const RETRY_AFTER_CAP: &str = "CLIENTGEN_RETRY_AFTER_CAP_MS";
pub(crate) const BUDGET_RATIO: &str = "CLIENTGEN_RETRY_BUDGET_RATIO";
pub(crate) const BUDGET_MIN_PER_SECOND: &str = "CLIENTGEN_RETRY_BUDGET_MIN_PER_SECOND";
pub(crate) const BREAKER_FAILURE_RATIO: &str = "CLIENTGEN_BREAKER_FAILURE_RATIO";
pub(crate) const BREAKER_MINIMUM_CALLS: &str = "CLIENTGEN_BREAKER_MINIMUM_CALLS";
pub(crate) const BREAKER_WINDOW: &str = "CLIENTGEN_BREAKER_WINDOW_MS";
pub(crate) const BREAKER_OPEN: &str = "CLIENTGEN_BREAKER_OPEN_MS";
pub(crate) const BREAKER_HALF_OPEN_PROBES: &str = "CLIENTGEN_BREAKER_HALF_OPEN_PROBES";
pub(crate) const MAX_BODY_BYTES: &str = "CLIENTGEN_MAX_BODY_BYTES";
pub(crate) const USER_AGENT: &str = "CLIENTGEN_USER_AGENT";
pub(crate) const POOL_IDLE_TIMEOUT: &str = "CLIENTGEN_POOL_IDLE_TIMEOUT_MS";
pub(crate) const POOL_MAX_IDLE_PER_HOST: &str = "CLIENTGEN_POOL_MAX_IDLE_PER_HOST";
pub(crate) const HTTP1_ONLY: &str = "CLIENTGEN_HTTP1_ONLY";
pub(crate) const CA_FILE: &str = "CLIENTGEN_CA_FILE";
pub(crate) const CLIENT_CERT_FILE: &str = "CLIENTGEN_CLIENT_CERT_FILE";
pub(crate) const CLIENT_KEY_FILE: &str = "CLIENTGEN_CLIENT_KEY_FILE";

/// The largest number of attempts a policy may ask for.
const ATTEMPTS_LIMIT: u32 = 10;

/// Builds a [`RuntimeConfig`] in code. Every setting starts at its default;
/// [`build`](Self::build) validates them all and names the variable (the
/// environment variable of the same setting) of the first bad one.
///
/// ```
/// use std::time::Duration;
/// use clientgen_runtime::{Credentials, RuntimeConfig};
///
/// let config = RuntimeConfig::builder()
///     .frontend_url("https://hr.example.com/app")
///     .service_url("auth", "http://auth.internal:8080")
///     .credentials("auth", Credentials::bearer("s3cret"))
///     .attempt_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(config.frontend_url(), "https://hr.example.com/app");
/// assert_eq!(config.auth_callback_url().as_str(), "https://hr.example.com/app/auth/callback");
/// # Ok::<(), clientgen_runtime::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeConfigBuilder {
    frontend_url: Option<String>,
    auth_callback_url: Option<String>,
    service_urls: BTreeMap<String, String>,
    credentials: BTreeMap<String, Credentials>,
    timeouts: Timeouts,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    retry_after_cap: Duration,
    budget: BudgetConfig,
    breaker: BreakerConfig,
    max_body_bytes: usize,
    pub(super) http: HttpSettings,
}

impl Default for RuntimeConfigBuilder {
    fn default() -> Self {
        let retry = RetryPolicy::default();
        Self {
            frontend_url: None,
            auth_callback_url: None,
            service_urls: BTreeMap::new(),
            credentials: BTreeMap::new(),
            timeouts: Timeouts::default(),
            max_attempts: retry.max_attempts(),
            backoff_base: retry.backoff().base(),
            backoff_max: retry.backoff().max(),
            retry_after_cap: retry.retry_after_cap(),
            budget: BudgetConfig::default(),
            breaker: BreakerConfig::default(),
            max_body_bytes: 4 * 1024 * 1024,
            http: HttpSettings::default(),
        }
    }
}

impl RuntimeConfigBuilder {
    /// `FRONTEND_URL`: the base of absolute frontend links.
    pub fn frontend_url(mut self, url: impl Into<String>) -> Self {
        self.frontend_url = Some(url.into());
        self
    }

    /// `AUTH_CALLBACK_URL`: the OAuth callback (default: `FRONTEND_URL` +
    /// `/auth/callback`).
    pub fn auth_callback_url(mut self, url: impl Into<String>) -> Self {
        self.auth_callback_url = Some(url.into());
        self
    }

    /// `<NAME>_SERVICE_URL`: the base URL of `service`.
    pub fn service_url(mut self, service: &str, url: impl Into<String>) -> Self {
        self.service_urls.insert(service_key(service), url.into());
        self
    }

    /// The credentials `service`'s calls authenticate with.
    pub fn credentials(mut self, service: &str, credentials: Credentials) -> Self {
        self.credentials.insert(service_key(service), credentials);
        self
    }

    /// `CLIENTGEN_ATTEMPT_TIMEOUT_MS`.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = timeout;
        self
    }

    /// `CLIENTGEN_STREAM_IDLE_TIMEOUT_MS`: the longest a streamed response
    /// body may send nothing.
    pub fn stream_idle_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.stream_idle = timeout;
        self
    }

    /// `CLIENTGEN_DEADLINE_MS`: the overall deadline of one call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.timeouts.deadline = deadline;
        self
    }

    /// `CLIENTGEN_MAX_ATTEMPTS`: attempts per call, the first included (1 to 10).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// `CLIENTGEN_BACKOFF_BASE_MS` and `CLIENTGEN_BACKOFF_MAX_MS`.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    /// `CLIENTGEN_RETRY_AFTER_CAP_MS`: the longest `Retry-After` honoured; a
    /// longer one ends the call with the upstream's answer.
    pub fn retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry_after_cap = cap;
        self
    }

    /// The retry budget (`CLIENTGEN_RETRY_BUDGET_*`).
    pub fn retry_budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = budget;
        self
    }

    /// The circuit breaker (`CLIENTGEN_BREAKER_*`).
    pub fn breaker(mut self, breaker: BreakerConfig) -> Self {
        self.breaker = breaker;
        self
    }

    /// `CLIENTGEN_MAX_BODY_BYTES`: the largest response body accepted.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Validates every setting.
    pub fn build(mut self) -> Result<RuntimeConfig, ConfigError> {
        let frontend = self.frontend_url.as_deref().unwrap_or(DEFAULT_FRONTEND_URL);
        let frontend_url = parse_url(FRONTEND_URL, frontend)?;
        let links = LinkResolver::new(&frontend_url)
            .map_err(|error| ConfigError::invalid(FRONTEND_URL, error.to_string()))?;
        let auth_callback_url = match &self.auth_callback_url {
            Some(url) => parse_http_url(AUTH_CALLBACK_URL, url)?,
            None => parse_http_url(
                FRONTEND_URL,
                &format!("{}{DEFAULT_AUTH_CALLBACK_PATH}", links.base()),
            )?,
        };
        let mut services = BTreeMap::new();
        for (service, url) in &self.service_urls {
            let variable = format!("{}_SERVICE_URL", service_env_prefix(service));
            let base_url = parse_base_url(&variable, url)?;
            let credentials = self.credentials.get(service).cloned();
            services.insert(
                service.clone(),
                ServiceConfig {
                    base_url,
                    credentials,
                },
            );
        }
        positive(CONNECT_TIMEOUT, self.http.connect_timeout)?;
        positive(POOL_IDLE_TIMEOUT, self.http.pool_idle_timeout)?;
        positive(ATTEMPT_TIMEOUT, self.timeouts.attempt)?;
        positive(DEADLINE, self.timeouts.deadline)?;
        positive(STREAM_IDLE, self.timeouts.stream_idle)?;
        if !(1..=ATTEMPTS_LIMIT).contains(&self.max_attempts) {
            return Err(ConfigError::invalid(
                MAX_ATTEMPTS,
                format!("must be between 1 and {ATTEMPTS_LIMIT}"),
            ));
        }
        positive(BACKOFF_BASE, self.backoff_base)?;
        if self.backoff_max < self.backoff_base {
            return Err(ConfigError::invalid(
                BACKOFF_MAX,
                format!("must not be below {BACKOFF_BASE}"),
            ));
        }
        ratio(BUDGET_RATIO, self.budget.ratio, true)?;
        positive(BREAKER_WINDOW, self.budget.window)?;
        ratio(BREAKER_FAILURE_RATIO, self.breaker.failure_ratio, false)?;
        at_least_one(BREAKER_MINIMUM_CALLS, self.breaker.minimum_calls)?;
        positive(BREAKER_WINDOW, self.breaker.window)?;
        positive(BREAKER_OPEN, self.breaker.open_duration)?;
        at_least_one(BREAKER_HALF_OPEN_PROBES, self.breaker.half_open_probes)?;
        if self.max_body_bytes == 0 {
            return Err(ConfigError::invalid(MAX_BODY_BYTES, "must be at least 1"));
        }
        let user_agent = self.http.user_agent.trim();
        if user_agent.is_empty() {
            return Err(ConfigError::invalid(USER_AGENT, "must not be empty"));
        }
        crate::transport::Headers::new()
            .insert("user-agent", user_agent)
            .map_err(|_| ConfigError::invalid(USER_AGENT, "not a valid header value"))?;
        self.http.user_agent = user_agent.to_owned();
        Ok(RuntimeConfig {
            links,
            auth_callback_url,
            services,
            timeouts: self.timeouts,
            retry: RetryPolicy::new(
                self.max_attempts,
                Backoff::new(self.backoff_base, self.backoff_max),
                self.retry_after_cap,
            ),
            budget: self.budget,
            breaker: self.breaker,
            max_body_bytes: self.max_body_bytes,
            http: self.http,
        })
    }
}

pub(super) fn parse_url(variable: &str, value: &str) -> Result<Url, ConfigError> {
    Url::parse(value.trim())
        .map_err(|error| ConfigError::invalid(variable, format!("not an absolute URL ({error})")))
}

fn parse_http_url(variable: &str, value: &str) -> Result<Url, ConfigError> {
    let url = parse_url(variable, value)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::invalid(
            variable,
            "scheme must be http or https",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::invalid(variable, "a host is required"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::invalid(
            variable,
            "must not contain user information; configure credentials separately",
        ));
    }
    Ok(url)
}

fn parse_base_url(variable: &str, value: &str) -> Result<Url, ConfigError> {
    let url = parse_http_url(variable, value)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::invalid(
            variable,
            "a base URL must not have a query or fragment",
        ));
    }
    Ok(url)
}

fn positive(variable: &str, duration: Duration) -> Result<(), ConfigError> {
    if duration.is_zero() {
        return Err(ConfigError::invalid(variable, "must be greater than zero"));
    }
    Ok(())
}

fn at_least_one(variable: &str, value: u32) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::invalid(variable, "must be at least 1"));
    }
    Ok(())
}

fn ratio(variable: &str, value: f64, zero_allowed: bool) -> Result<(), ConfigError> {
    let low_ok = if zero_allowed {
        value >= 0.0
    } else {
        value > 0.0
    };
    if !(low_ok && value <= 1.0) {
        let range = if zero_allowed { "[0, 1]" } else { "(0, 1]" };
        return Err(ConfigError::invalid(
            variable,
            format!("must be a number in {range}"),
        ));
    }
    Ok(())
}
