//! Replays every input in `fuzz/regressions/` through the whole generator,
//! as the fuzz target does (`fuzz/fuzz_targets/generate.rs`): each may be
//! refused with diagnostics, none may panic or make the emitter produce
//! tokens that are not Rust. Crashes found by `scripts/fuzz` are added there
//! once fixed, so CI keeps them fixed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clientgen::GenerateError;

#[test]
fn every_fuzz_regression_is_handled() {
    let dir = common::workspace().join("fuzz").join("regressions");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    for path in inputs {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        // The fuzz target skips inputs that are not UTF-8; so does the
        // replay (the file loader reports them, tested in `hostile`).
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let outcome = std::panic::catch_unwind(|| clientgen::render_text(&name, text, false));
        match outcome {
            Err(_) => panic!("{name}: the generator panicked"),
            Ok(Err(GenerateError::Emit { reason, .. })) => {
                panic!("{name}: the emitter produced invalid Rust: {reason}")
            }
            Ok(_) => {}
        }
    }
}
