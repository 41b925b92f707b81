//! Running independent jobs on the machine's cores, results in job order.
//!
//! Formatting is most of a big spec's generation time, and each output file
//! is formatted on its own: the files are spread over a few threads. The
//! result does not depend on how the work was spread, so the output stays
//! deterministic.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The stack of a helper thread: a main thread's, since formatting a deeply
/// nested schema recurses as deep on a helper as on the calling thread.
const WORKER_STACK: usize = 8 << 20;

/// `job` applied to every item, on up to as many threads as the machine has
/// cores (the calling thread is one of them); the results in item order.
pub(crate) fn map_in_order<T, R, F>(items: &[T], job: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let work = || {
        let mut mine = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                break;
            };
            mine.push((index, job(item)));
        }
        done.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(mine);
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // A thread the system refuses is one helper fewer: the calling
            // thread takes every item no helper took.
            let _ = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work);
        }
        work();
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::map_in_order;

    #[test]
    fn results_come_back_in_item_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..64).collect();
        // Early items take longest, so that later ones finish first.
        let results = map_in_order(&items, |&item| {
            std::thread::sleep(std::time::Duration::from_micros(64 - item));
            item * 2
        });
        assert_eq!(
            results,
            items.iter().map(|item| item * 2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn no_items_and_one_item_need_no_thread() {
        assert!(map_in_order(&[] as &[u8], |item| *item).is_empty());
        let caller = std::thread::current().id();
        assert_eq!(
            map_in_order(&[1], |_| std::thread::current().id()),
            vec![caller]
        );
    }
}
