//! A received JSON body checked against the JSON Schema the spec gives it:
//! the constraints the generated types cannot hold (`minimum`,
//! `maxLength`, `pattern`, `enum`, `minItems`, ...). The generator embeds
//! each body's schema as a bundle, `{"schema": ..., "defs": {ref: ...}}`,
//! whose `defs` hold every schema the body's `$ref`s reach, keyed by the
//! reference as written.
//!
//! The check refuses only what the spec rules out for certain, so that a
//! valid request never fails a test: a `$ref` it cannot follow, a `pattern`
//! Rust's regex engine cannot compile (or that the schema's own example
//! breaks) and a `format` pass; `oneOf` counts as `anyOf` (specs often give
//! overlapping variants); `required` and `additionalProperties` are left to
//! the generated types (specs require properties they never declare, and
//! `allOf` breaks closed objects); a `readOnly` property's value is not
//! checked (the client sends what the answer gave it); numbers compare by
//! value. OpenAPI 3.0's `$ref` ignores its siblings but `nullable`.

use serde_json::{Map, Value};

/// How deep schemas may nest before the check stops looking.
const MAX_DEPTH: usize = 64;

/// Checks `value` against the bundled schema `bundle`; the error names the
/// place (a JSON pointer) and the broken rule.
pub(crate) fn check(value: &Value, bundle: &Value) -> Result<(), String> {
    let Some(schema) = bundle.get("schema") else {
        return Ok(());
    };
    let empty = Map::new();
    let defs = bundle
        .get("defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ref_siblings = bundle.get("refSiblings") != Some(&Value::Bool(false));
    Checker { defs, ref_siblings }.check(value, schema, "", 0)
}

struct Checker<'a> {
    defs: &'a Map<String, Value>,
    /// Whether a `$ref`'s sibling keywords apply (3.1), or not (3.0).
    ref_siblings: bool,
}

