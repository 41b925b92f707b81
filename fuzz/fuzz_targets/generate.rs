//! The whole generator on arbitrary bytes: load -> validate -> lower ->
//! emit; an input holding a line `#overlay` is a spec, then an overlay
//! applied to it. Any input may be refused with diagnostics; none may panic, hang,
//! exhaust memory, or make the emitter produce tokens that are not Rust or
//! text rustc refuses (a carriage return inside a comment).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rendered = match text.split_once("\n#overlay\n") {
        Some((spec, overlay)) => clientgen::render_text_overlaid("fuzz.yaml", spec, overlay, false),
        None => clientgen::render_text("fuzz.yaml", text, false),
    };
    match rendered {
        Err(clientgen::GenerateError::Emit { reason, .. }) => {
            panic!("the emitter produced invalid Rust: {reason}");
        }
        Ok(rendered) => {
            for (file, code) in &rendered.files {
                assert!(!code.contains('\r'), "{file} holds a carriage return");
            }
        }
        Err(_) => {}
    }
});
