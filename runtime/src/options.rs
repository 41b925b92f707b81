//! Overrides for the calls of one client handle: timeouts, retry policy and
//! extra headers, without building a new client.

use std::time::Duration;

use crate::retry::RetryPolicy;

/// Overrides for the calls made through one client handle.
///
/// ```
/// use std::time::Duration;
/// use clientgen_runtime::CallOptions;
///
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(2))
///     .header("X-Request-ID", "req-7f3a");
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    pub(crate) deadline: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) headers: Vec<(String, String)>,
}

impl CallOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// The overall deadline of each call, retries included.
    pub fn timeout(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The timeout of each attempt.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The retry policy (e.g. [`RetryPolicy::never`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sets a header on every call (e.g. `X-Request-ID` propagation).
    ///
    /// Each header name is sent once: a header the operation itself sets
    /// (one of its parameters, its body's `Content-Type`, its idempotency
    /// key, its credentials) replaces a header of the same name given here,
    /// and a name given here twice keeps its last value. Idempotency keys
    /// are per call, never per handle: `Idempotency-Key` (and an
    /// operation's own idempotency header) given here is not sent; give
    /// the key to the call itself.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl std::fmt::Debug for CallOptions {
    /// Header values may be credentials: only their names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("CallOptions")
            .field("deadline", &self.deadline)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("retry", &self.retry)
            .field("headers", &headers)
            .finish()
    }
}