impl Checker<'_> {
    fn check(&self, value: &Value, schema: &Value, at: &str, depth: usize) -> Result<(), String> {
        let Some(schema) = schema.as_object() else {
            return Ok(());
        };
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let fail = |rule: String| Err(format!("at `{}`: {rule}", shown(at)));
        if let Some(Value::String(reference)) = schema.get("$ref")
            && let Some(target) = self.defs.get(reference)
        {
            // 3.0 ignores a `$ref`'s siblings, but a `nullable` beside it
            // still admits `null`; 3.1 applies them.
            if value.is_null() && nullable(schema) {
                return Ok(());
            }
            self.check(value, target, at, depth + 1)?;
            if !self.ref_siblings {
                return Ok(());
            }
        }
        if value.is_null() && nullable(schema) {
            return Ok(());
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for part in all {
                self.check(value, part, at, depth + 1)?;
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(options)) = schema.get(key)
                && !options.is_empty()
            {
                let mut first = None;
                let matched = options.iter().any(|option| {
                    let result = self.check(value, option, at, depth + 1);
                    if first.is_none() {
                        first = result.as_ref().err().cloned();
                    }
                    result.is_ok()
                });
                if !matched {
                    return Err(first.unwrap_or_else(|| {
                        format!("at `{}`: matches no {key} option", shown(at))
                    }));
                }
            }
        }
        if let Some(kinds) = schema.get("type")
            && !type_matches(value, kinds)
        {
            return fail(format!("{} is not of type {kinds}", excerpt(value)));
        }
        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.iter().any(|allowed| same(allowed, value))
        {
            return fail(format!(
                "{} is not one of {}",
                excerpt(value),
                Value::Array(allowed.clone())
            ));
        }
        if let Some(constant) = schema.get("const")
            && !same(constant, value)
        {
            return fail(format!("{} is not {constant}", excerpt(value)));
        }
        match value {
            Value::String(text) => check_string(text, schema).or_else(fail),
            Value::Number(number) => match number.as_f64() {
                Some(number) => check_number(number, schema).or_else(fail),
                None => Ok(()),
            },
            Value::Array(items) => {
                check_count(items.len(), schema, "minItems", "maxItems", "items").or_else(fail)?;
                if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
                    for (index, item) in items.iter().enumerate() {
                        if items[..index].iter().any(|earlier| same(earlier, item)) {
                            return fail(format!("item {index} repeats an earlier one"));
                        }
                    }
                }
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        self.check(item, item_schema, &format!("{at}/{index}"), depth + 1)?;
                    }
                }
                Ok(())
            }
            Value::Object(fields) => self.check_object(fields, schema, at, depth),
            Value::Bool(_) | Value::Null => Ok(()),
        }
    }

    fn check_object(
        &self,
        fields: &Map<String, Value>,
        schema: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<(), String> {
        let properties = schema.get("properties").and_then(Value::as_object);
        check_count(
            fields.len(),
            schema,
            "minProperties",
            "maxProperties",
            "properties",
        )
        .map_err(|rule| format!("at `{}`: {rule}", shown(at)))?;
        for (name, field) in fields {
            let place = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
            match properties.and_then(|properties| properties.get(name)) {
                Some(property) if self.read_only(property) => {}
                Some(property) => self.check(field, property, &place, depth + 1)?,
                // A map (no properties of its own): each value by its schema.
                None if properties.is_none() => {
                    if let Some(values @ Value::Object(_)) = schema.get("additionalProperties") {
                        self.check(field, values, &place, depth + 1)?;
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    fn read_only(&self, property: &Value) -> bool {
        if property.get("readOnly") == Some(&Value::Bool(true)) {
            return true;
        }
        property
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| self.defs.get(reference))
            .is_some_and(|target| target.get("readOnly") == Some(&Value::Bool(true)))
    }
}

/// Whether `null` is allowed: OpenAPI 3.0's `nullable`, or 3.1's `null`
/// among the types.
fn nullable(schema: &Map<String, Value>) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
        || match schema.get("type") {
            Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "null"),
            Some(Value::String(kind)) => kind == "null",
            _ => false,
        }
}

fn type_matches(value: &Value, kinds: &Value) -> bool {
    let one = |kind: &str| match kind {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|number| number.fract() == 0.0),
        _ => true,
    };
    match kinds {
        Value::String(kind) => one(kind),
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

fn check_string(text: &str, schema: &Map<String, Value>) -> Result<(), String> {
    let length = text.chars().count();
    check_count(length, schema, "minLength", "maxLength", "characters")?;
    if let Some(Value::String(pattern)) = schema.get("pattern")
        && let Some(regex) = compiled(pattern, schema)
        && !regex.is_match(text)
    {
        return Err(format!(
            "{} does not match the pattern `{pattern}`",
            excerpt(&Value::String(text.to_owned()))
        ));
    }
    Ok(())
}

/// `pattern` compiled as ECMA-262 reads it, as far as Rust's regex engine
/// can: a `/.../flags` wrapper taken off, `\d`, `\w` and `\b` in their
/// ASCII sense. `None` (no check) when it does not compile, or when the
/// schema's own `example` or `default` breaks it: the spec's pattern is
/// then not to be trusted.
fn compiled(pattern: &str, schema: &Map<String, Value>) -> Option<regex::Regex> {
    let unwrapped = pattern
        .strip_prefix('/')
        .and_then(|rest| rest.rsplit_once('/'))
        .filter(|(_, flags)| flags.chars().all(|flag| "gimsuy".contains(flag)))
        .map_or(pattern, |(inner, _)| inner);
    let regex = regex::Regex::new(&ascii_classes(unwrapped)).ok()?;
    let contradicted = ["example", "default"]
        .iter()
        .filter_map(|key| schema.get(*key).and_then(Value::as_str))
        .any(|example| !regex.is_match(example));
    (!contradicted).then_some(regex)
}

/// `pattern` with ECMA-262's ASCII classes spelled out (Rust's `\d`, `\w`
/// and `\b` are Unicode-aware).
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// JSON equality, numbers by value (`1` and `1.0` are the same).
fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.as_f64() == right.as_f64(),
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len() && left.iter().zip(right).all(|(a, b)| same(a, b))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, value)| right.get(key).is_some_and(|other| same(value, other)))
        }
        _ => left == right,
    }
}

