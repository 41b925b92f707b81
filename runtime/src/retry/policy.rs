//! The retry decision, as a pure function of what happened.

use std::time::Duration;

use super::backoff::Backoff;

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// The upstream answered with this status (and maybe a `Retry-After`).
    Status {
        /// The HTTP status.
        status: u16,
        /// The parsed `Retry-After`, if the upstream sent one.
        retry_after: Option<Duration>,
    },
    /// No connection could be made; nothing was sent.
    Connect,
    /// The attempt timed out.
    Timeout,
    /// The connection broke mid-exchange.
    Reset,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryDecision {
    /// Try again after this delay.
    Retry(Duration),
    /// Return the attempt's result.
    Stop(StopReason),
}

/// Why the policy stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum StopReason {
    /// The outcome is final: a success, or an error no retry can fix.
    NotRetryable,
    /// The request is not safe to send twice (POST/PATCH without an
    /// idempotency key and not declared idempotent).
    NotReplayable,
    /// The attempt limit is reached.
    AttemptsExhausted,
    /// The upstream asked to wait longer than the policy's cap.
    RetryAfterTooLong,
}

/// When and how often to retry.
///
/// Retries happen only for transient outcomes (connect failure, timeout,
/// reset, 429, 502, 503, 504), only for requests that are safe to send again,
/// at most `max_attempts` attempts in all, after a backoff with full jitter or
/// the upstream's `Retry-After` when it gives one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    backoff: Backoff,
    retry_after_cap: Duration,
}

impl RetryPolicy {
    /// A policy of at most `max_attempts` attempts (at least 1).
    pub fn new(max_attempts: u32, backoff: Backoff, retry_after_cap: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            backoff,
            retry_after_cap,
        }
    }

    /// A policy that never retries.
    pub fn never() -> Self {
        Self::new(1, Backoff::default(), Duration::ZERO)
    }

    /// The attempt limit, first attempt included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff between attempts.
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The longest `Retry-After` the policy waits for.
    pub fn retry_after_cap(&self) -> Duration {
        self.retry_after_cap
    }

    /// Whether an outcome is transient, so that the same request may succeed
    /// if sent again.
    pub(crate) fn is_transient(outcome: AttemptOutcome) -> bool {
        match outcome {
            AttemptOutcome::Status { status, .. } => is_retryable_status(status),
            AttemptOutcome::Connect | AttemptOutcome::Timeout | AttemptOutcome::Reset => true,
        }
    }

    /// Decides what follows attempt number `attempt` (1-based) that ended
    /// with `outcome`. `replayable` says whether the request may be sent
    /// twice; `jitter` is a uniform sample in `[0, 1)`.
    pub(crate) fn decide(
        &self,
        attempt: u32,
        replayable: bool,
        outcome: AttemptOutcome,
        jitter: f64,
    ) -> RetryDecision {
        if !Self::is_transient(outcome) {
            return RetryDecision::Stop(StopReason::NotRetryable);
        }
        if !replayable {
            return RetryDecision::Stop(StopReason::NotReplayable);
        }
        if attempt >= self.max_attempts {
            return RetryDecision::Stop(StopReason::AttemptsExhausted);
        }
        match outcome {
            AttemptOutcome::Status {
                retry_after: Some(wait),
                ..
            } if wait > self.retry_after_cap => RetryDecision::Stop(StopReason::RetryAfterTooLong),
            AttemptOutcome::Status {
                retry_after: Some(wait),
                ..
            } => RetryDecision::Retry(wait),
            _ => RetryDecision::Retry(self.backoff.delay(attempt - 1, jitter)),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(3, Backoff::default(), Duration::from_secs(5))
    }
}

/// The statuses worth retrying: 429, 502, 503 and 504.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> AttemptOutcome {
        AttemptOutcome::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn retries_transient_outcomes_of_replayable_requests() {
        let policy = RetryPolicy::default();
        for outcome in [
            AttemptOutcome::Connect,
            AttemptOutcome::Timeout,
            AttemptOutcome::Reset,
            status(429),
            status(502),
            status(503),
            status(504),
        ] {
            assert!(
                matches!(
                    policy.decide(1, true, outcome, 0.5),
                    RetryDecision::Retry(_)
                ),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn never_retries_final_statuses() {
        let policy = RetryPolicy::default();
        for code in [200, 201, 204, 400, 401, 403, 404, 409, 422, 500, 501] {
            assert_eq!(
                policy.decide(1, true, status(code), 0.5),
                RetryDecision::Stop(StopReason::NotRetryable),
                "{code}"
            );
        }
    }

    #[test]
    fn unsafe_requests_are_not_replayed() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.decide(1, false, status(503), 0.5),
            RetryDecision::Stop(StopReason::NotReplayable)
        );
        assert_eq!(
            policy.decide(1, false, AttemptOutcome::Timeout, 0.5),
            RetryDecision::Stop(StopReason::NotReplayable)
        );
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy::new(3, Backoff::default(), Duration::from_secs(1));
        assert!(matches!(
            policy.decide(2, true, status(503), 0.0),
            RetryDecision::Retry(_)
        ));
        assert_eq!(
            policy.decide(3, true, status(503), 0.0),
            RetryDecision::Stop(StopReason::AttemptsExhausted)
        );
        assert_eq!(
            RetryPolicy::never().decide(1, true, status(503), 0.0),
            RetryDecision::Stop(StopReason::AttemptsExhausted)
        );
    }

    #[test]
    fn backoff_grows_with_the_attempt_number() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        let policy = RetryPolicy::new(5, backoff, Duration::from_secs(1));
        let delays: Vec<_> = (1..5)
            .map(|attempt| policy.decide(attempt, true, AttemptOutcome::Connect, 0.999_999))
            .collect();
        let expected_ceilings = [100u64, 200, 400, 800];
        for (decision, ceiling) in delays.iter().zip(expected_ceilings) {
            let RetryDecision::Retry(delay) = decision else {
                panic!("expected a retry, got {decision:?}");
            };
            assert!(*delay < Duration::from_millis(ceiling));
            assert!(*delay > Duration::from_millis(ceiling) * 99 / 100);
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::new(3, Backoff::default(), Duration::from_secs(5));
        let asks = |secs| AttemptOutcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            policy.decide(1, true, asks(3), 0.0),
            RetryDecision::Retry(Duration::from_secs(3))
        );
        assert_eq!(
            policy.decide(1, true, asks(6), 0.0),
            RetryDecision::Stop(StopReason::RetryAfterTooLong)
        );
    }
}
