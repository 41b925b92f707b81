//! Centralised configuration: `FRONTEND_URL`, `AUTH_CALLBACK_URL`, one base
//! URL (and optional credentials) per upstream service, timeouts, retry and
//! breaker settings.
//!
//! Build it from the environment ([`RuntimeConfig::from_env`]) or from code
//! ([`RuntimeConfig::builder`]). Either way it is validated once, in
//! [`RuntimeConfigBuilder::build`], and a bad value is reported with the name
//! of the variable that holds it. No other module knows a URL.

mod builder;
mod env;
mod http;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use url::Url;

pub use builder::RuntimeConfigBuilder;

use crate::auth::Credentials;
use crate::breaker::BreakerConfig;
use crate::links::LinkResolver;
use crate::retry::{BudgetConfig, RetryPolicy};
use crate::transport::HttpSettings;

/// The default `FRONTEND_URL`.
pub const DEFAULT_FRONTEND_URL: &str = "http://localhost:3000";

/// The path appended to `FRONTEND_URL` when `AUTH_CALLBACK_URL` is not set.
pub const DEFAULT_AUTH_CALLBACK_PATH: &str = "/auth/callback";

/// A configuration value that is missing or invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{variable} is not set: {hint}")]
    Missing {
        /// The environment variable (or the builder setting named after it).
        variable: String,
        /// What to set it to.
        hint: String,
    },
    /// A variable holds a value that cannot be used. The value itself is not
    /// repeated, since it may be a secret.
    #[error("{variable} is invalid: {reason}")]
    Invalid {
        /// The environment variable (or the builder setting named after it).
        variable: String,
        /// Why the value cannot be used.
        reason: String,
    },
    /// The HTTP client could not be initialised.
    #[error("the HTTP client could not be initialised: {reason}")]
    Client {
        /// What the HTTP stack reported.
        reason: String,
    },
}

impl ConfigError {
    /// The variable the error is about, if any.
    pub fn variable(&self) -> Option<&str> {
        match self {
            Self::Missing { variable, .. } | Self::Invalid { variable, .. } => Some(variable),
            Self::Client { .. } => None,
        }
    }

    pub(crate) fn invalid(variable: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            variable: variable.into(),
            reason: reason.into(),
        }
    }
}

/// Call timeouts (the connect timeout is an [`HttpSettings`] setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed for one attempt, from sending to the end of the body.
    pub attempt: Duration,
    /// Time allowed for the whole call, retries and backoff included.
    pub deadline: Duration,
    /// Time a streamed response body may send nothing before the stream
    /// ends with an error.
    pub stream_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            attempt: Duration::from_secs(5),
            deadline: Duration::from_secs(15),
            stream_idle: Duration::from_secs(30),
        }
    }
}

/// The settings of one upstream service.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    pub(crate) base_url: Url,
    pub(crate) credentials: Option<Credentials>,
}

impl ServiceConfig {
    /// The base URL every operation path is appended to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The credentials, if configured.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }
}

/// The validated runtime configuration.
#[derive(Clone)]
pub struct RuntimeConfig {
    pub(crate) links: LinkResolver,
    pub(crate) auth_callback_url: Url,
    pub(crate) services: BTreeMap<String, ServiceConfig>,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: BudgetConfig,
    pub(crate) breaker: BreakerConfig,
    pub(crate) max_body_bytes: usize,
    pub(crate) http: HttpSettings,
}

impl RuntimeConfig {
    /// Starts a configuration in code, from the defaults.
    pub fn builder() -> RuntimeConfigBuilder {
        RuntimeConfigBuilder::default()
    }

