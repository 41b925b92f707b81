//! Side-by-side benchmarks: clientgen vs progenitor (generation) and a
//! generated client vs raw reqwest (requests). Every comparison is measured
//! in one run, interleaved (A B, B A, ...), and reported as the median of
//! the per-round ratios; see `BENCHMARKS.md`.

pub mod cpu;
pub mod generation;
pub mod requests;
pub mod server;
pub mod stats;
