//! The one pooled HTTP session every service client shares.
//!
//! A [`Session`] owns a single keep-alive connection pool and, per upstream
//! service, one circuit breaker and one retry budget. Cloning a session, or a
//! [`ServiceClient`] made from it, shares all of them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use crate::auth::Credentials;
use crate::breaker::{BreakerState, CircuitBreaker};
use crate::call::WireCredentials;
use crate::config::{ConfigError, RuntimeConfig, service_key};
use crate::links::LinkError;
use crate::options::CallOptions;
use crate::retry::RetryBudget;
use crate::target_url::Base;

/// A service's name, kept once for the life of the process. Service names
/// are few (one per configured service) and every call's context and error
/// carries one: a shared thin pointer instead of a reference count taken and
/// dropped per call, on a counter every thread calling the service would
/// share.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceName(&'static String);

impl ServiceName {
    /// The name.
    pub(crate) fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

/// `name`, interned: the same pointer every time.
pub(crate) fn intern(name: &str) -> ServiceName {
    static NAMES: OnceLock<Mutex<Vec<ServiceName>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = names.iter().find(|kept| kept.as_str() == name) {
        return *kept;
    }
    let kept = ServiceName(Box::leak(Box::new(name.to_owned())));
    names.push(kept);
    kept
}

/// A pooled HTTP session for all upstream services.
///
/// ```
/// use clientgen_runtime::{RuntimeConfig, Session};
///
/// let config = RuntimeConfig::builder()
///     .service_url("auth", "http://127.0.0.1:9")
///     .build()?;
/// let session = Session::new(config)?;
/// let auth = session.service("auth")?;
/// assert_eq!(auth.name(), "auth");
/// assert!(session.service("billing").is_err()); // BILLING_SERVICE_URL is not set
/// # Ok::<(), clientgen_runtime::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
}

struct Shared {
    http: reqwest::Client,
    config: RuntimeConfig,
    services: Mutex<BTreeMap<String, Arc<ServiceState>>>,
}

/// What a session keeps per service.
pub(crate) struct ServiceState {
    /// Interned ([`intern`]): every call's context carries it.
    pub(crate) name: ServiceName,
    /// The base URL, parsed and checked once.
    pub(crate) base: Base,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) breaker: Arc<CircuitBreaker>,
    pub(crate) budget: RetryBudget,
    /// The static credentials' wire form, built by the first call.
    pub(crate) wire: WireCredentials,
}