fn check_number(number: f64, schema: &Map<String, Value>) -> Result<(), String> {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    if let Some(minimum) = bound("minimum") {
        // 3.0 writes an exclusive bound as a flag beside it.
        if flag("exclusiveMinimum") && number <= minimum {
            return Err(format!("{number} is not greater than {minimum}"));
        }
        if number < minimum {
            return Err(format!("{number} is less than the minimum {minimum}"));
        }
    }
    if let Some(maximum) = bound("maximum") {
        if flag("exclusiveMaximum") && number >= maximum {
            return Err(format!("{number} is not less than {maximum}"));
        }
        if number > maximum {
            return Err(format!("{number} is more than the maximum {maximum}"));
        }
    }
    // 3.1 writes it as a number of its own.
    if let Some(minimum) = bound("exclusiveMinimum")
        && number <= minimum
    {
        return Err(format!("{number} is not greater than {minimum}"));
    }
    if let Some(maximum) = bound("exclusiveMaximum")
        && number >= maximum
    {
        return Err(format!("{number} is not less than {maximum}"));
    }
    if let Some(step) = bound("multipleOf").filter(|step| *step > 0.0) {
        let quotient = number / step;
        if (quotient - quotient.round()).abs() > 1e-9 * quotient.abs().max(1.0) {
            return Err(format!("{number} is not a multiple of {step}"));
        }
    }
    Ok(())
}

/// Checks a count against the `min` and `max` keywords; `what` names the
/// things counted.
fn check_count(
    count: usize,
    schema: &Map<String, Value>,
    min: &str,
    max: &str,
    what: &str,
) -> Result<(), String> {
    let limit = |key: &str| schema.get(key).and_then(Value::as_u64);
    let count = count as u64;
    if let Some(least) = limit(min)
        && count < least
    {
        return Err(format!("{count} {what}, fewer than {min} {least}"));
    }
    if let Some(most) = limit(max)
        && count > most
    {
        return Err(format!("{count} {what}, more than {max} {most}"));
    }
    Ok(())
}

/// A JSON pointer as shown: `/` for the whole body.
fn shown(at: &str) -> &str {
    if at.is_empty() { "/" } else { at }
}

