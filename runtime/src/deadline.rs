//! Per-attempt deadlines without a runtime timer per call.
//!
//! A tokio timer per attempt makes the client's runtime park with a finite
//! timeout, so the kernel arms a high-resolution timer on every park: about
//! 5 µs of client CPU per sequential call, measured (BENCHMARKS.md). Here
//! deadlines live in one heap served by a single background thread that
//! sleeps until the earliest one and wakes the tasks whose deadline passed.
//! A finished attempt just drops its entry; the thread discards it when its
//! time comes, so registration costs one lock and one heap push, and the
//! client's runtime parks without a timeout as it would without deadlines.
//! Deadlines fire up to [`RESOLUTION`] late.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How late a deadline may fire: the thread sleeps at least this long, so
/// under load it wakes at most a few hundred times a second, serving every
/// deadline that passed in between at once.
const RESOLUTION: Duration = Duration::from_millis(5);

/// One registered deadline.
#[derive(Debug, Default)]
struct Entry {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// A heap item: the earliest `at` first; `seq` keeps the order total.
#[derive(Debug)]
struct Timed {
    at: Instant,
    seq: u64,
    entry: Weak<Entry>,
}

impl PartialEq for Timed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Timed {}

impl PartialOrd for Timed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Debug, Default)]
struct State {
    heap: BinaryHeap<Reverse<Timed>>,
    seq: u64,
}

#[derive(Debug, Default)]
struct Watchdog {
    state: Mutex<State>,
    wake: Condvar,
}

impl Watchdog {
    /// The process-wide watchdog, its thread started on first use.
    fn get() -> &'static Watchdog {
        static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
        WATCHDOG.get_or_init(|| {
            let watchdog: &'static Watchdog = Box::leak(Box::default());
            let spawned = std::thread::Builder::new()
                .name("clientgen-deadlines".to_owned())
                .spawn(move || watchdog.run());
            if spawned.is_err() {
                tracing::error!("cannot start the deadline thread; attempt timeouts will not fire");
            }
            watchdog
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, at: Instant, entry: &Arc<Entry>) {
        let mut state = self.lock();
        let earlier = state.heap.peek().is_none_or(|Reverse(top)| at < top.at);
        state.seq += 1;
        let seq = state.seq;
        state.heap.push(Reverse(Timed {
            at,
            seq,
            entry: Arc::downgrade(entry),
        }));
        drop(state);
        if earlier {
            self.wake.notify_one();
        }
    }

    fn run(&self) {
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while state.heap.peek().is_some_and(|Reverse(top)| top.at <= now) {
                if let Some(Reverse(timed)) = state.heap.pop()
                    && let Some(entry) = timed.entry.upgrade()
                {
                    due.push(entry);
                }
            }
            if !due.is_empty() {
                drop(state);
                for entry in due {
                    entry.fired.store(true, Ordering::Release);
                    let waker = entry
                        .waker
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take();
                    if let Some(waker) = waker {
                        waker.wake();
                    }
                }
                state = self.lock();
                continue;
            }
            let wait = state
                .heap
                .peek()
                .map(|Reverse(top)| top.at.saturating_duration_since(now).max(RESOLUTION));
            state = match wait {
                Some(wait) => {
                    self.wake
                        .wait_timeout(state, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

/// Why [`timeout`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// `future`, or [`Elapsed`] once `limit` has passed.
pub(crate) fn timeout<F: Future>(limit: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        at: Instant::now().checked_add(limit),
        entry: None,
    }
}

/// The future [`timeout`] returns.
pub(crate) struct Timeout<F> {
    future: Pin<Box<F>>,
    /// `None`: no deadline within reach of `Instant`.
    at: Option<Instant>,
    entry: Option<Arc<Entry>>,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        if Instant::now() >= at {
            return Poll::Ready(Err(Elapsed));
        }
        match &self.entry {
            Some(entry) => {
                if entry.fired.load(Ordering::Acquire) {
                    return Poll::Ready(Err(Elapsed));
                }
                let mut waker = entry.waker.lock().unwrap_or_else(PoisonError::into_inner);
                if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *waker = Some(cx.waker().clone());
                }
            }
            None => {
                let entry = Arc::new(Entry {
                    fired: AtomicBool::new(false),
                    waker: Mutex::new(Some(cx.waker().clone())),
                });
                Watchdog::get().register(at, &entry);
                self.entry = Some(entry);
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_future_times_out_near_its_deadline() {
        let started = Instant::now();
        let result = timeout(
            Duration::from_millis(50),
            tokio::time::sleep(Duration::from_secs(5)),
        )
        .await;
        let elapsed = started.elapsed();
        assert_eq!(result, Err(Elapsed));
        assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_fast_future_wins_and_its_entry_is_dropped() {
        let result = timeout(Duration::from_secs(5), async { 7 }).await;
        assert_eq!(result, Ok(7));
        let slow_then_fast = timeout(
            Duration::from_secs(5),
            tokio::time::sleep(Duration::from_millis(20)),
        )
        .await;
        assert_eq!(slow_then_fast, Ok(()));
    }

    #[tokio::test]
    async fn an_earlier_deadline_registered_later_still_fires_first() {
        let long = tokio::spawn(timeout(
            Duration::from_secs(30),
            tokio::time::sleep(Duration::from_secs(60)),
        ));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let started = Instant::now();
        let short = timeout(
            Duration::from_millis(30),
            tokio::time::sleep(Duration::from_secs(60)),
        )
        .await;
        assert_eq!(short, Err(Elapsed));
        assert!(started.elapsed() < Duration::from_secs(2));
        long.abort();
    }

    #[tokio::test]
    async fn an_unreachable_deadline_never_fires() {
        let result = timeout(Duration::MAX, async { "done" }).await;
        assert_eq!(result, Ok("done"));
    }
}
