//! Percent-encoding, and turning structured values into flat `name=value`
//! pairs: `deepObject` query parameters, exploded `form` objects and
//! form-urlencoded bodies.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

/// How nested values are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Nesting {
    /// `name[key][sub]=v`, arrays `name[key][0]=v` (deepObject, Stripe-style forms).
    Brackets,
    /// Top-level properties as their own pairs; deeper values as JSON text.
    Exploded,
}

/// Flattens `value` into pairs under `name` (empty: top-level properties).
pub(crate) fn flatten<T: Serialize + ?Sized>(
    name: &str,
    value: &T,
    nesting: Nesting,
) -> Result<Vec<(String, String)>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut pairs = Vec::new();
    match nesting {
        Nesting::Brackets => brackets(name, &value, &mut pairs),
        Nesting::Exploded => match &value {
            Value::Object(map) => {
                for (key, item) in map {
                    if let Some(text) = scalar(item) {
                        pairs.push((key.clone(), text));
                    } else if !item.is_null() {
                        pairs.push((key.clone(), item.to_string()));
                    }
                }
            }
            other => {
                if let Some(text) = scalar(other) {
                    pairs.push((name.to_owned(), text));
                }
            }
        },
    }
    Ok(pairs)
}

fn brackets(prefix: &str, value: &Value, pairs: &mut Vec<(String, String)>) {
    let key = |sub: &str| {
        if prefix.is_empty() {
            sub.to_owned()
        } else {
            format!("{prefix}[{sub}]")
        }
    };
    match value {
        Value::Object(map) => {
            for (sub, item) in map {
                brackets(&key(sub), item, pairs);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                brackets(&key(&index.to_string()), item, pairs);
            }
        }
        Value::Null => {}
        scalar_value => {
            if let Some(text) = scalar(scalar_value) {
                pairs.push((prefix.to_owned(), text));
            }
        }
    }
}

/// The text of a scalar; `None` for objects, arrays and null.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Bytes left as they are: RFC 3986's unreserved characters. Everything
/// else is percent-encoded, so a value stays one path segment or one query
/// value whatever it holds.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `value`, percent-encoded.
pub(crate) fn push_encoded(out: &mut String, value: &str) {
    out.extend(utf8_percent_encode(value, UNRESERVED));
}

/// `a=1&b=2` with every component percent-encoded.
pub(crate) fn urlencode(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_objects_and_index_arrays() {
        let value =
            json!({"card": {"number": "4242", "exp": [12, 2030]}, "expand": ["a"], "none": null});
        let pairs = flatten("", &value, Nesting::Brackets).expect("serialises");
        assert_eq!(
            pairs,
            [
                ("card[number]".to_owned(), "4242".to_owned()),
                ("card[exp][0]".to_owned(), "12".to_owned()),
                ("card[exp][1]".to_owned(), "2030".to_owned()),
                ("expand[0]".to_owned(), "a".to_owned()),
            ]
        );
        let named = flatten("filter", &json!({"state": "open"}), Nesting::Brackets).expect("ok");
        assert_eq!(named, [("filter[state]".to_owned(), "open".to_owned())]);
    }

    #[test]
    fn exploded_objects_become_top_level_pairs() {
        let pairs = flatten(
            "p",
            &json!({"page": 2, "sort": "name", "f": {"a": 1}}),
            Nesting::Exploded,
        )
        .expect("ok");
        assert_eq!(
            pairs,
            [
                ("page".to_owned(), "2".to_owned()),
                ("sort".to_owned(), "name".to_owned()),
                ("f".to_owned(), "{\"a\":1}".to_owned()),
            ]
        );
        assert_eq!(urlencode(&pairs[..2]), "page=2&sort=name");
    }
}
