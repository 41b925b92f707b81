//! Per-attempt deadlines without a runtime timer per call.
//!
//! A tokio timer per attempt makes the client's runtime park with a finite
//! timeout, so the kernel arms a high-resolution timer on every park: about
//! 5 µs of client CPU per sequential call, measured (BENCHMARKS.md). Here one
//! background thread serves every deadline: it sleeps until the earliest one
//! and wakes the tasks whose deadline passed. The client's runtime parks
//! without a timeout, as it would without deadlines. Deadlines fire up to
//! [`RESOLUTION`] late.
//!
//! Registering costs one lock, a slot in a slab and a heap push; an attempt
//! that finishes first frees its slot when it is dropped. Its heap item stays
//! until the heap holds more than twice the live deadlines, when the heap is
//! rebuilt from the live ones: memory is bounded by the most attempts ever in
//! flight at once, whatever the call rate, for a constant cost per call. A
//! registered deadline is polled again without the lock and, until the
//! thread fires a deadline, without reading the clock: one atomic load says
//! nothing fired. The lock is taken only if the task's waker changed. The
//! slot holds the only copy of the task's waker; the deadline keeps its
//! identity to compare with.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How late a deadline may fire: the thread sleeps at least this long, so
/// under load it wakes at most a few hundred times a second, serving every
/// deadline that passed in between at once.
const RESOLUTION: Duration = Duration::from_millis(5);

/// Dead heap items tolerated beyond the live deadlines before a rebuild.
const SLACK: usize = 64;

/// One registered deadline in the slab.
#[derive(Debug, Default)]
struct Slot {
    /// Bumped when the slot is freed, so stale heap items and handles no
    /// longer match it.
    generation: u64,
    /// The task to wake; `None` once woken or freed.
    waker: Option<Waker>,
}

/// Where a registered deadline lives: its slot and the slot's generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Handle {
    index: usize,
    generation: u64,
}

#[derive(Debug, Default)]
struct State {
    /// Deadlines by time, earliest first; items of freed slots are skipped.
    heap: BinaryHeap<Reverse<(Instant, Handle)>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
}

impl State {
    fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    fn matches(&self, handle: Handle) -> Option<&Slot> {
        self.slots
            .get(handle.index)
            .filter(|slot| slot.generation == handle.generation)
    }

    fn matches_mut(&mut self, handle: Handle) -> Option<&mut Slot> {
        self.slots
            .get_mut(handle.index)
            .filter(|slot| slot.generation == handle.generation)
    }

    fn insert(&mut self, at: Instant, waker: Waker) -> Handle {
        let index = match self.free.pop() {
            Some(index) => index,
            None => self.grow(),
        };
        let slot = &mut self.slots[index];
        slot.waker = Some(waker);
        let handle = Handle {
            index,
            generation: slot.generation,
        };
        if self.heap.len() > 2 * self.live() + SLACK {
            self.rebuild();
        }
        self.heap.push(Reverse((at, handle)));
        handle
    }

    /// A new slot's index: the slab grows only to the most deadlines ever
    /// registered at once, so this is rare.
    #[cold]
    fn grow(&mut self) -> usize {
        self.slots.push(Slot::default());
        self.slots.len() - 1
    }

    /// Frees the slot of `handle`. Its waker is returned, to be dropped
    /// after the lock is released: the last drop of a waker may drop a task
    /// whose future holds another deadline.
    fn remove(&mut self, handle: Handle) -> Option<Waker> {
        let slot = self.matches_mut(handle)?;
        slot.generation += 1;
        let waker = slot.waker.take();
        self.free.push(handle.index);
        waker
    }

    /// Drops the heap items of freed slots.
    #[cold]
    fn rebuild(&mut self) {
        let mut items = std::mem::take(&mut self.heap).into_vec();
        items.retain(|Reverse((_, handle))| self.matches(*handle).is_some());
        self.heap = BinaryHeap::from(items);
    }
}

#[derive(Debug, Default)]
struct Watchdog {
    state: Mutex<State>,
    wake: Condvar,
    /// Rounds in which the thread woke tasks whose deadline passed. A task
    /// polled again reads the clock only when this moved since it last
    /// looked: until the thread fires, no deadline of its has passed that
    /// it must act on.
    rounds: AtomicU64,
    /// Whether the thread runs. Without it nothing fires: a deadline is then
    /// checked against the clock at every poll.
    running: AtomicBool,
}

