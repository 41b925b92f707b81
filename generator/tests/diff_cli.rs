//! `clientgen diff` on the six service specs, as CI runs it: the same
//! specs give no change; an edited copy gives its verdicts, JSON for CI,
//! and `--deny-breaking` fails on a breaking one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

fn clientgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clientgen"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("clientgen runs")
}

#[test]
fn the_six_specs_against_themselves_change_nothing() {
    let output = clientgen(&["diff", "specs", "specs", "--deny-breaking"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with("clientgen diff: 0 breaking, 0 behavioural, 0 compatible; bump: none"),
        "{text}"
    );
}

#[test]
fn an_edited_spec_is_reported_and_denied_when_it_breaks() {
    let scratch = std::env::temp_dir().join(format!("clientgen-diff-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for entry in std::fs::read_dir(root.join("specs")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, scratch.join(path.file_name().unwrap())).unwrap();
    }
    let notification = scratch.join("notification.yaml");
    let text = std::fs::read_to_string(&notification).unwrap();
    assert!(text.contains("enum: [email, sms, push]"));
    std::fs::write(
        &notification,
        text.replace("enum: [email, sms, push]", "enum: [email, sms]"),
    )
    .unwrap();
    let scratch_arg = scratch.to_string_lossy().into_owned();

    let output = clientgen(&["diff", "specs", &scratch_arg, "--json"]);
    assert!(output.status.success(), "reporting alone succeeds");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["breaking"], 1);
    assert_eq!(report["bump"], "major");
    let change = &report["changes"][0];
    assert_eq!(change["service"], "notification");
    assert_eq!(change["item"], "model Channel");
    assert_eq!(
        change["old"],
        "specs/notification.yaml#/components/schemas/Channel"
    );

    let denied = clientgen(&["diff", "specs", &scratch_arg, "--deny-breaking"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("breaking changes"));
    let _ = std::fs::remove_dir_all(&scratch);
}
