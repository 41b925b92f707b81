//! A retry budget: retries may add at most a fraction of recent calls, plus a
//! small floor, so that a failing upstream is never hit by a retry storm.
//!
//! The idea comes from Finagle's `RetryBudget` and Envoy's retry budgets:
//! every call deposits `ratio` of a token, every retry withdraws a whole one,
//! and both are counted over a sliding window.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::window::{Counts, SlidingWindow};

/// How large the budget is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetConfig {
    /// Retries allowed per call made, e.g. `0.2` for 20%.
    pub ratio: f64,
    /// Retries allowed per second of the window even with no calls, so that a
    /// quiet client can still retry.
    pub min_per_second: u32,
    /// How far back calls and retries are counted.
    pub window: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            ratio: 0.2,
            min_per_second: 1,
            window: Duration::from_secs(10),
        }
    }
}

/// A thread-safe retry budget over a sliding window.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    config: BudgetConfig,
    window: Mutex<SlidingWindow>,
}

impl RetryBudget {
    /// A budget whose window starts at `now`.
    pub(crate) fn new(config: BudgetConfig, now: Instant) -> Self {
        Self {
            config,
            window: Mutex::new(SlidingWindow::new(config.window, now)),
        }
    }

    /// Records a call (a first attempt).
    pub(crate) fn deposit(&self, now: Instant) {
        self.lock().add(
            now,
            Counts {
                calls: 1,
                events: 0,
            },
        );
    }

    /// Takes one retry from the budget; `false` when it is spent.
    pub(crate) fn try_withdraw(&self, now: Instant) -> bool {
        let mut window = self.lock();
        if self.balance_of(window.total(now)) < 1.0 {
            return false;
        }
        window.add(
            now,
            Counts {
                calls: 0,
                events: 1,
            },
        );
        true
    }

    /// Retries currently available.
    #[cfg(test)]
    fn balance(&self, now: Instant) -> f64 {
        self.balance_of(self.lock().total(now))
    }

    fn balance_of(&self, counts: Counts) -> f64 {
        // The window counts calls, and retries as its events.
        let (calls, retries) = (f64::from(counts.calls), f64::from(counts.events));
        let floor = f64::from(self.config.min_per_second) * self.config.window.as_secs_f64();
        floor + self.config.ratio * calls - retries
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlidingWindow> {
        self.window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(min_per_second: u32) -> BudgetConfig {
        BudgetConfig {
            ratio: 0.2,
            min_per_second,
            window: Duration::from_secs(10),
        }
    }

    #[test]
    fn floor_allows_retries_with_no_traffic() {
        let start = Instant::now();
        let budget = RetryBudget::new(config(1), start);
        let granted = (0..100).filter(|_| budget.try_withdraw(start)).count();
        assert_eq!(granted, 10);
    }

    #[test]
    fn retries_are_capped_at_the_ratio_of_calls() {
        let start = Instant::now();
        let budget = RetryBudget::new(config(0), start);
        let mut granted = 0;
        for _ in 0..1_000 {
            budget.deposit(start);
            if budget.try_withdraw(start) {
                granted += 1;
            }
        }
        assert_eq!(granted, 200);
        assert!(!budget.try_withdraw(start));
    }

    #[test]
    fn spent_budget_refills_as_the_window_slides() {
        let start = Instant::now();
        let budget = RetryBudget::new(config(0), start);
        for _ in 0..50 {
            budget.deposit(start);
        }
        while budget.try_withdraw(start) {}
        assert!(budget.balance(start) < 1.0);
        // Still inside the window: nothing comes back.
        let later = start + Duration::from_secs(9);
        assert!(!budget.try_withdraw(later));
        // New calls deposit again.
        for _ in 0..5 {
            budget.deposit(later);
        }
        assert!(budget.try_withdraw(later));
        // Once the old slot leaves the window its retries no longer count.
        let much_later = start + Duration::from_secs(11);
        let balance = budget.balance(much_later);
        assert!((balance - 0.0).abs() < 1e-9, "balance {balance}");
    }

    #[test]
    fn a_quiet_period_restores_the_floor() {
        let start = Instant::now();
        let budget = RetryBudget::new(config(2), start);
        while budget.try_withdraw(start) {}
        assert!(!budget.try_withdraw(start + Duration::from_secs(5)));
        assert!((budget.balance(start + Duration::from_secs(10)) - 20.0).abs() < 1e-9);
    }
}