impl Watchdog {
    /// A watchdog with its own thread, for the life of the process.
    fn spawn() -> &'static Watchdog {
        let watchdog: &'static Watchdog = Box::leak(Box::default());
        let spawned = std::thread::Builder::new()
            .name("clientgen-deadlines".to_owned())
            .spawn(move || watchdog.run());
        match spawned {
            Ok(_) => watchdog.running.store(true, Ordering::Release),
            Err(_) => tracing::error!(
                "cannot start the deadline thread; attempt timeouts fire only when a call is polled"
            ),
        }
        watchdog
    }

    /// The process-wide watchdog, its thread started on first use.
    fn get() -> &'static Watchdog {
        static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
        WATCHDOG.get_or_init(Watchdog::spawn)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, at: Instant, waker: Waker) -> Handle {
        let mut state = self.lock();
        let earlier = state
            .heap
            .peek()
            .is_none_or(|Reverse((first, _))| at < *first);
        let handle = state.insert(at, waker);
        drop(state);
        if earlier {
            self.wake.notify_one();
        }
        handle
    }

    fn run(&self) {
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while let Some(&Reverse((at, handle))) = state.heap.peek() {
                if at > now {
                    break;
                }
                state.heap.pop();
                if let Some(slot) = state.matches_mut(handle) {
                    due.extend(slot.waker.take());
                }
            }
            if !due.is_empty() {
                drop(state);
                self.rounds.fetch_add(1, Ordering::Release);
                due.into_iter().for_each(Waker::wake);
                state = self.lock();
                continue;
            }
            let wait = state
                .heap
                .peek()
                .map(|Reverse((first, _))| first.saturating_duration_since(now).max(RESOLUTION));
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

    /// Heap items and live deadlines.
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let state = self.lock();
        (state.heap.len(), state.live())
    }
}

/// A point in time a task wants to be woken at: an attempt's deadline.
///
/// Polled beside the work it limits (`poll_elapsed` after the work returned
/// `Pending`): the first such poll registers the task with the watchdog
/// thread, later ones read the clock. Dropping it frees the registration.
#[derive(Debug)]
pub(crate) struct Deadline {
    /// `None`: no deadline within reach of `Instant`.
    at: Option<Instant>,
    watchdog: &'static Watchdog,
    /// The registered deadline, after the first `Pending`.
    registration: Option<Registration>,
}

/// A deadline registered with the watchdog, whose slot holds the only
/// copy of the task's waker.
#[derive(Debug)]
struct Registration {
    handle: Handle,
    /// Which waker the slot holds, compared with the task's at every poll
    /// without the lock.
    waker: WakerId,
    /// The thread's `rounds` when the clock was last read (or the deadline
    /// registered).
    round: u64,
}

/// A waker's identity: the addresses of its data and vtable, as
/// [`Waker::will_wake`] compares them.
///
/// It is taken from the clone the slot stores, which keeps these addresses
/// alive until the thread fires it, and the thread moves `rounds` before it
/// wakes (and drops) what it fired: a poll that finds `rounds` unchanged
/// compares with a waker that still exists. A waker whose clone lives
/// elsewhere than the original never compares equal, and takes the locked
/// path at every poll, as before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WakerId {
    data: usize,
    vtable: usize,
}

impl WakerId {
    fn of(waker: &Waker) -> Self {
        Self {
            data: waker.data().addr(),
            vtable: std::ptr::from_ref(waker.vtable()).addr(),
        }
    }
}

impl Deadline {
    /// The deadline `limit` after `start`, a clock reading the caller
    /// already has.
    pub(crate) fn after(start: Instant, limit: Duration) -> Self {
        Self::on(Watchdog::get(), start, limit)
    }

    fn on(watchdog: &'static Watchdog, start: Instant, limit: Duration) -> Self {
        Self {
            at: start.checked_add(limit),
            watchdog,
            registration: None,
        }
    }

