//! Extra code for the control client to run on every call, to measure what
//! a larger code footprint costs a sequential call (`BENCHMARKS.md`): with
//! `CLIENTGEN_BENCH_CONTROL_PADDING=N` the control column becomes raw reqwest
//! plus `N` functions of its own per call; with `N:same`, plus one function
//! run `N` times: the same instructions on a footprint of one function,
//! which prices the instructions apart from the code they occupy.

/// How many distinct functions there are to run.
pub const MAX: usize = 100;

/// One function per `K`: a few multiplications and rotations with constants
/// of its own, 85 to 100 bytes of code (callgrind counts 93 more lines of
/// code per call for 50 of them, 142 for 100).
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

/// What the control runs after each call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Padding {
    count: usize,
    /// Distinct functions, or the first one `count` times.
    distinct: bool,
}

impl Padding {
    /// `N` (`N` distinct functions, at most [`MAX`]) or `N:same` (the first
    /// function `N` times).
    pub fn parse(text: &str) -> Option<Padding> {
        let (count, distinct) = match text.strip_suffix(":same") {
            Some(count) => (count, false),
            None => (text, true),
        };
        let count = count.parse().ok().filter(|count| *count <= MAX)?;
        Some(Padding { count, distinct })
    }

    /// Runs the padding once. Each function gets its own input, so that
    /// they need not wait for one another.
    pub fn run(self) -> u64 {
        let first = STEPS[0][0];
        STEPS
            .iter()
            .flatten()
            .take(self.count)
            .zip(0u64..)
            .fold(0, |all, (step, input)| {
                let step = if self.distinct { *step } else { first };
                all ^ step(std::hint::black_box(input))
            })
    }
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
    }

    #[test]
    fn counts_and_modes_are_parsed() {
        let distinct = Padding::parse("100").expect("100");
        let same = Padding::parse("100:same").expect("100:same");
        assert_eq!(
            distinct,
            Padding {
                count: 100,
                distinct: true
            }
        );
        assert_eq!(
            same,
            Padding {
                count: 100,
                distinct: false
            }
        );
        assert_ne!(distinct.run(), same.run());
        assert_eq!(Padding::parse("0").map(Padding::run), Some(0));
        for bad in ["101", "-1", "", "x", "5:other", ":same"] {
            assert_eq!(Padding::parse(bad), None, "{bad}");
        }
    }
}
