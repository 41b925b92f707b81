//! One spec edit per rule, and the verdict it must get.

use super::{Bump, Class, Report, compare};

const BASE: &str = r##"
openapi: 3.1.0
info: {title: Rules, version: 1.0.0}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Status: {type: string, enum: [open, closed]}
    Ticket:
      type: object
      required: [id, title]
      properties:
        id: {type: integer, format: int64}
        title: {type: string}
        status: {$ref: "#/components/schemas/Status"}
        note: {type: string}
    TicketCreate:
      type: object
      required: [title]
      properties:
        title: {type: string}
        priority: {type: integer, format: int32, default: 3}
        link: {type: string}
security: [{bearer: []}]
paths:
  /tickets:
    get:
      operationId: listTickets
      parameters:
        - {name: limit, in: query, schema: {type: integer, format: int32}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Ticket"}}
    post:
      operationId: createTicket
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/TicketCreate"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Ticket"}
  /tickets/{id}:
    get:
      operationId: getTicket
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, format: int64}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Ticket"}
"##;

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

/// The one change of `report`, which must be of `class` and mention
/// `words`.
fn only(report: &Report, class: Class, words: &str) {
    assert_eq!(report.changes.len(), 1, "{report}");
    let change = &report.changes[0];
    assert_eq!(change.class, class, "{report}");
    assert!(change.what.contains(words), "{words:?} in {report}");
}

#[test]
fn nothing_changed_needs_no_bump() {
    let report = diff("title: Rules", "title: Rules");
    assert!(report.changes.is_empty(), "{report}");
    assert_eq!(report.bump(), Bump::None);
}

#[test]
fn operations_removed_break_and_added_are_compatible() {
    let report = diff("operationId: getTicket", "operationId: fetchTicket");
    let classes: Vec<(Class, &str)> = report
        .changes
        .iter()
        .map(|change| (change.class, change.item.as_str()))
        .collect();
    assert_eq!(
        classes,
        [
            (Class::Compatible, "operation fetch_ticket"),
            (Class::Breaking, "operation get_ticket"),
        ]
    );
    assert_eq!(report.bump(), Bump::Major);
    assert_eq!(
        report.changes[1].old.as_deref(),
        Some("rules.yaml#/paths/~1tickets~1{id}/get")
    );
}

#[test]
fn parameters_new_required_break_new_optional_are_setters() {
    only(
        &diff(
            "        - {name: limit, in: query, schema: {type: integer, format: int32}}",
            "        - {name: limit, in: query, schema: {type: integer, format: int32}}\n        - {name: owner, in: query, required: true, schema: {type: string}}",
        ),
        Class::Breaking,
        "new required parameter `owner: &str`",
    );
    only(
        &diff(
            "        - {name: limit, in: query, schema: {type: integer, format: int32}}",
            "        - {name: limit, in: query, schema: {type: integer, format: int32}}\n        - {name: owner, in: query, schema: {type: string}}",
        ),
        Class::Compatible,
        "setter `owner",
    );
    only(
        &diff(
            "{name: limit, in: query, schema",
            "{name: limit, in: query, required: true, schema",
        ),
        Class::Breaking,
        "`limit` became required",
    );
    only(
        &diff(
            "{name: limit, in: query, schema: {type: integer, format: int32}}",
            "{name: limit, in: query, schema: {type: integer, format: int64}}",
        ),
        Class::Breaking,
        "setter `limit` changed type: i32 -> i64",
    );
}

#[test]
fn a_changed_answer_breaks() {
    only(
        &diff(
            "      responses:\n        \"201\":\n          description: created\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/Ticket\"}",
            "      responses:\n        \"201\":\n          description: created\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/Status\"}",
        ),
        Class::Breaking,
        "the answer's type changed",
    );
}

#[test]
fn fields_removed_retyped_or_newly_required_break_new_optional_ones_do_not() {
    only(
        &diff("        note: {type: string}\n", ""),
        Class::Breaking,
        "field `note` removed",
    );
    only(
        &diff(
            "        note: {type: string}",
            "        note: {type: integer}",
        ),
        Class::Breaking,
        "field `note` changed type: Option<String> -> Option<i64>",
    );
    only(
        &diff(
            "      required: [title]\n      properties:\n        title: {type: string}",
            "      required: [title, queue]\n      properties:\n        queue: {type: string}\n        title: {type: string}",
        ),
        Class::Breaking,
        "new required field `queue: String`",
    );
    only(
        &diff(
            "        link: {type: string}",
            "        link: {type: string}\n        queue: {type: string}",
        ),
        Class::Compatible,
        "new optional field `queue: Option<String>`",
    );
}

#[test]
fn enum_values_added_are_compatible_and_removed_break() {
    only(
        &diff("enum: [open, closed]", "enum: [open, closed, merged]"),
        Class::Compatible,
        "new value `merged`",
    );
    only(
        &diff("enum: [open, closed]", "enum: [open]"),
        Class::Breaking,
        "value `closed` removed",
    );
}

#[test]
fn defaults_retries_security_and_links_are_behavioural() {
    let report = diff("default: 3}", "default: 5}");
    only(&report, Class::Behavioural, "default changed: 3 -> 5");
    assert_eq!(report.bump(), Bump::Patch);
    only(
        &diff(
            "    post:\n      operationId: createTicket",
            "    post:\n      operationId: createTicket\n      x-idempotent: true",
        ),
        Class::Behavioural,
        "retry classification changed",
    );
    let report = diff("security: [{bearer: []}]", "security: [{key: []}]");
    assert_eq!(report.changes.len(), 3, "one per operation: {report}");
    assert!(report.changes.iter().all(|change| {
        change.class == Class::Behavioural && change.what.starts_with("security changed")
    }));
    // The field, and the operation whose body resolves it.
    let report = diff(
        "        link: {type: string}",
        "        link: {type: string, x-frontend-link: true}",
    );
    let items: Vec<(Class, &str)> = report
        .changes
        .iter()
        .map(|change| (change.class, change.item.as_str()))
        .collect();
    assert_eq!(
        items,
        [
            (Class::Behavioural, "model TicketCreate"),
            (Class::Behavioural, "operation create_ticket"),
        ]
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
