//! One spec edit per rule, and the verdict it must get.

use super::{Bump, Class, Report, compare};

/// The rules' base spec; each rule edits it once.
const BASE: &str = include_str!("../../tests/diff_rules/base.yaml");

/// The rules: an edit of [`BASE`] and the verdicts it must get.
const RULES: &str = include_str!("../../tests/diff_rules/rules.yaml");

#[derive(serde::Deserialize)]
struct Rule {
    name: String,
    from: String,
    to: String,
    /// `(class, item, words of the change)`, in the report's order.
    expect: Vec<(String, String, String)>,
}

/// The report of `BASE` against `BASE` with `from` replaced by `to`.
fn diff(from: &str, to: &str) -> Report {
    assert!(BASE.contains(from), "the edit's anchor is in BASE: {from}");
    let edited = BASE.replacen(from, to, 1);
    let old = crate::render_text("rules.yaml", BASE, false).map(|rendered| rendered.services);
    let new = crate::render_text("rules.yaml", &edited, false).map(|rendered| rendered.services);
    match (old, new) {
        (Ok(old), Ok(new)) => compare(&old, &new),
        (old, new) => panic!("a rule's spec does not generate: {old:?} {new:?}"),
    }
}

#[test]
fn every_rule_gets_its_verdicts() {
    let rules: Vec<Rule> = serde_yaml_ng::from_str(RULES).expect("rules.yaml reads");
    assert!(rules.len() >= 15);
    for rule in rules {
        let report = diff(&rule.from, &rule.to);
        let found: Vec<(&str, &str, &str)> = report
            .changes
            .iter()
            .map(|change| {
                (
                    change.class.name(),
                    change.item.as_str(),
                    change.what.as_str(),
                )
            })
            .collect();
        assert_eq!(found.len(), rule.expect.len(), "{}: {report}", rule.name);
        for ((class, item, what), (want_class, want_item, words)) in found.iter().zip(&rule.expect)
        {
            assert_eq!(
                (*class, *item),
                (want_class.as_str(), want_item.as_str()),
                "{}: {report}",
                rule.name
            );
            assert!(
                what.contains(words.as_str()),
                "{}: {words:?} in {report}",
                rule.name
            );
        }
        let bump = match rule
            .expect
            .iter()
            .map(|(class, ..)| class.as_str())
            .min_by_key(|class| {
                ["breaking", "compatible", "behavioural"]
                    .iter()
                    .position(|known| known == class)
            }) {
            Some("breaking") => Bump::Major,
            Some("compatible") => Bump::Minor,
            Some(_) => Bump::Patch,
            None => Bump::None,
        };
        assert_eq!(report.bump(), bump, "{}", rule.name);
    }
}

#[test]
fn a_report_points_into_both_specs() {
    let report = diff("operationId: getTicket", "operationId: fetchTicket");
    let removed = &report.changes[1];
    assert_eq!(removed.class, Class::Breaking);
    assert_eq!(
        removed.old.as_deref(),
        Some("rules.yaml#/paths/~1tickets~1{id}/get")
    );
    assert_eq!(removed.new, None);
    let json = report.to_json();
    assert_eq!(json["breaking"], 1);
    assert_eq!(json["bump"], "major");
    assert_eq!(
        json["changes"][0]["new"],
        "rules.yaml#/paths/~1tickets~1{id}/get"
    );
}

#[test]
fn a_bump_is_read_as_cargo_reads_versions() {
    assert_eq!(Bump::Major.apply("0.1.0").as_deref(), Some("0.2.0"));
    assert_eq!(Bump::Minor.apply("0.1.0").as_deref(), Some("0.1.1"));
    assert_eq!(Bump::Major.apply("1.4.2").as_deref(), Some("2.0.0"));
    assert_eq!(Bump::Minor.apply("1.4.2").as_deref(), Some("1.5.0"));
    assert_eq!(Bump::Patch.apply("1.4.2").as_deref(), Some("1.4.3"));
    assert_eq!(Bump::Major.apply("one"), None);
    assert!(Bump::Major.made_by("0.1.0", "0.2.0"));
    assert!(!Bump::Major.made_by("0.1.0", "0.1.5"));
    assert!(Bump::Minor.made_by("0.1.0", "0.1.1"));
    assert!(Bump::Major.made_by("1.2.3", "2.0.0"));
    assert!(!Bump::Minor.made_by("1.2.3", "1.2.4"));
    assert!(!Bump::Patch.made_by("1.2.3", "1.2.3"));
}
