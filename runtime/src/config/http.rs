//! The HTTP client settings of a configuration: in code on the builder, and
//! from the environment (the runtime's own variables and the standard proxy
//! variables).

use std::time::Duration;

use super::builder::{
    CA_FILE, CLIENT_CERT_FILE, CLIENT_KEY_FILE, CONNECT_TIMEOUT, HTTP1_ONLY, POOL_IDLE_TIMEOUT,
    POOL_MAX_IDLE_PER_HOST, USER_AGENT, parse_url,
};
use super::{ConfigError, RuntimeConfigBuilder};
use crate::transport::{Certificate, HttpSettings, HttpVersion, Identity};

/// The standard proxy variables, upper-case and lower-case.
pub(super) const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

impl RuntimeConfigBuilder {
    /// `CLIENTGEN_CONNECT_TIMEOUT_MS`: time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// `CLIENTGEN_USER_AGENT`: the `User-Agent` of every request (default
    /// `clientgen/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.http.user_agent = user_agent.into();
        self
    }

    /// `CLIENTGEN_POOL_IDLE_TIMEOUT_MS`: how long an idle pooled connection
    /// is kept open.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.http.pool_idle_timeout = timeout;
        self
    }

    /// `CLIENTGEN_POOL_MAX_IDLE_PER_HOST`: the most idle connections kept
    /// per host.
    pub fn pool_max_idle_per_host(mut self, connections: usize) -> Self {
        self.http.pool_max_idle_per_host = connections;
        self
    }

    /// `CLIENTGEN_HTTP1_ONLY`: never negotiate HTTP/2, even over TLS.
    pub fn http1_only(mut self) -> Self {
        self.http.version = HttpVersion::Http1Only;
        self
    }

    /// `HTTP_PROXY` and `HTTPS_PROXY` at once (`ALL_PROXY`): the proxy of
    /// every request, e.g. `http://proxy.internal:3128`.
    pub fn proxy(self, url: &str) -> Result<Self, ConfigError> {
        self.http_proxy(url)?.https_proxy(url)
    }

    /// `HTTP_PROXY`: the proxy of `http://` requests.
    pub fn http_proxy(mut self, url: &str) -> Result<Self, ConfigError> {
        self.http.proxy.http = Some(proxy_url("HTTP_PROXY", url)?);
        Ok(self)
    }

    /// `HTTPS_PROXY`: the proxy of `https://` requests.
    pub fn https_proxy(mut self, url: &str) -> Result<Self, ConfigError> {
        self.http.proxy.https = Some(proxy_url("HTTPS_PROXY", url)?);
        Ok(self)
    }

    /// `NO_PROXY`: hosts reached without the proxy, comma-separated: host
    /// names, domains (`.internal`), IP addresses, CIDR ranges, or `*`.
    pub fn no_proxy(mut self, hosts: impl Into<String>) -> Self {
        self.http.proxy.no_proxy = Some(hosts.into());
        self
    }

    /// `CLIENTGEN_CA_FILE`: trusts `certificate` beside the system's roots
    /// (e.g. a company CA, or a test server's self-signed certificate).
    pub fn add_root_certificate(mut self, certificate: Certificate) -> Self {
        self.http.root_certificates.push(certificate);
        self
    }

    /// `CLIENTGEN_CLIENT_CERT_FILE` and `CLIENTGEN_CLIENT_KEY_FILE`: the
    /// identity presented to upstreams that ask for a client certificate.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.http.identity = Some(identity);
        self
    }

    /// Every HTTP client setting at once.
    pub fn http_settings(mut self, settings: HttpSettings) -> Self {
        self.http = settings;
        self
    }
}

/// The runtime's own HTTP variables that [`apply_var`] reads.
pub(super) const VARIABLES: [&str; 6] = [
    CONNECT_TIMEOUT,
    POOL_IDLE_TIMEOUT,
    POOL_MAX_IDLE_PER_HOST,
    USER_AGENT,
    HTTP1_ONLY,
    CA_FILE,
];

