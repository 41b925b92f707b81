//! Counts kept over a sliding time window, in slots, shared by the retry
//! budget and the circuit breaker.

use std::time::{Duration, Instant};

/// Number of slots a window is divided into.
const SLOTS: usize = 10;

/// Counters of type `C` over the last `window`, in `SLOTS` slots.
#[derive(Clone, Debug)]
pub(crate) struct SlidingWindow<C> {
    origin: Instant,
    slot_length: Duration,
    /// `(period, counters)`: which slot-length period since `origin` a slot counts.
    slots: [(u64, C); SLOTS],
}

impl<C: Copy + Default> SlidingWindow<C> {
    /// An empty window of length `window` starting at `now`.
    pub(crate) fn new(window: Duration, now: Instant) -> Self {
        Self {
            origin: now,
            slot_length: (window / SLOTS as u32).max(Duration::from_millis(1)),
            slots: [(0, C::default()); SLOTS],
        }
    }

    fn period(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin);
        (elapsed.as_nanos() / self.slot_length.as_nanos()) as u64
    }

    /// The counters of the slot holding `now`, cleared if it last counted an
    /// older period.
    pub(crate) fn current(&mut self, now: Instant) -> &mut C {
        let period = self.period(now);
        let slot = &mut self.slots[(period % SLOTS as u64) as usize];
        if slot.0 != period {
            *slot = (period, C::default());
        }
        &mut slot.1
    }

    /// The counters of every slot still inside the window at `now`.
    pub(crate) fn live(&self, now: Instant) -> impl Iterator<Item = &C> {
        let period = self.period(now);
        self.slots
            .iter()
            .filter(move |(slot, _)| slot + SLOTS as u64 > period)
            .map(|(_, counters)| counters)
    }
}