/// A value, cut short when long.
fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn verdict(value: Value, schema: Value) -> Result<(), String> {
        check(
            &value,
            &json!({"schema": schema, "defs": {
                "#/components/schemas/Leave": {
                    "type": "object",
                    "required": ["days", "id"],
                    "properties": {
                        "id": {"type": "string", "readOnly": true},
                        "days": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
                        "reason": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
                        "kind": {"type": "string", "enum": ["paid", "unpaid"], "nullable": true},
                        "tags": {"type": "array", "items": {"type": "integer"}, "maxItems": 2, "uniqueItems": true}
                    }
                }
            }}),
        )
    }

    fn leave(body: Value) -> Result<(), String> {
        verdict(body, json!({"$ref": "#/components/schemas/Leave"}))
    }

    #[test]
    fn a_valid_body_passes_and_read_only_properties_need_not_be_sent() {
        assert_eq!(
            leave(json!({"days": 2.5, "reason": "trip", "kind": null, "tags": [1, 2]})),
            Ok(())
        );
    }

    #[test]
    fn each_broken_rule_is_named_with_its_place() {
        let cases = [
            (json!({"days": 0}), "at `/days`: 0 is not greater than 0"),
            (
                json!({"days": 31}),
                "at `/days`: 31 is more than the maximum 30",
            ),
            (
                json!({"days": "2"}),
                "at `/days`: \"2\" is not of type \"number\"",
            ),
            (
                json!({"days": 1, "reason": "holidays"}),
                "at `/reason`: 8 characters, more than maxLength 5",
            ),
            (
                json!({"days": 1, "reason": "Trip"}),
                "at `/reason`: \"Trip\" does not match the pattern `^[a-z]+$`",
            ),
            (
                json!({"days": 1, "kind": "sick"}),
                "at `/kind`: \"sick\" is not one of [\"paid\",\"unpaid\"]",
            ),
            (
                json!({"days": 1, "tags": [1, 1]}),
                "at `/tags`: item 1 repeats an earlier one",
            ),
            (
                json!({"days": 1, "tags": [1, 2, 3]}),
                "at `/tags`: 3 items, more than maxItems 2",
            ),
            (
                json!({"days": 1, "tags": [1.5]}),
                "at `/tags/0`: 1.5 is not of type \"integer\"",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(leave(body.clone()), Err(expected.to_owned()), "{body}");
        }
    }

    #[test]
    fn numbers_compare_by_value_and_steps_allow_for_rounding() {
        let mode = json!({"type": "number", "enum": [-1, 0, 1]});
        assert_eq!(verdict(json!(1.0), mode.clone()), Ok(()));
        assert!(verdict(json!(2.0), mode).is_err());
        let cents = json!({"type": "number", "multipleOf": 0.01});
        assert_eq!(verdict(json!(112_291.43), cents.clone()), Ok(()));
        assert!(verdict(json!(1.005), cents).is_err());
        let unique = json!({"type": "array", "uniqueItems": true});
        assert!(verdict(json!([1, 1.0]), unique).is_err());
    }

    #[test]
    fn a_pattern_is_read_as_the_spec_meant_it_or_not_at_all() {
        let wrapped = json!({"type": "string", "pattern": "/^[a-z0-9._]+$/"});
        assert_eq!(verdict(json!("mira.k"), wrapped.clone()), Ok(()));
        assert!(verdict(json!("Mira"), wrapped).is_err());
        // Prose where a pattern should be: its own example breaks it.
        let prose =
            json!({"type": "string", "pattern": "a-z, A-Z, 0-9, /, _, -", "example": "/dev/sda"});
        assert_eq!(verdict(json!("/dev/sdb"), prose), Ok(()));
        // ECMA's `\d` is ASCII.
        let digits = json!({"type": "string", "pattern": "^\\D+$"});
        assert_eq!(verdict(json!("٣"), digits), Ok(()));
    }

    #[test]
    fn read_only_values_and_undeclared_requirements_are_left_alone() {
        // The client sends back a read-only value it was given; the spec
        // requires a property it never declares: neither is the client's.
        assert_eq!(leave(json!({"days": 1, "id": 5})), Ok(()));
        let undeclared = json!({"type": "object", "required": ["call_id"], "properties": {}});
        assert_eq!(verdict(json!({}), undeclared), Ok(()));
    }

    #[test]
    fn a_3_0_reference_ignores_its_siblings() {
        let bundle = |ref_siblings: bool| {
            json!({"refSiblings": ref_siblings,
                   "schema": {"$ref": "#/a", "maxLength": 1},
                   "defs": {"#/a": {"type": "string"}}})
        };
        assert_eq!(check(&json!("long"), &bundle(false)), Ok(()));
        assert!(check(&json!("long"), &bundle(true)).is_err());
    }

    #[test]
    fn what_cannot_be_judged_for_certain_passes() {
        // An unknown reference, a pattern Rust cannot compile, overlapping
        // `oneOf` options, properties beyond the declared ones.
        assert_eq!(verdict(json!(1), json!({"$ref": "#/nowhere"})), Ok(()));
        assert_eq!(
            verdict(json!("a"), json!({"type": "string", "pattern": "(?=a)a"})),
            Ok(())
        );
        let overlapping =
            json!({"oneOf": [{"type": "object"}, {"type": "object", "required": ["a"]}]});
        assert_eq!(verdict(json!({"a": 1}), overlapping), Ok(()));
        let closed =
            json!({"type": "object", "properties": {"a": {}}, "additionalProperties": false});
        assert_eq!(verdict(json!({"a": 1, "b": 2}), closed), Ok(()));
        assert!(
            verdict(
                json!("x"),
                json!({"anyOf": [{"type": "integer"}, {"type": "boolean"}]})
            )
            .is_err()
        );
        assert_eq!(
            verdict(
                json!({"m": 2}),
                json!({"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}})
            ),
            Ok(())
        );
        assert!(
            verdict(
                json!({"m": 0}),
                json!({"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}})
            )
            .is_err()
        );
    }
}
