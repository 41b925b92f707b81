//! Reading the configuration from environment variables.

use std::str::FromStr;
use std::time::Duration;

use super::builder::{
    ATTEMPT_TIMEOUT, AUTH_CALLBACK_URL, BACKOFF_BASE, BACKOFF_MAX, BREAKER_FAILURE_RATIO,
    BREAKER_HALF_OPEN_PROBES, BREAKER_MINIMUM_CALLS, BREAKER_OPEN, BREAKER_WINDOW,
    BUDGET_MIN_PER_SECOND, BUDGET_RATIO, CLIENT_CERT_FILE, CLIENT_KEY_FILE, DEADLINE, FRONTEND_URL,
    MAX_ATTEMPTS, MAX_BODY_BYTES, RETRY_AFTER_CAP, STREAM_IDLE,
};
use super::http::{self, PROXY_VARIABLES};
use super::{ConfigError, RuntimeConfigBuilder};
use crate::auth::Credentials;

/// The prefix of the runtime's own settings.
const PREFIX: &str = "CLIENTGEN_";

/// Suffixes of per-service variables.
const SERVICE_URL: &str = "_SERVICE_URL";
const SERVICE_TOKEN: &str = "_SERVICE_TOKEN";
const SERVICE_API_KEY: &str = "_SERVICE_API_KEY";
const SERVICE_USERNAME: &str = "_SERVICE_USERNAME";
const SERVICE_PASSWORD: &str = "_SERVICE_PASSWORD";

/// The variables of the process that concern us, as UTF-8 strings. A
/// non-UTF-8 value of such a variable is an error naming it.
pub(super) fn process_vars() -> Result<Vec<(String, String)>, ConfigError> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if !is_ours(name) {
            continue;
        }
        let value = value
            .into_string()
            .map_err(|_| ConfigError::invalid(name, "value is not valid UTF-8"))?;
        vars.push((name.to_owned(), value));
    }
    Ok(vars)
}

fn is_ours(name: &str) -> bool {
    name == FRONTEND_URL
        || name == AUTH_CALLBACK_URL
        || PROXY_VARIABLES.contains(&name)
        || name.starts_with(PREFIX)
        || service_suffix(name).is_some()
}

/// `(service prefix, suffix)` of a per-service variable.
fn service_suffix(name: &str) -> Option<(&str, &'static str)> {
    [
        SERVICE_URL,
        SERVICE_TOKEN,
        SERVICE_API_KEY,
        SERVICE_USERNAME,
        SERVICE_PASSWORD,
    ]
    .into_iter()
    .find_map(|suffix| {
        let prefix = name.strip_suffix(suffix)?;
        (!prefix.is_empty()).then_some((prefix, suffix))
    })
}

