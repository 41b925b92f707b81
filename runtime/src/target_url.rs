//! Building the concrete URL of a call: base URL + template with
//! percent-encoded path parameters + percent-encoded query.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::InvalidRequestReason;

/// Everything except RFC 3986 unreserved characters is encoded, so a value
/// always stays inside its path segment or query component (`/`, `?`, `#`,
/// `&`, `=`, `+`, `%` and spaces included).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `value` for use as one path segment or query component.
pub(crate) fn encode_component(value: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(value, COMPONENT)
}

/// `base` (no trailing slash) + `template` with each `{name}` replaced by the
/// encoded value of that path parameter, then `?` + the encoded query.
pub(crate) fn build(
    base: &str,
    template: &'static str,
    path_params: &[(&'static str, String)],
    query: &[(Cow<'static, str>, String)],
) -> Result<String, InvalidRequestReason> {
    use std::fmt::Write as _;

    let mut url = String::with_capacity(base.len() + template.len() + 32);
    url.push_str(base);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        url.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            url.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &after[..close];
        let value = path_params
            .iter()
            .find(|(param, _)| *param == name)
            .map(|(_, value)| value.as_str());
        match value {
            // `.` and `..` would be removed by URL normalisation, and an
            // empty segment would change which route is called.
            Some(value) if !matches!(value, "" | "." | "..") => {
                let _ = write!(url, "{}", encode_component(value));
            }
            _ => return Err(InvalidRequestReason::PathParameter { name }),
        }
        rest = &after[close + 1..];
    }
    url.push_str(rest);
    for (index, (name, value)) in query.iter().enumerate() {
        url.push(if index == 0 { '?' } else { '&' });
        let _ = write!(
            url,
            "{}={}",
            encode_component(name),
            encode_component(value)
        );
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn path_parameters_stay_in_one_segment() {
        let url = build(
            "http://h/api",
            "/users/{id}/files/{name}",
            &params(&[("id", "a/../b?c#d"), ("name", "100% é x")]),
            &[],
        );
        assert_eq!(
            url.as_deref(),
            Ok("http://h/api/users/a%2F..%2Fb%3Fc%23d/files/100%25%20%C3%A9%20x")
        );
    }

    #[test]
    fn dot_and_empty_segments_are_refused() {
        for value in ["", ".", ".."] {
            let url = build("http://h", "/users/{id}", &params(&[("id", value)]), &[]);
            assert_eq!(url, Err(InvalidRequestReason::PathParameter { name: "id" }));
        }
        let missing = build("http://h", "/users/{id}", &[], &[]);
        assert_eq!(
            missing,
            Err(InvalidRequestReason::PathParameter { name: "id" })
        );
    }

    #[test]
    fn query_values_are_fully_encoded() {
        let query = vec![
            (Cow::Borrowed("q"), "a&b=c#d+e".to_owned()),
            (Cow::Borrowed("tag"), "ü".to_owned()),
        ];
        let url = build("http://h", "/search", &[], &query);
        assert_eq!(
            url.as_deref(),
            Ok("http://h/search?q=a%26b%3Dc%23d%2Be&tag=%C3%BC")
        );
    }
}
