//! One circuit breaker per upstream service.
//!
//! It judges calls, not attempts: the call path reports one verdict per
//! call, how its last attempt ended, so a blip that a retry fixes counts as
//! a healthy call (the README's runtime section compares this with the
//! anchors that count attempts).
//!
//! Closed: calls flow and verdicts are counted over a sliding window. When at
//! least `minimum_calls` were judged and the failure ratio reaches the
//! threshold, the breaker opens. Open: calls fail fast, with no network I/O,
//! for `open_duration`. Half-open: up to `half_open_probes` calls go through;
//! if they all succeed the breaker closes, and the first failure reopens it.
//!
//! Failures are network errors, timeouts and 5xx answers; a 4xx is the
//! caller's problem and never counts against the upstream.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::window::{Counts, SlidingWindow};

/// Thresholds of a circuit breaker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Failure ratio in `(0, 1]` at which the breaker opens.
    pub failure_ratio: f64,
    /// Calls the window must hold before the ratio is trusted.
    pub minimum_calls: u32,
    /// How far back outcomes are counted.
    pub window: Duration,
    /// How long the breaker stays open before it lets probes through.
    pub open_duration: Duration,
    /// Probes admitted while half-open; all must succeed to close.
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_ratio: 0.5,
            minimum_calls: 10,
            window: Duration::from_secs(30),
            open_duration: Duration::from_secs(5),
            half_open_probes: 2,
        }
    }
}

/// The observable state of a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls flow.
    Closed,
    /// Calls fail fast.
    Open,
    /// A few probes decide whether to close again.
    HalfOpen,
}

/// How a call went, for the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallVerdict {
    /// The upstream is healthy (any 1xx-4xx answer).
    Healthy,
    /// The upstream failed (network error, timeout, 5xx).
    Failed,
}

impl CallVerdict {
    /// The verdict for an HTTP status.
    pub(crate) fn from_status(status: u16) -> Self {
        if status >= 500 {
            Self::Failed
        } else {
            Self::Healthy
        }
    }
}

/// A breaker's state. A closed breaker's window counts calls, and failures
/// as its events.
#[derive(Debug)]
enum State {
    Closed { window: SlidingWindow },
    Open { until: Instant },
    HalfOpen { admitted: u32, succeeded: u32 },
}

#[derive(Debug)]
struct Inner {
    state: State,
    /// Bumped on every transition, so a late verdict from an older state is
    /// ignored.
    generation: u64,
}

/// A circuit breaker, shared by every client of one service.
///
/// A closed breaker admits a call with one atomic load: the state's
/// generation and whether it is closed are mirrored in an atomic word,
/// written under the lock at every transition. Only reporting a verdict, and every
/// step of an open or half-open breaker, takes the lock.
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
    /// `generation << 1 | 1` while closed, `0` otherwise.
    closed_as: AtomicU64,
}

/// Refusal of a call by an open breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("circuit breaker is open; next probe in {}ms", retry_in.as_millis())]
pub struct BreakerOpen {
    /// Time until the breaker admits a probe.
    pub retry_in: Duration,
}

/// Permission to make one call; report its verdict with
/// [`CircuitBreaker::record`]. Dropping it unreported (a cancelled call)
/// frees a half-open probe slot without counting anything.
#[derive(Debug)]
pub(crate) struct Permit {
    /// The breaker of a half-open probe, whose slot a dropped permit frees;
    /// `None` for a call a closed breaker admitted.
    probe: Option<Arc<CircuitBreaker>>,
    generation: u64,
    reported: bool,
}