/// A builder holding every recognised variable from `vars`.
pub(super) fn builder_from_vars<I, K, V>(vars: I) -> Result<RuntimeConfigBuilder, ConfigError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut sorted: Vec<(String, String)> = vars
        .into_iter()
        .map(|(name, value)| (name.as_ref().to_owned(), value.as_ref().to_owned()))
        .filter(|(name, _)| is_ours(name))
        .collect();
    // Last one wins for duplicates, and errors come in a stable order.
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut builder = RuntimeConfigBuilder::default();
    let mut basic: std::collections::BTreeMap<String, (Option<String>, Option<String>)> =
        Default::default();
    // Each service's credentials; several (a token and an API key, say)
    // serve operations whose security requires them together.
    let mut held: std::collections::BTreeMap<String, Vec<Credentials>> = Default::default();
    let mut timeouts = (None, None);
    let mut identity = (None, None);
    let mut backoff = (None, None);
    let mut budget = crate::retry::BudgetConfig::default();
    let mut breaker = crate::breaker::BreakerConfig::default();
    for (name, value) in &sorted {
        let name = name.as_str();
        let value = value.as_str();
        if PROXY_VARIABLES.contains(&name) {
            continue;
        }
        if http::VARIABLES.contains(&name) {
            builder = http::apply_var(builder, name, value)?;
            continue;
        }
        match name {
            FRONTEND_URL => builder = builder.frontend_url(value),
            AUTH_CALLBACK_URL => builder = builder.auth_callback_url(value),
            ATTEMPT_TIMEOUT => timeouts.0 = Some(millis(name, value)?),
            DEADLINE => timeouts.1 = Some(millis(name, value)?),
            STREAM_IDLE => builder = builder.stream_idle_timeout(millis(name, value)?),
            CLIENT_CERT_FILE => identity.0 = Some(value),
            CLIENT_KEY_FILE => identity.1 = Some(value),
            MAX_ATTEMPTS => builder = builder.max_attempts(number(name, value)?),
            BACKOFF_BASE => backoff.0 = Some(millis(name, value)?),
            BACKOFF_MAX => backoff.1 = Some(millis(name, value)?),
            RETRY_AFTER_CAP => builder = builder.retry_after_cap(millis(name, value)?),
            BUDGET_RATIO => budget.ratio = number(name, value)?,
            BUDGET_MIN_PER_SECOND => budget.min_per_second = number(name, value)?,
            BREAKER_FAILURE_RATIO => breaker.failure_ratio = number(name, value)?,
            BREAKER_MINIMUM_CALLS => breaker.minimum_calls = number(name, value)?,
            BREAKER_WINDOW => breaker.window = millis(name, value)?,
            BREAKER_OPEN => breaker.open_duration = millis(name, value)?,
            BREAKER_HALF_OPEN_PROBES => breaker.half_open_probes = number(name, value)?,
            MAX_BODY_BYTES => builder = builder.max_body_bytes(number(name, value)?),
            _ => match service_suffix(name) {
                Some((service, SERVICE_URL)) => builder = builder.service_url(service, value),
                Some((service, SERVICE_TOKEN)) => {
                    let token = Credentials::bearer(non_empty(name, value)?);
                    held.entry(service.to_owned()).or_default().push(token);
                }
                Some((service, SERVICE_API_KEY)) => {
                    let key = Credentials::api_key(non_empty(name, value)?);
                    held.entry(service.to_owned()).or_default().push(key);
                }
                Some((service, SERVICE_USERNAME)) => {
                    basic.entry(service.to_owned()).or_default().0 = Some(value.to_owned());
                }
                Some((service, _)) => {
                    basic.entry(service.to_owned()).or_default().1 = Some(value.to_owned());
                }
                None => {
                    return Err(ConfigError::invalid(
                        name,
                        "unknown setting (see RuntimeConfig::from_env for the list)",
                    ));
                }
            },
        }
    }
    for (service, pair) in basic {
        match pair {
            (Some(username), Some(password)) => {
                let basic = Credentials::basic(username, password);
                held.entry(service).or_default().push(basic);
            }
            (Some(_), None) => {
                return Err(missing_pair(&service, SERVICE_PASSWORD, SERVICE_USERNAME));
            }
            (None, _) => return Err(missing_pair(&service, SERVICE_USERNAME, SERVICE_PASSWORD)),
        }
    }
    for (service, mut credentials) in held {
        let credentials = if credentials.len() == 1 {
            credentials.remove(0)
        } else {
            Credentials::all(credentials)
        };
        builder = builder.credentials(&service, credentials);
    }
    builder = http::apply_identity(builder, identity.0, identity.1)?;
    let lookup = |name: &str| {
        sorted
            .iter()
            .rev()
            .find(|(given, _)| given == name)
            .map(|(_, value)| value.clone())
    };
    builder = http::apply_proxies(builder, lookup)?;
    let defaults = super::Timeouts::default();
    builder = builder
        .attempt_timeout(timeouts.0.unwrap_or(defaults.attempt))
        .deadline(timeouts.1.unwrap_or(defaults.deadline))
        .retry_budget(budget)
        .breaker(breaker);
    if backoff.0.is_some() || backoff.1.is_some() {
        let default = crate::retry::Backoff::default();
        builder = builder.backoff(
            backoff.0.unwrap_or(default.base()),
            backoff.1.unwrap_or(default.max()),
        );
    }
    Ok(builder)
}

fn missing_pair(service: &str, absent: &str, present: &str) -> ConfigError {
    ConfigError::Missing {
        variable: format!("{service}{absent}"),
        hint: format!("{service}{present} is set, and basic credentials need both"),
    }
}

fn non_empty<'a>(name: &str, value: &'a str) -> Result<&'a str, ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::invalid(name, "must not be empty"));
    }
    Ok(value)
}

pub(super) fn millis(name: &str, value: &str) -> Result<Duration, ConfigError> {
    value
        .trim()
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| ConfigError::invalid(name, "expected a whole number of milliseconds"))
}

pub(super) fn number<T: FromStr>(name: &str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::invalid(name, "expected a number"))
}