/// Applies `name`, one of [`VARIABLES`], to `builder`.
pub(super) fn apply_var(
    builder: RuntimeConfigBuilder,
    name: &str,
    value: &str,
) -> Result<RuntimeConfigBuilder, ConfigError> {
    match name {
        CONNECT_TIMEOUT => super::env::millis(name, value).map(|t| builder.connect_timeout(t)),
        POOL_IDLE_TIMEOUT => super::env::millis(name, value).map(|t| builder.pool_idle_timeout(t)),
        POOL_MAX_IDLE_PER_HOST => {
            super::env::number(name, value).map(|n| builder.pool_max_idle_per_host(n))
        }
        USER_AGENT => Ok(builder.user_agent(value)),
        HTTP1_ONLY => match value.trim() {
            "true" | "1" => Ok(builder.http1_only()),
            "false" | "0" => Ok(builder),
            _ => Err(ConfigError::invalid(name, "expected true or false")),
        },
        CA_FILE => read(name, value)
            .and_then(|pem| Certificate::from_pem(&pem).map_err(|e| invalid(name, e)))
            .map(|certificates| {
                certificates
                    .into_iter()
                    .fold(builder, RuntimeConfigBuilder::add_root_certificate)
            }),
        _ => Ok(builder),
    }
}

/// Applies the client identity from its two variables, when either is set.
pub(super) fn apply_identity(
    builder: RuntimeConfigBuilder,
    certificate: Option<&str>,
    key: Option<&str>,
) -> Result<RuntimeConfigBuilder, ConfigError> {
    match (certificate, key) {
        (None, None) => Ok(builder),
        (Some(_), None) => Err(missing_pair(CLIENT_KEY_FILE, CLIENT_CERT_FILE)),
        (None, Some(_)) => Err(missing_pair(CLIENT_CERT_FILE, CLIENT_KEY_FILE)),
        (Some(certificate), Some(key)) => {
            let chain = read(CLIENT_CERT_FILE, certificate)?;
            let key = read(CLIENT_KEY_FILE, key)?;
            let identity = Identity::from_pem(&chain, &key)
                .map_err(|error| invalid(CLIENT_CERT_FILE, error))?;
            Ok(builder.identity(identity))
        }
    }
}

/// Applies the standard proxy variables: a lower-case name wins over its
/// upper-case twin, and `HTTP_PROXY`/`HTTPS_PROXY` over `ALL_PROXY`.
pub(super) fn apply_proxies(
    mut builder: RuntimeConfigBuilder,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<RuntimeConfigBuilder, ConfigError> {
    let get = |upper: &str| {
        lookup(&upper.to_ascii_lowercase())
            .or_else(|| lookup(upper))
            .filter(|value| !value.trim().is_empty())
    };
    // `ALL_PROXY` often names a SOCKS proxy for other tools: one that is
    // not an HTTP proxy is left to them.
    let all = get("ALL_PROXY").filter(|url| {
        let http = url.starts_with("http://") || url.starts_with("https://");
        if !http {
            tracing::warn!("ALL_PROXY is not an http:// or https:// proxy; ignored");
        }
        http
    });
    if let Some(url) = get("HTTP_PROXY").or_else(|| all.clone()) {
        builder = builder.http_proxy(&url)?;
    }
    if let Some(url) = get("HTTPS_PROXY").or(all) {
        builder = builder.https_proxy(&url)?;
    }
    if let Some(hosts) = get("NO_PROXY") {
        builder = builder.no_proxy(hosts);
    }
    Ok(builder)
}

fn proxy_url(variable: &str, url: &str) -> Result<url::Url, ConfigError> {
    let parsed = parse_url(variable, url)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConfigError::invalid(
            variable,
            "a proxy must be an http:// or https:// URL with a host",
        ));
    }
    Ok(parsed)
}

fn read(variable: &str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path.trim())
        .map_err(|error| ConfigError::invalid(variable, format!("cannot read {path}: {error}")))
}

fn invalid(variable: &str, error: impl std::fmt::Display) -> ConfigError {
    ConfigError::invalid(variable, error.to_string())
}

fn missing_pair(absent: &str, present: &str) -> ConfigError {
    ConfigError::Missing {
        variable: absent.to_owned(),
        hint: format!("{present} is set, and a client identity needs both"),
    }
}
