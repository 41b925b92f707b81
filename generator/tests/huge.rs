//! 100 MB of nesting, in JSON and in YAML: refused with an error naming the
//! problem, quickly, and without memory beyond the input itself. One test
//! in its own binary, so the process's peak RSS is this test's alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

const SIZE: usize = 100 * 1024 * 1024;

/// Peak resident set size of this process so far, in bytes (`VmHWM`).
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: usize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib * 1024
}

/// `prefix` followed by `SIZE` opening brackets, allocated once.
fn nested(prefix: &str) -> String {
    let mut text = String::with_capacity(prefix.len() + SIZE);
    text.push_str(prefix);
    text.extend(std::iter::repeat_n('[', SIZE));
    text
}

fn refused(name: &str, text: &str) -> String {
    match clientgen::render_text(name, text, false) {
        Ok(_) => panic!("{name}: generated, but should have failed"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_hundred_megabytes_of_nesting_fails_fast_in_bounded_memory() {
    let before = peak_rss();
    let json = nested(r#"{"openapi": "3.1.0", "x": "#);
    let text = refused("deep.json", &json);
    assert!(
        text.contains("invalid JSON") && text.contains("recursion"),
        "{text}"
    );
    drop(json);
    let yaml = nested("openapi: 3.1.0\nx: ");
    let text = refused("deep.yaml", &yaml);
    assert!(text.contains("nests deeper than 512 levels"), "{text}");
    drop(yaml);
    // The input itself is 100 MB; the generator may add a little, but not
    // a copy of it.
    let grown = peak_rss().saturating_sub(before);
    assert!(
        grown < SIZE + SIZE / 2,
        "peak memory grew by {} MB for a {} MB input",
        grown >> 20,
        SIZE >> 20
    );
}