impl CircuitBreaker {
    /// A closed breaker whose window starts at `now`.
    pub(crate) fn new(config: BreakerConfig, now: Instant) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner {
                state: State::Closed {
                    window: SlidingWindow::new(config.window, now),
                },
                generation: 0,
            }),
            closed_as: AtomicU64::new(closed_as(0)),
        }
    }

    /// The state at `now` (an open breaker whose cool-down is over reports
    /// half-open).
    pub(crate) fn state(&self, now: Instant) -> BreakerState {
        match self.lock().state {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if now < until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// The refusal an open breaker gives now, without taking a permit
    /// (`None` when a call may try [`try_acquire`](Self::try_acquire)).
    /// `now` reads the clock, which is done only when the breaker is open.
    pub(crate) fn refusal(&self, now: impl FnOnce() -> Instant) -> Option<BreakerOpen> {
        if self.closed_as.load(Ordering::Acquire) != 0 {
            return None;
        }
        self.refusal_locked(now)
    }

    #[cold]
    fn refusal_locked(&self, now: impl FnOnce() -> Instant) -> Option<BreakerOpen> {
        match self.lock().state {
            State::Open { until } => {
                let now = now();
                (now < until).then(|| BreakerOpen {
                    retry_in: until - now,
                })
            }
            _ => None,
        }
    }

    /// Asks to make a call at `now`.
    #[inline]
    pub(crate) fn try_acquire(self: &Arc<Self>, now: Instant) -> Result<Permit, BreakerOpen> {
        let closed_as = self.closed_as.load(Ordering::Acquire);
        if closed_as != 0 {
            return Ok(Permit {
                probe: None,
                generation: closed_as >> 1,
                reported: false,
            });
        }
        self.try_acquire_locked(now)
    }

    #[cold]
    fn try_acquire_locked(self: &Arc<Self>, now: Instant) -> Result<Permit, BreakerOpen> {
        let mut inner = self.lock();
        let probes = self.config.half_open_probes.max(1);
        let probe = match &mut inner.state {
            State::Closed { .. } => false,
            State::Open { until } if now < *until => {
                return Err(BreakerOpen {
                    retry_in: *until - now,
                });
            }
            State::Open { .. } => {
                self.transition(
                    &mut inner,
                    State::HalfOpen {
                        admitted: 1,
                        succeeded: 0,
                    },
                );
                true
            }
            State::HalfOpen { admitted, .. } if *admitted < probes => {
                *admitted += 1;
                true
            }
            State::HalfOpen { .. } => {
                return Err(BreakerOpen {
                    retry_in: Duration::ZERO,
                });
            }
        };
        Ok(Permit {
            probe: probe.then(|| Arc::clone(self)),
            generation: inner.generation,
            reported: false,
        })
    }

    /// Reports how the call behind `permit` went, at `now`.
    pub(crate) fn record(&self, mut permit: Permit, verdict: CallVerdict, now: Instant) {
        permit.reported = true;
        let mut inner = self.lock();
        if inner.generation != permit.generation {
            return;
        }
        let State::Closed { window } = &mut inner.state else {
            self.record_not_closed(&mut inner, verdict, now);
            return;
        };
        let failed = verdict == CallVerdict::Failed;
        let total = window.add(
            now,
            Counts {
                calls: 1,
                events: u32::from(failed),
            },
        );
        if self.should_open(total) {
            self.open(&mut inner, now);
        }
    }

    /// A verdict reported while the breaker is half open (or open again).
    #[cold]
    fn record_not_closed(&self, inner: &mut Inner, verdict: CallVerdict, now: Instant) {
        match &mut inner.state {
            State::HalfOpen { succeeded, .. } => match verdict {
                CallVerdict::Failed => self.open(inner, now),
                CallVerdict::Healthy => {
                    *succeeded += 1;
                    if *succeeded >= self.config.half_open_probes.max(1) {
                        let window = SlidingWindow::new(self.config.window, now);
                        self.transition(inner, State::Closed { window });
                    }
                }
            },
            State::Open { .. } | State::Closed { .. } => {}
        }
    }

    fn should_open(&self, counts: Counts) -> bool {
        counts.calls >= self.config.minimum_calls.max(1)
            && f64::from(counts.events) >= self.config.failure_ratio * f64::from(counts.calls)
    }

    #[cold]
    fn open(&self, inner: &mut Inner, now: Instant) {
        // A cool-down too long for the clock means "until restarted".
        let until = now
            .checked_add(self.config.open_duration)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        self.transition(inner, State::Open { until });
    }

    /// Moves to `state` as a new generation, so that verdicts on permits of
    /// the old one are ignored.
    fn transition(&self, inner: &mut Inner, state: State) {
        inner.generation += 1;
        let mirror = match state {
            State::Closed { .. } => closed_as(inner.generation),
            State::Open { .. } | State::HalfOpen { .. } => 0,
        };
        inner.state = state;
        self.closed_as.store(mirror, Ordering::Release);
    }

    #[cold]
    fn release_probe(&self, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if let State::HalfOpen { admitted, .. } = &mut inner.state {
            *admitted = admitted.saturating_sub(1);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Permit {
    #[inline]
    fn drop(&mut self) {
        if let Some(breaker) = &self.probe
            && !self.reported
        {
            breaker.release_probe(self.generation);
        }
    }
}

/// The mirror of a closed breaker in `generation`.
fn closed_as(generation: u64) -> u64 {
    generation << 1 | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(now: Instant) -> Arc<CircuitBreaker> {
        Arc::new(CircuitBreaker::new(
            BreakerConfig {
                failure_ratio: 0.5,
                minimum_calls: 4,
                window: Duration::from_secs(10),
                open_duration: Duration::from_secs(5),
                half_open_probes: 2,
            },
            now,
        ))
    }

    fn call(breaker: &Arc<CircuitBreaker>, verdict: CallVerdict, now: Instant) {
        let permit = breaker.try_acquire(now).expect("admitted");
        breaker.record(permit, verdict, now);
    }

    fn open_it(breaker: &Arc<CircuitBreaker>, now: Instant) {
        for _ in 0..4 {
            call(breaker, CallVerdict::Failed, now);
        }
        assert_eq!(breaker.state(now), BreakerState::Open);
    }

    #[test]
    fn stays_closed_below_the_minimum_number_of_calls() {
        let now = Instant::now();
        let breaker = breaker(now);
        for _ in 0..3 {
            call(&breaker, CallVerdict::Failed, now);
        }
        assert_eq!(breaker.state(now), BreakerState::Closed);
    }

    #[test]
    fn stays_closed_below_the_failure_ratio() {
        let now = Instant::now();
        let breaker = breaker(now);
        for i in 0..20 {
            let verdict = if i % 4 == 0 {
                CallVerdict::Failed
            } else {
                CallVerdict::Healthy
            };
            call(&breaker, verdict, now);
        }
        assert_eq!(breaker.state(now), BreakerState::Closed);
    }

    #[test]
    fn four_xx_never_counts_as_failure() {
        assert_eq!(CallVerdict::from_status(404), CallVerdict::Healthy);
        assert_eq!(CallVerdict::from_status(429), CallVerdict::Healthy);
        assert_eq!(CallVerdict::from_status(500), CallVerdict::Failed);
        assert_eq!(CallVerdict::from_status(503), CallVerdict::Failed);
    }

    #[test]
    fn opens_then_fails_fast_until_the_cool_down_ends() {
        let now = Instant::now();
        let breaker = breaker(now);
        open_it(&breaker, now);
        let refused = breaker
            .try_acquire(now + Duration::from_secs(2))
            .expect_err("open breaker refuses");
        assert_eq!(refused.retry_in, Duration::from_secs(3));
        assert_eq!(
            breaker.state(now + Duration::from_secs(5)),
            BreakerState::HalfOpen
        );
    }

    #[test]
    fn half_open_admits_a_few_probes_and_closes_on_their_success() {
        let now = Instant::now();
        let breaker = breaker(now);
        open_it(&breaker, now);
        let later = now + Duration::from_secs(5);
        let first = breaker.try_acquire(later).expect("probe 1");
        let second = breaker.try_acquire(later).expect("probe 2");
        assert!(breaker.try_acquire(later).is_err(), "only two probes");
        breaker.record(first, CallVerdict::Healthy, later);
        assert_eq!(breaker.state(later), BreakerState::HalfOpen);
        breaker.record(second, CallVerdict::Healthy, later);
        assert_eq!(breaker.state(later), BreakerState::Closed);
    }

    #[test]
    fn a_failed_probe_reopens() {
        let now = Instant::now();
        let breaker = breaker(now);
        open_it(&breaker, now);
        let later = now + Duration::from_secs(6);
        call(&breaker, CallVerdict::Failed, later);
        assert_eq!(breaker.state(later), BreakerState::Open);
        assert!(breaker.try_acquire(later + Duration::from_secs(4)).is_err());
        assert!(breaker.try_acquire(later + Duration::from_secs(5)).is_ok());
    }

    #[test]
    fn a_dropped_probe_frees_its_slot() {
        let now = Instant::now();
        let breaker = breaker(now);
        open_it(&breaker, now);
        let later = now + Duration::from_secs(5);
        let first = breaker.try_acquire(later).expect("probe 1");
        let _second = breaker.try_acquire(later).expect("probe 2");
        assert!(breaker.try_acquire(later).is_err());
        drop(first);
        assert!(breaker.try_acquire(later).is_ok());
    }

    /// Permits a closed breaker hands out without the lock carry the
    /// generation they were admitted in: verdicts on them are ignored once
    /// the breaker has opened and closed again, and the fast path admits
    /// calls again after it closed.
    #[test]
    fn a_verdict_from_before_the_breaker_reopened_is_ignored() {
        let now = Instant::now();
        let breaker = breaker(now);
        let stale: Vec<Permit> = (0..4)
            .map(|_| breaker.try_acquire(now).expect("closed"))
            .collect();
        open_it(&breaker, now);
        assert!(breaker.refusal(|| now).is_some());
        let later = now + Duration::from_secs(5);
        for _ in 0..2 {
            call(&breaker, CallVerdict::Healthy, later);
        }
        assert_eq!(breaker.state(later), BreakerState::Closed);
        assert!(breaker.refusal(|| later).is_none());
        for permit in stale {
            breaker.record(permit, CallVerdict::Failed, later);
        }
        assert_eq!(breaker.state(later), BreakerState::Closed);
        let fresh = breaker.try_acquire(later).expect("closed again");
        breaker.record(fresh, CallVerdict::Failed, later);
        assert_eq!(breaker.lock().generation, 3);
    }

    #[test]
    fn old_failures_slide_out_of_the_window() {
        let now = Instant::now();
        let breaker = breaker(now);
        for _ in 0..3 {
            call(&breaker, CallVerdict::Failed, now);
        }
        let later = now + Duration::from_secs(11);
        call(&breaker, CallVerdict::Failed, later);
        assert_eq!(breaker.state(later), BreakerState::Closed);
    }
}
