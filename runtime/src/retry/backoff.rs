//! Exponential backoff with full jitter.

use std::time::Duration;

/// Exponential backoff: the n-th retry waits a uniformly random time in
/// `[0, min(max, base * 2^n))` ("full jitter"), which spreads retries of many
/// callers instead of synchronising them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Backoff {
    /// Backoff starting at `base` and never above `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
        }
    }

    /// The first retry's upper bound.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The upper bound of any delay.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The upper bound of the delay before retry number `retry` (0-based).
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The delay before retry number `retry`, for a jitter sample `unit` in
    /// `[0, 1)` (values outside are clamped).
    pub(crate) fn delay(&self, retry: u32, unit: f64) -> Duration {
        self.ceiling(retry).mul_f64(unit.clamp(0.0, 1.0))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(750));
        let ceilings: Vec<u128> = (0..6).map(|n| backoff.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 750, 750, 750]);
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_millis(750));
    }

    #[test]
    fn jitter_spans_zero_to_ceiling() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(2, 0.0), Duration::ZERO);
        assert_eq!(backoff.delay(2, 0.5), Duration::from_millis(200));
        assert_eq!(backoff.delay(2, 7.0), Duration::from_millis(400));
        for _ in 0..1_000 {
            let delay = backoff.delay(3, fastrand::f64());
            assert!(delay < backoff.ceiling(3));
        }
    }
}
