//! A call's URL: the service's base URL, the operation's path template with
//! its parameters percent-encoded, and the encoded query.

use std::fmt::{self, Write as _};

use crate::encoding::push_encoded;

/// Why a call's URL could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// A path parameter is missing, empty, `.` or `..`.
    PathParameter(String),
}

/// Appends `value`'s text, percent-encoded; fails when its `Display` does.
pub(crate) fn write_encoded(out: &mut String, value: &dyn fmt::Display) -> fmt::Result {
    write!(Encoding(out), "{value}")
}

/// Appends `name=value` to an encoded query, with `&` after earlier pairs.
pub(crate) fn push_query(query: &mut String, name: &str, value: &dyn fmt::Display) -> fmt::Result {
    if !query.is_empty() {
        query.push('&');
    }
    push_encoded(query, name);
    query.push('=');
    write_encoded(query, value)
}

/// Encodes what is written through it.
struct Encoding<'a>(&'a mut String);

impl fmt::Write for Encoding<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        push_encoded(self.0, text);
        Ok(())
    }
}

/// The URL of a call: `base`'s path (kept, without its trailing `/`), then
/// `template` with each `{name}` replaced by the encoded value given for it
/// (the first one, when several were), then the query: a query written in
/// the template itself first, then `query`. A fragment is never sent.
pub(crate) fn build(
    base: &url::Url,
    template: &str,
    path_params: &[(&str, String)],
    query: &str,
) -> Result<url::Url, UrlProblem> {
    let (template, literal_query) = match template.find(['?', '#']) {
        Some(cut) => {
            let rest = &template[cut..];
            let literal = rest.strip_prefix('?').unwrap_or("");
            (&template[..cut], literal.split('#').next().unwrap_or(""))
        }
        None => (template, ""),
    };
    let base_path = base.path().trim_end_matches('/');
    let values: usize = path_params.iter().map(|(_, value)| value.len()).sum();
    let mut path = String::with_capacity(base_path.len() + template.len() + values);
    path.push_str(base_path);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(length) = rest[open..].find('}') else {
            break;
        };
        path.push_str(&rest[..open]);
        let name = &rest[open + 1..open + length];
        path.push_str(path_value(name, path_params)?);
        rest = &rest[open + length + 1..];
    }
    path.push_str(rest);
    let mut url = base.clone();
    url.set_path(&path);
    let query = match (literal_query, query) {
        ("", "") => None,
        (literal, "") => Some(literal.to_owned()),
        ("", query) => Some(query.to_owned()),
        (literal, query) => Some(format!("{literal}&{query}")),
    };
    url.set_query(query.as_deref());
    url.set_fragment(None);
    Ok(url)
}

/// The encoded value of the path parameter `name`: the first given, which
/// must not be empty, `.` or `..`.
fn path_value<'a>(name: &str, path_params: &'a [(&str, String)]) -> Result<&'a str, UrlProblem> {
    match path_params.iter().find(|(given, _)| *given == name) {
        Some((_, value)) if !matches!(value.as_str(), "" | "." | "..") => Ok(value),
        _ => Err(UrlProblem::PathParameter(name.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(
        base: &str,
        template: &str,
        params: &[(&str, &str)],
        query: &[(&str, &str)],
    ) -> Result<String, UrlProblem> {
        let params: Vec<(&str, String)> = params
            .iter()
            .map(|(name, value)| {
                let mut encoded = String::new();
                push_encoded(&mut encoded, value);
                (*name, encoded)
            })
            .collect();
        let mut encoded = String::new();
        for (name, value) in query {
            push_query(&mut encoded, name, value).unwrap();
        }
        let base = url::Url::parse(base).unwrap();
        build(&base, template, &params, &encoded).map(String::from)
    }

    #[test]
    fn path_parameters_stay_in_one_segment() {
        let url = built(
            "http://h/api",
            "/users/{id}/files/{name}",
            &[("id", "a/../b?c#d"), ("name", "100% é x")],
            &[("q", "a&b=c")],
        );
        assert_eq!(
            url.as_deref(),
            Ok("http://h/api/users/a%2F..%2Fb%3Fc%23d/files/100%25%20%C3%A9%20x?q=a%26b%3Dc")
        );
    }

    #[test]
    fn the_first_value_given_wins_in_any_order() {
        let twice = |params: &[(&str, &str)]| built("http://h", "/a/{x}/b/{y}", params, &[]);
        let first = Ok("http://h/a/a/b/1".to_owned());
        assert_eq!(twice(&[("y", "1"), ("x", "a"), ("y", "2")]), first);
        assert_eq!(twice(&[("x", "a"), ("y", "1"), ("y", "2")]), first);
        let repeated = built("http://h", "/a/{id}/b/{id}", &[("id", "1")], &[]);
        assert_eq!(repeated.as_deref(), Ok("http://h/a/1/b/1"));
    }

    #[test]
    fn dot_empty_and_missing_segments_are_refused() {
        for value in ["", ".", ".."] {
            let url = built("http://h", "/users/{id}", &[("id", value)], &[]);
            assert_eq!(url, Err(UrlProblem::PathParameter("id".into())));
        }
        let missing = built("http://h", "/users/{id}", &[], &[]);
        assert_eq!(missing, Err(UrlProblem::PathParameter("id".into())));
    }

    #[test]
    fn the_base_path_is_kept_once() {
        for base in ["http://h/api", "http://h/api/"] {
            assert_eq!(
                built(base, "/users", &[], &[]).as_deref(),
                Ok("http://h/api/users")
            );
        }
        assert_eq!(built("http://h", "", &[], &[]).as_deref(), Ok("http://h/"));
    }

    #[test]
    fn a_query_in_the_template_goes_first_and_a_fragment_is_dropped() {
        let url = built(
            "http://h",
            "/items/{id}?action=archive#top",
            &[("id", "7")],
            &[("force", "true")],
        );
        assert_eq!(
            url.as_deref(),
            Ok("http://h/items/7?action=archive&force=true")
        );
    }

    #[test]
    fn only_unreserved_bytes_are_left_as_they_are() {
        for byte in 0..=127u8 {
            let text = char::from(byte).to_string();
            let mut encoded = String::new();
            push_encoded(&mut encoded, &text);
            let unreserved = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
            assert_eq!(encoded == text, unreserved, "byte {byte:#04x}");
        }
    }
}
