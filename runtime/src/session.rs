//! The one pooled HTTP session every service client shares.
//!
//! A [`Session`] owns one transport (by default a single keep-alive
//! connection pool) and, per upstream service, one circuit breaker and one
//! retry budget. Cloning a session, or a
//! [`ServiceClient`] made from it, shares all of them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::auth::Credentials;
use crate::breaker::{BreakerState, CircuitBreaker};
use crate::config::{ConfigError, RuntimeConfig, service_env_prefix, service_key};
use crate::links::LinkError;
use crate::options::CallOptions;
use crate::retry::RetryBudget;
use crate::transport::{ReqwestTransport, Transport};

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
    transport: Arc<dyn Transport>,
    config: RuntimeConfig,
    services: Mutex<BTreeMap<String, Arc<ServiceState>>>,
}

/// What a session keeps per service.
pub(crate) struct ServiceState {
    pub(crate) name: Arc<str>,
    /// The prefix of the service's environment variables, for hints.
    pub(crate) env_prefix: String,
    /// The base URL, parsed and checked once.
    pub(crate) base: url::Url,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) breaker: Arc<CircuitBreaker>,
    pub(crate) budget: RetryBudget,
}

impl Session {
    /// A session over `config`, with the default transport: one pooled
    /// HTTP client built from the configuration's HTTP settings.
    pub fn new(config: RuntimeConfig) -> Result<Self, ConfigError> {
        let transport =
            ReqwestTransport::new(&config.http).map_err(|error| ConfigError::Client {
                reason: error.to_string(),
            })?;
        Ok(Self::with_transport(config, transport))
    }

    /// A session over `config` whose requests go through `transport`: an
    /// in-memory fake in tests, or a custom HTTP stack. Retries, breakers,
    /// budgets, deadlines, link resolution and error mapping run as with the
    /// default transport.
    pub fn with_transport(config: RuntimeConfig, transport: impl Transport) -> Self {
        Self {
            shared: Arc::new(Shared {
                transport: Arc::new(transport),
                config,
                services: Mutex::new(BTreeMap::new()),
            }),
        }
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
        let now = now();
        Ok(ServiceState {
            name: Arc::from(key),
            env_prefix: service_env_prefix(key),
            base: service.base_url().clone(),
            credentials: service.credentials().cloned(),
            breaker: Arc::new(CircuitBreaker::new(config.breaker, now)),
            budget: RetryBudget::new(config.budget, now),
        })
    }

    /// The transport every call of this session goes through.
    pub(crate) fn transport(&self) -> &dyn Transport {
        self.shared.transport.as_ref()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.shared.config)
            .field("transport", &self.shared.transport)
            .finish_non_exhaustive()
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
        &self.state.name
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
            .field("base_url", &self.state.base.as_str())
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