    /// Reads the configuration from the process environment.
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `FRONTEND_URL` | base of absolute frontend links | `http://localhost:3000` |
    /// | `AUTH_CALLBACK_URL` | OAuth callback | `FRONTEND_URL` + `/auth/callback` |
    /// | `<NAME>_SERVICE_URL` | base URL of service `name` | none: required per service used |
    /// | `<NAME>_SERVICE_TOKEN` | bearer token for service `name` | none |
    /// | `<NAME>_SERVICE_API_KEY` | API key for service `name` | none |
    /// | `<NAME>_SERVICE_USERNAME`, `_PASSWORD` | basic credentials | none |
    /// | `CLIENTGEN_CONNECT_TIMEOUT_MS` | connect timeout | 2000 |
    /// | `CLIENTGEN_ATTEMPT_TIMEOUT_MS` | per-attempt timeout | 5000 |
    /// | `CLIENTGEN_DEADLINE_MS` | overall deadline per call | 15000 |
    /// | `CLIENTGEN_STREAM_IDLE_TIMEOUT_MS` | longest silence of a streamed body | 30000 |
    /// | `CLIENTGEN_MAX_ATTEMPTS` | attempts per call, first included | 3 |
    /// | `CLIENTGEN_BACKOFF_BASE_MS`, `CLIENTGEN_BACKOFF_MAX_MS` | backoff bounds | 100, 2000 |
    /// | `CLIENTGEN_RETRY_AFTER_CAP_MS` | longest `Retry-After` honoured | 5000 |
    /// | `CLIENTGEN_RETRY_BUDGET_RATIO` | retries per call | 0.2 |
    /// | `CLIENTGEN_RETRY_BUDGET_MIN_PER_SECOND` | retry floor | 1 |
    /// | `CLIENTGEN_BREAKER_FAILURE_RATIO` | failure ratio that opens | 0.5 |
    /// | `CLIENTGEN_BREAKER_MINIMUM_CALLS` | calls before the ratio counts | 10 |
    /// | `CLIENTGEN_BREAKER_WINDOW_MS` | breaker window | 30000 |
    /// | `CLIENTGEN_BREAKER_OPEN_MS` | open cool-down | 5000 |
    /// | `CLIENTGEN_BREAKER_HALF_OPEN_PROBES` | probes while half-open | 2 |
    /// | `CLIENTGEN_MAX_BODY_BYTES` | largest response body | 4194304 |
    /// | `CLIENTGEN_USER_AGENT` | `User-Agent` of every request | `clientgen/<version>` |
    /// | `CLIENTGEN_POOL_IDLE_TIMEOUT_MS` | how long an idle connection is kept | 90000 |
    /// | `CLIENTGEN_POOL_MAX_IDLE_PER_HOST` | idle connections kept per host | no limit |
    /// | `CLIENTGEN_HTTP1_ONLY` | `true`: never negotiate HTTP/2 | `false` |
    /// | `CLIENTGEN_CA_FILE` | PEM file of root certificates trusted beside the system's | none |
    /// | `CLIENTGEN_CLIENT_CERT_FILE`, `CLIENTGEN_CLIENT_KEY_FILE` | PEM client certificate chain and key (mTLS) | none |
    /// | `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` | proxy of `http://`, `https://`, both (lower-case names win) | none |
    /// | `NO_PROXY` | hosts reached directly (`localhost,.internal,10.0.0.0/8`) | none |
    ///
    /// `<NAME>` is the service name upper-cased with `-` as `_`
    /// (`leaves_wallet` -> `LEAVES_WALLET_SERVICE_URL`). An unknown
    /// `CLIENTGEN_*` variable is an error, so a typo does not go unnoticed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(env::process_vars()?)
    }

    /// Reads the configuration from `(name, value)` pairs, as
    /// [`from_env`](Self::from_env) does from the environment.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        env::builder_from_vars(vars)?.build()
    }

    /// The frontend base URL (`FRONTEND_URL`), without a trailing slash.
    pub fn frontend_url(&self) -> &str {
        self.links.base()
    }

    /// The resolver of frontend links.
    pub fn links(&self) -> &LinkResolver {
        &self.links
    }

    /// The OAuth callback URL (`AUTH_CALLBACK_URL`).
    pub fn auth_callback_url(&self) -> &Url {
        &self.auth_callback_url
    }

    /// The settings of `service`, if its base URL is configured.
    pub fn service(&self, service: &str) -> Option<&ServiceConfig> {
        self.services.get(&service_key(service))
    }

    /// The names of the configured services, sorted.
    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    /// The timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The default retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The retry budget of each service.
    pub fn budget(&self) -> BudgetConfig {
        self.budget
    }

    /// The circuit breaker thresholds of each service.
    pub fn breaker(&self) -> BreakerConfig {
        self.breaker
    }

    /// The largest response body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How the default transport's HTTP client connects: connect timeout,
    /// pool, `User-Agent`, HTTP versions, proxies and TLS.
    pub fn http(&self) -> &HttpSettings {
        &self.http
    }

    /// The error for a service whose base URL is not configured.
    pub(crate) fn missing_service(service: &str) -> ConfigError {
        ConfigError::Missing {
            variable: format!("{}_SERVICE_URL", service_env_prefix(service)),
            hint: format!(
                "set it to the base URL of the {} service",
                service_key(service)
            ),
        }
    }
}

impl fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("frontend_url", &self.links.base())
            .field("auth_callback_url", &self.auth_callback_url.as_str())
            .field("services", &self.services)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .field("breaker", &self.breaker)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// The key a service is stored under: lower case, `-` as `_`.
pub(crate) fn service_key(service: &str) -> String {
    service
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The environment prefix of a service: `leaves-wallet` -> `LEAVES_WALLET`.
pub(crate) fn service_env_prefix(service: &str) -> String {
    service_key(service).to_ascii_uppercase()
}

#[cfg(test)]
mod tests;
