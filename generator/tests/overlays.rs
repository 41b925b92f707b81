//! Overlays found beside a spec or given by hand, applied before
//! validation; `check` sees the same output as `generate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use clientgen::Generator;
use common::scratch;

const SPEC: &str = "openapi: 3.1.0\ninfo: {title: Audit, version: 1.0.0}\npaths:\n  /events:\n    get:\n      \
                    operationId: list_events_events_get\n      responses:\n        '204': {description: ok}\n";

fn overlay(extends: Option<&str>, summary: &str) -> String {
    let extends = extends
        .map(|name| format!("extends: {name}\n"))
        .unwrap_or_default();
    format!(
        "overlay: 1.0.0\ninfo: {{title: t, version: 1.0.0}}\n{extends}actions:\n  - target: \
         $.paths['/events'].get\n    update: {{summary: {summary}}}\n"
    )
}

fn folder(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test).join("specs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("audit.yaml"), SPEC).unwrap();
    std::fs::write(dir.join("other.yaml"), SPEC.replace("Audit", "Other")).unwrap();
    (dir.clone(), dir.with_file_name("out"))
}

#[test]
fn an_overlay_beside_its_spec_applies_to_it_alone() {
    let (dir, out) = folder("beside");
    std::fs::write(
        dir.join("audit.overlay.yaml"),
        overlay(None, "Listed by the overlay"),
    )
    .unwrap();
    let summary = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .write()
        .unwrap();
    assert_eq!(summary.services, 2, "the overlay is not a spec");
    let audit = std::fs::read_to_string(out.join("audit.rs")).unwrap();
    assert!(audit.contains("/// Listed by the overlay"), "{audit}");
    let other = std::fs::read_to_string(out.join("other.rs")).unwrap();
    assert!(!other.contains("Listed by the overlay"));
}

#[test]
fn an_overlay_given_by_hand_applies_where_extends_says_and_check_sees_it() {
    let (dir, out) = folder("by-hand");
    let given = dir.with_file_name("ours.overlay.yaml");
    std::fs::write(
        &given,
        overlay(Some("https://example.com/specs/other.yaml"), "Ours"),
    )
    .unwrap();
    let with = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .overlay(&given);
    with.write().unwrap();
    assert!(
        std::fs::read_to_string(out.join("other.rs"))
            .unwrap()
            .contains("/// Ours")
    );
    assert!(
        !std::fs::read_to_string(out.join("audit.rs"))
            .unwrap()
            .contains("/// Ours")
    );
    assert_eq!(with.check().unwrap(), "", "check applies the same overlays");
    let without = Generator::new(&out).specs_dir(&dir).unwrap();
    assert!(
        without.check().unwrap().contains("Ours"),
        "the overlay is what differs"
    );
}

#[test]
fn an_overlay_that_selects_nothing_warns_and_strict_refuses_it() {
    let (dir, out) = folder("nothing");
    let stale = overlay(None, "x").replace("/events", "/gone");
    std::fs::write(dir.join("audit.overlay.yaml"), stale).unwrap();
    let summary = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .write()
        .unwrap();
    let warning = summary
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect::<String>();
    assert!(warning.contains("audit.overlay.yaml"), "{warning}");
    assert!(warning.contains("#/actions/0/target"), "{warning}");
    let strict = Generator::new(&out)
        .specs_dir(&dir)
        .unwrap()
        .strict(true)
        .render();
    assert!(strict.is_err());
}

#[test]
fn an_overlay_named_as_a_spec_is_refused_with_a_hint() {
    let (dir, out) = folder("named");
    let path = dir.join("audit.overlay.yaml");
    std::fs::write(&path, overlay(None, "x")).unwrap();
    let error = Generator::new(&out)
        .spec(&path)
        .render()
        .unwrap_err()
        .to_string();
    assert!(error.contains("this is an overlay, not a spec"), "{error}");
}