impl Session {
    /// A session over `config`.
    pub fn new(config: RuntimeConfig) -> Result<Self, ConfigError> {
        install_crypto_provider();
        let mut http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .pool_idle_timeout(config.pool_idle_timeout)
            .redirect(reqwest::redirect::Policy::none())
            // HTTP/1.1 only, even when another crate in the build turns on
            // reqwest's HTTP/2: the pool, the retries and the breaker are
            // designed for it.
            .http1_only()
            // Retries are ours (policy, budget, breaker). reqwest's own layer
            // would retry only HTTP/2 and HTTP/3 refusals, never made over
            // HTTP/1.1, yet it copies every request in case, unless it may
            // retry none (`never()` alone still copies).
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .tcp_nodelay(true);
        if let Some(user_agent) = &config.user_agent {
            http = http.user_agent(user_agent.as_str());
        }
        let http = http.build().map_err(|error| ConfigError::Client {
            reason: error.to_string(),
        })?;
        Ok(Self {
            shared: Arc::new(Shared {
                http,
                config,
                services: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// A session configured from the environment ([`RuntimeConfig::from_env`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(RuntimeConfig::from_env()?)
    }

    /// The session's configuration.
    pub fn config(&self) -> &RuntimeConfig {
        &self.shared.config
    }

    /// The handle generated clients use to call `service`. Every handle of
    /// one service shares its breaker and retry budget.
    pub fn service(&self, service: &str) -> Result<ServiceClient, ConfigError> {
        let key = service_key(service);
        let mut services = self
            .shared
            .services
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let state = match services.get(&key) {
            Some(state) => Arc::clone(state),
            None => {
                let state = Arc::new(self.new_state(&key)?);
                services.insert(key, Arc::clone(&state));
                state
            }
        };
        Ok(ServiceClient {
            session: self.clone(),
            state,
            options: None,
        })
    }

    fn new_state(&self, key: &str) -> Result<ServiceState, ConfigError> {
        let config = &self.shared.config;
        let service = config
            .service(key)
            .ok_or_else(|| RuntimeConfig::missing_service(key))?;
        let url = service.base_url();
        let now = Instant::now();
        Ok(ServiceState {
            name: intern(key),
            base: Base::new(url.clone()),
            credentials: service.credentials().cloned(),
            breaker: Arc::new(CircuitBreaker::new(config.breaker, now)),
            budget: RetryBudget::new(config.budget, now),
            wire: WireCredentials::default(),
        })
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// Uses ring for TLS unless the application installed another provider.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A session's handle on one upstream service: what a generated client
/// holds. Cheap to clone.
#[derive(Clone)]
pub struct ServiceClient {
    pub(crate) session: Session,
    pub(crate) state: Arc<ServiceState>,
    pub(crate) options: Option<Arc<CallOptions>>,
}

impl ServiceClient {
    /// The service's name.
    pub fn name(&self) -> &str {
        self.state.name.as_str()
    }

    /// The session this handle belongs to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A handle whose calls use `options`; it shares the pool, breaker and
    /// budget with this one.
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            session: self.session.clone(),
            state: Arc::clone(&self.state),
            options: Some(Arc::new(options)),
        }
    }

    /// The options this handle's calls use, if any were set.
    pub fn options(&self) -> Option<&CallOptions> {
        self.options.as_deref()
    }

    /// The state of the service's circuit breaker now.
    pub fn breaker_state(&self) -> BreakerState {
        self.state.breaker.state(now())
    }

    /// Resolves a frontend link against `FRONTEND_URL`.
    pub fn resolve_link(&self, link: &str) -> Result<String, LinkError> {
        self.session.config().links().resolve(link)
    }
}

impl fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("service", &self.state.name)
            .field("base_url", &self.state.base.url().as_str())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The current instant, following tokio's clock so that tests with a paused
/// clock drive breakers and budgets too.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::breaker::{BreakerConfig, CallVerdict};
    use crate::error::{MicroserviceError, UnavailableReason};
    use crate::request::{Method, Operation, Request};
    use crate::retry::BudgetConfig;

    static PING: Operation = Operation::new("ping", Method::Get, "/ping");

    fn service() -> ServiceClient {
        let config = RuntimeConfig::builder()
            .service_url("svc", "http://127.0.0.1:9")
            .breaker(BreakerConfig {
                minimum_calls: 2,
                open_duration: Duration::from_secs(30),
                ..BreakerConfig::default()
            })
            .retry_budget(BudgetConfig {
                ratio: 0.5,
                min_per_second: 0,
                window: Duration::from_secs(10),
            })
            .build()
            .expect("valid config");
        Session::new(config)
            .and_then(|session| session.service("svc"))
            .expect("service")
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_breaker_refuses_without_io_and_half_opens_on_the_paused_clock() {
        let svc = service();
        for _ in 0..2 {
            let permit = svc.state.breaker.try_acquire(now()).expect("closed");
            svc.state.breaker.record(permit, CallVerdict::Failed, now());
        }
        assert_eq!(svc.breaker_state(), BreakerState::Open);
        let error = svc.execute(Request::new(&PING)).await.expect_err("refused");
        let MicroserviceError::Unavailable(unavailable) = &error else {
            panic!("expected unavailable, got {error:?}");
        };
        assert_eq!(unavailable.reason(), UnavailableReason::CircuitOpen);
        assert_eq!(unavailable.attempts(), 0);
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(svc.breaker_state(), BreakerState::Open);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(svc.breaker_state(), BreakerState::HalfOpen);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_refills_on_the_paused_clock() {
        let svc = service();
        let budget = &svc.state.budget;
        for _ in 0..10 {
            budget.deposit(now());
        }
        let granted = (0..10).filter(|_| budget.try_withdraw(now())).count();
        assert_eq!(granted, 5);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!budget.try_withdraw(now()), "still inside the window");
        tokio::time::advance(Duration::from_secs(6)).await;
        budget.deposit(now());
        budget.deposit(now());
        assert!(budget.try_withdraw(now()), "old retries left the window");
    }

    /// A service's name is kept once, whoever asks for it: every call's
    /// context shares it instead of counting references to it.
    #[test]
    fn a_name_is_interned_once() {
        let first = intern("interned-once");
        let again = intern(&String::from("interned-once"));
        assert!(std::ptr::eq(first.as_str(), again.as_str()));
        assert_eq!(first.as_str(), "interned-once");
        assert!(!std::ptr::eq(
            first.as_str(),
            intern("interned-other").as_str()
        ));
    }

    #[test]
    fn services_share_one_breaker_per_name() {
        let svc = service();
        let again = svc.session().service("SVC").expect("same service");
        assert!(Arc::ptr_eq(&svc.state, &again.state));
        let error = svc
            .session()
            .service("billing")
            .expect_err("not configured");
        assert_eq!(error.variable(), Some("BILLING_SERVICE_URL"));
    }
}
