//! Retries, only when they are safe and only while the budget allows.
//!
//! - `policy`: the pure decision "retry after this outcome, and when?"
//! - `backoff`: exponential backoff with full jitter.
//! - `retry_after`: parsing `Retry-After` in both forms.
//! - `budget`: a per-service budget that caps retries at a fraction of
//!   recent calls, so a failing upstream never sees a retry storm.

mod backoff;
mod budget;
pub(crate) mod policy;
pub(crate) mod retry_after;

pub use backoff::Backoff;
pub use budget::BudgetConfig;
pub(crate) use budget::RetryBudget;
pub use policy::RetryPolicy;
pub(crate) use policy::{AttemptOutcome, RetryDecision};
