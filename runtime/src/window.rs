//! Counts kept over a sliding time window, in slots, shared by the retry
//! budget and the circuit breaker.

use std::time::{Duration, Instant};

/// Number of slots a window is divided into.
const SLOTS: usize = 10;

/// Counters of type `C` over the last `window`, in `SLOTS` slots.
#[derive(Clone, Debug)]
pub(crate) struct SlidingWindow<C> {
    origin: Instant,
    /// Nanoseconds per slot, at least one millisecond's worth.
    slot_nanos: u64,
    /// `(period, counters)`: which slot-length period since `origin` a slot counts.
    slots: [(u64, C); SLOTS],
}

impl<C: Copy + Default> SlidingWindow<C> {
    /// An empty window of length `window` starting at `now`.
    pub(crate) fn new(window: Duration, now: Instant) -> Self {
        Self {
            origin: now,
            slot_nanos: u64::try_from((window / SLOTS as u32).as_nanos())
                .unwrap_or(u64::MAX)
                .max(1_000_000),
            slots: [(0, C::default()); SLOTS],
        }
    }

    fn period(&self, now: Instant) -> u64 {
        // 64-bit nanoseconds last 584 years; dividing them is several times
        // cheaper than dividing the 128-bit count, on every recorded call.
        let elapsed = now.saturating_duration_since(self.origin);
        u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX) / self.slot_nanos
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
