//! CPU time of the whole client process, every thread of it (the upstream
//! runs in a process of its own, `server.rs`).

use std::time::Duration;

/// CPU time consumed so far by every thread of this process, user and
/// kernel: `CLOCK_PROCESS_CPUTIME_ID`, the sum `getrusage(RUSAGE_SELF)` and
/// `/proc/self/stat` give too, but to the nanosecond (including the running
/// time slices), where those advance in scheduler ticks.
pub fn process_cpu() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(time.tv_nsec).unwrap_or(0);
    Duration::new(seconds, nanos)
}

/// Peak resident set size of this process, in KiB (`VmHWM`).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Pins the calling thread to CPU `cpu`.
pub fn pin_to(cpu: usize) -> std::io::Result<()> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(std::io::Error::from)
}

/// The CPUs the client and the upstream run on, from
/// `CLIENTGEN_BENCH_CPUS=CLIENT,UPSTREAM` (e.g. `0,1`); unpinned without it.
pub fn placement() -> Option<(usize, usize)> {
    let value = std::env::var("CLIENTGEN_BENCH_CPUS").ok()?;
    let (client, upstream) = value.split_once(',')?;
    Some((client.trim().parse().ok()?, upstream.trim().parse().ok()?))
}
