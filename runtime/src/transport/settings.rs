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
#[derive(Clone, Default, PartialEq, Eq)]
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

impl std::fmt::Debug for ProxySettings {
    /// A proxy's password is never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |url: &Option<url::Url>| {
            url.as_ref().map(|url| {
                let mut shown = url.clone();
                if shown.password().is_some() {
                    // Setting a password on a URL that has one cannot fail.
                    let _ = shown.set_password(Some("***"));
                }
                shown.to_string()
            })
        };
        f.debug_struct("ProxySettings")
            .field("http", &shown(&self.http))
            .field("https", &shown(&self.https))
            .field("no_proxy", &self.no_proxy)
            .finish()
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
