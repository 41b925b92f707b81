//! Extra code for the control client to run on every call, to measure what
//! a larger code footprint costs a sequential call (`BENCHMARKS.md`): set
//! `CLIENTGEN_BENCH_CONTROL_PADDING=N` and the control column becomes raw
//! reqwest plus `N` functions of its own per call.

/// How many distinct functions there are to run.
pub const MAX: usize = 100;

/// One function per `K`: a few multiplications and rotations with constants
/// of its own, about 100 bytes of code, so that `N` of them add about
/// 1.6 × `N` lines of 64 bytes to the code run on every call.
#[inline(never)]
fn step<const K: u64>(x: u64) -> u64 {
    let x = std::hint::black_box(x);
    let a = x.wrapping_mul(2 * K + 11).rotate_left(7) ^ (K << 3);
    let b = a.wrapping_add(3 * K + 5).rotate_right(11) ^ a.wrapping_mul(K + 17);
    let c = b.wrapping_mul(K + 5) ^ b.rotate_left(23).wrapping_add(7 * K + 1);
    c ^ (c >> 13).wrapping_mul(K + 9)
}

/// Ten instances of `step`, for `K` = 10 × `$tens` + 0..9.
macro_rules! ten {
    ($tens:literal) => {
        [
            step::<{ $tens * 10 }>,
            step::<{ $tens * 10 + 1 }>,
            step::<{ $tens * 10 + 2 }>,
            step::<{ $tens * 10 + 3 }>,
            step::<{ $tens * 10 + 4 }>,
            step::<{ $tens * 10 + 5 }>,
            step::<{ $tens * 10 + 6 }>,
            step::<{ $tens * 10 + 7 }>,
            step::<{ $tens * 10 + 8 }>,
            step::<{ $tens * 10 + 9 }>,
        ]
    };
}

/// One of the functions.
type Step = fn(u64) -> u64;

static STEPS: [[Step; 10]; MAX / 10] = [
    ten!(0),
    ten!(1),
    ten!(2),
    ten!(3),
    ten!(4),
    ten!(5),
    ten!(6),
    ten!(7),
    ten!(8),
    ten!(9),
];

/// Runs the first `count` functions (at most [`MAX`]), each once.
pub fn run(count: usize) -> u64 {
    STEPS
        .iter()
        .flatten()
        .take(count)
        .fold(std::hint::black_box(1), |x, step| step(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function is its own code: none was merged into another.
    #[test]
    fn the_functions_are_distinct() {
        let mut addresses: Vec<usize> = STEPS.iter().flatten().map(|step| *step as usize).collect();
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), MAX);
        assert_ne!(run(MAX), run(MAX - 1));
    }
}
