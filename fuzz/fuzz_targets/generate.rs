//! The whole generator on arbitrary bytes: load -> validate -> lower ->
//! emit. Any input may be refused with diagnostics; none may panic, hang,
//! exhaust memory, or make the emitter produce tokens that are not Rust.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(clientgen::GenerateError::Emit { reason, .. }) =
        clientgen::render_text("fuzz.yaml", text, false)
    {
        panic!("the emitter produced invalid Rust: {reason}");
    }
});