    /// `Ready` once the deadline passed; otherwise the task is registered to
    /// be woken when it does.
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        let Some(registration) = &mut self.registration else {
            // The first poll registers without reading the clock again: `at`
            // was computed a moment ago, and a deadline already due is fired
            // by the thread at once.
            let round = self.watchdog.rounds.load(Ordering::Acquire);
            // The identity is the stored clone's: that is the waker the
            // slot keeps alive.
            let waker = cx.waker().clone();
            let id = WakerId::of(&waker);
            let handle = self.watchdog.register(at, waker);
            self.registration = Some(Registration {
                handle,
                waker: id,
                round,
            });
            return Poll::Pending;
        };
        // Most attempts end without a second look at their deadline: it is
        // out of line.
        Self::poll_registered(self.watchdog, at, registration, cx)
    }

    /// A registered deadline polled again.
    #[inline(never)]
    fn poll_registered(
        watchdog: &Watchdog,
        at: Instant,
        registration: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        // A passed deadline is acted on once the thread fired it (at most
        // `RESOLUTION` late): the clock is read only after it fired some.
        let round = watchdog.rounds.load(Ordering::Acquire);
        if round != registration.round || !watchdog.running.load(Ordering::Relaxed) {
            if Instant::now() >= at {
                return Poll::Ready(());
            }
            registration.round = round;
        }
        // The lock is needed only if the task's waker changed.
        if WakerId::of(cx.waker()) == registration.waker {
            return Poll::Pending;
        }
        let fresh = cx.waker().clone();
        let id = WakerId::of(&fresh);
        let mut state = watchdog.lock();
        let replaced = match state.matches_mut(registration.handle) {
            Some(Slot {
                waker: Some(held), ..
            }) => std::mem::replace(held, fresh),
            // The thread fired it, taking the waker it held, since `rounds`
            // was read above: the deadline passed.
            _ => return Poll::Ready(()),
        };
        drop(state);
        drop(replaced);
        registration.waker = id;
        Poll::Pending
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(registration) = self.registration.take() {
            let waker = self.watchdog.lock().remove(registration.handle);
            drop(waker);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Elapsed;

    /// `future`, or `Elapsed` once `limit` has passed, on `watchdog`.
    async fn timeout_on<F: Future>(
        watchdog: &'static Watchdog,
        limit: Duration,
        future: F,
    ) -> Result<F::Output, Elapsed> {
        let mut future = std::pin::pin!(future);
        let mut deadline = Deadline::on(watchdog, Instant::now(), limit);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            deadline.poll_elapsed(cx).map(|()| Err(Elapsed))
        })
        .await
    }

    async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
        timeout_on(Watchdog::get(), limit, future).await
    }

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

    #[tokio::test]
    async fn many_timeouts_firing_together_all_fire() {
        let watchdog = Watchdog::spawn();
        let started = Instant::now();
        let waits = (0..200).map(|_| {
            tokio::spawn(timeout_on(
                watchdog,
                Duration::from_millis(40),
                tokio::time::sleep(Duration::from_secs(60)),
            ))
        });
        // A lost wake-up would hang: tokio's own timer bounds the wait.
        for wait in waits.collect::<Vec<_>>() {
            let result = tokio::time::timeout(Duration::from_secs(10), wait).await;
            assert_eq!(result.expect("woken").unwrap(), Err(Elapsed));
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(watchdog.held(), (0, 0));
    }

    /// What the thread holds does not grow with the number of finished
    /// attempts: 20,000 attempts that each went pending and then finished
    /// leave no live deadline, and the heap never held more than twice the
    /// live deadlines plus `SLACK` (one live deadline at a time here).
    #[tokio::test]
    async fn finished_attempts_leave_nothing_behind() {
        let watchdog = Watchdog::spawn();
        for _ in 0..20_000 {
            let result = timeout_on(watchdog, Duration::from_secs(30), tokio::task::yield_now());
            assert_eq!(result.await, Ok(()));
        }
        let (items, live) = watchdog.held();
        assert_eq!(live, 0);
        assert!(items <= 2 + SLACK + 1, "{items} heap items left");
    }

    /// A waker that counts its wake-ups and may own something to drop
    /// with it.
    #[derive(Default)]
    struct Counting {
        woken: std::sync::atomic::AtomicUsize,
        owned: Mutex<Option<Deadline>>,
    }

    impl std::task::Wake for Counting {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A deadline polled again from another task wakes that task, not the
    /// one it registered with.
    #[test]
    fn a_deadline_polled_by_another_task_wakes_that_task() {
        let watchdog = Watchdog::spawn();
        let first = std::sync::Arc::new(Counting::default());
        let second = std::sync::Arc::new(Counting::default());
        let (first_waker, second_waker) = (Waker::from(first.clone()), Waker::from(second.clone()));
        let mut deadline = Deadline::on(watchdog, Instant::now(), Duration::from_millis(30));
        let mut poll = |waker: &Waker| deadline.poll_elapsed(&mut Context::from_waker(waker));
        assert!(poll(&first_waker).is_pending());
        assert!(poll(&second_waker).is_pending());
        assert!(poll(&second_waker).is_pending());
        let started = Instant::now();
        while second.woken.load(Ordering::SeqCst) == 0 {
            assert!(started.elapsed() < Duration::from_secs(5), "never woken");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(poll(&second_waker).is_ready());
        assert_eq!(first.woken.load(Ordering::SeqCst), 0);
        // The slot let go of the first waker when the second replaced it.
        drop(first_waker);
        assert_eq!(std::sync::Arc::strong_count(&first), 1);
    }

    /// Freeing a deadline may drop the last copy of its task's waker, and
    /// with it a task holding another deadline on the same thread: that
    /// happens after the lock is released, not under it.
    #[test]
    fn the_last_drop_of_a_waker_happens_outside_the_lock() {
        let watchdog = Watchdog::spawn();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let task = std::sync::Arc::new(Counting::default());
            let mut inner = Deadline::on(watchdog, Instant::now(), Duration::from_secs(30));
            let idle = Waker::from(std::sync::Arc::new(Counting::default()));
            assert!(
                inner
                    .poll_elapsed(&mut Context::from_waker(&idle))
                    .is_pending()
            );
            *task.owned.lock().unwrap_or_else(PoisonError::into_inner) = Some(inner);
            let mut outer = Deadline::on(watchdog, Instant::now(), Duration::from_secs(30));
            let waker = Waker::from(task);
            assert!(
                outer
                    .poll_elapsed(&mut Context::from_waker(&waker))
                    .is_pending()
            );
            // The slot now holds the only copy of the task's waker.
            drop(waker);
            drop(outer);
            let _ = done.send(watchdog.held().1);
        });
        let live = finished
            .recv_timeout(Duration::from_secs(5))
            .expect("freeing the deadline deadlocked");
        assert_eq!(live, 0);
    }
}
