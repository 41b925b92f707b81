//! Settings of the default transport's HTTP client.

use std::time::Duration;

use super::tls::{Certificate, Identity};

/// The `User-Agent` every request carries unless configured otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("clientgen/", env!("CARGO_PKG_VERSION"));

/// Which HTTP versions the client speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/2 where TLS negotiates it (ALPN), HTTP/1.1 otherwise.
    #[default]
    Negotiated,
    /// HTTP/1.1 only.
    Http1Only,
}

/// Proxies for outgoing requests, as the standard `HTTP_PROXY`,
/// `HTTPS_PROXY` and `NO_PROXY` variables describe them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxySettings {
    /// The proxy of `http://` requests.
    pub http: Option<url::Url>,
    /// The proxy of `https://` requests.
    pub https: Option<url::Url>,
    /// Hosts reached directly: a comma-separated list of host names,
    /// domains (`.example.com`), IP addresses and CIDR ranges, or `*`.
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    /// Whether no proxy is set.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }
}

/// How the default transport's HTTP client connects.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HttpSettings {
    /// Time allowed to open a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long an unused pooled connection is kept open.
    pub pool_idle_timeout: Duration,
    /// The most idle connections kept per host.
    pub pool_max_idle_per_host: usize,
    /// The `User-Agent` of every request.
    pub user_agent: String,
    /// Which HTTP versions to speak.
    pub version: HttpVersion,
    /// Proxies.
    pub proxy: ProxySettings,
    /// Root certificates trusted beside the platform's.
    pub root_certificates: Vec<Certificate>,
    /// The client identity presented for mutual TLS.
    pub identity: Option<Identity>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: usize::MAX,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            version: HttpVersion::Negotiated,
            proxy: ProxySettings::default(),
            root_certificates: Vec::new(),
            identity: None,
        }
    }
}
