//! The process's memory, for tests that prove a body is never held whole.

/// Peak resident set size of this process so far, in bytes (`VmHWM` of
/// `/proc/self/status`); `None` where the kernel does not report it.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())?;
    Some(kib * 1024)
}
