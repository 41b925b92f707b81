//! Counts kept over a sliding time window, in slots, shared by the retry
//! budget and the circuit breaker.
//!
//! The window keeps the running total of its live slots: adding to it and
//! reading the total cost the same whatever the number of slots. Slots are
//! walked only when time moves into a new slot, to drop those that left the
//! window.
//!
//! Both users count the same pair (calls, and retries or failures), so the
//! window is one type, not generic: one copy of its code serves the budget,
//! which counts every call, and the breaker, which counts every attempt
//! reported to it.

use std::time::{Duration, Instant};

/// Number of slots a window is divided into.
const SLOTS: usize = 10;

/// What a window counts: calls, and events of the one kind its owner
/// counts beside them (retries for the retry budget, failures for the
/// circuit breaker).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) calls: u32,
    pub(crate) events: u32,
}

impl Counts {
    /// `self += other`.
    fn add(&mut self, other: Self) {
        self.calls = self.calls.saturating_add(other.calls);
        self.events = self.events.saturating_add(other.events);
    }

    /// `self -= other`; `other` was added before.
    fn remove(&mut self, other: Self) {
        self.calls = self.calls.saturating_sub(other.calls);
        self.events = self.events.saturating_sub(other.events);
    }
}

/// Counts over the last `window`, in `SLOTS` slots.
#[derive(Clone, Debug)]
pub(crate) struct SlidingWindow {
    origin: Instant,
    /// Nanoseconds per slot, at least one millisecond's worth.
    slot_nanos: u64,
    /// `(period, counters)`: which slot-length period since `origin` a slot
    /// counts.
    slots: [(u64, Counts); SLOTS],
    /// The sum of the slots inside the window as of period `latest`.
    total: Counts,
    latest: u64,
}

impl SlidingWindow {
    /// An empty window of length `window` starting at `now`.
    pub(crate) fn new(window: Duration, now: Instant) -> Self {
        Self {
            origin: now,
            slot_nanos: u64::try_from((window / SLOTS as u32).as_nanos())
                .unwrap_or(u64::MAX)
                .max(1_000_000),
            slots: [(0, Counts::default()); SLOTS],
            total: Counts::default(),
            latest: 0,
        }
    }

    /// Adds `counts` to the slot holding `now`; the window's total after.
    pub(crate) fn add(&mut self, now: Instant, counts: Counts) -> Counts {
        let period = self.advance(now);
        let slot = &mut self.slots[(period % SLOTS as u64) as usize];
        if slot.0 != period {
            // The slot last counted a period that has left the window, and
            // was emptied when it did.
            *slot = (period, Counts::default());
        }
        slot.1.add(counts);
        self.total.add(counts);
        self.total
    }

    /// The counters of every slot still inside the window at `now`, summed.
    pub(crate) fn total(&mut self, now: Instant) -> Counts {
        self.advance(now);
        self.total
    }

    /// Moves the window to `now` (never back), emptying the slots that left
    /// it; the period `now` falls in.
    fn advance(&mut self, now: Instant) -> u64 {
        // 64-bit nanoseconds last 584 years; dividing them is several times
        // cheaper than dividing the 128-bit count.
        let elapsed = now.saturating_duration_since(self.origin);
        let period = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX) / self.slot_nanos;
        if period > self.latest {
            self.empty_before(period);
        }
        period.max(self.latest)
    }

    /// Empties the slots that left the window by `period`, now the latest.
    /// Once per slot's length at most: out of line.
    #[cold]
    fn empty_before(&mut self, period: u64) {
        for slot in &mut self.slots {
            if slot.0 + SLOTS as u64 <= period {
                self.total.remove(slot.1);
                slot.1 = Counts::default();
            }
        }
        self.latest = period;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(calls: u32, events: u32) -> Counts {
        Counts { calls, events }
    }

    /// The running total equals the sum of the slots inside the window,
    /// recomputed from scratch, at every step of an irregular timeline.
    #[test]
    fn the_running_total_matches_the_live_slots() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(Duration::from_secs(10), start);
        let mut added: Vec<(u64, Counts)> = Vec::new();
        let steps = [
            0u64, 0, 300, 999, 1_000, 4_500, 9_999, 10_000, 10_001, 15_000, 15_500, 31_000, 31_001,
            45_000,
        ];
        for (i, millis) in steps.into_iter().enumerate() {
            let now = start + Duration::from_millis(millis);
            let step = i as u32;
            let amount = counts(step + 1, step % 3);
            window.add(now, amount);
            added.push((millis, amount));
            // A slot is a second; the window holds the current slot and the
            // nine before it.
            let period = millis / 1_000;
            let live = added.iter().filter(|(at, _)| at / 1_000 + 10 > period);
            let expected = live.fold(Counts::default(), |sum, (_, amount)| {
                counts(sum.calls + amount.calls, sum.events + amount.events)
            });
            assert_eq!(window.total(now), expected, "at {millis} ms");
        }
        assert_eq!(
            window.total(start + Duration::from_secs(3_600)),
            Counts::default()
        );
    }
}
