//! Building the concrete URL of a call: base URL + template with
//! percent-encoded path parameters + percent-encoded query.

use std::borrow::Cow;

use crate::error::InvalidRequestReason;
use crate::path_template::PathTemplate;

/// A service's base URL, parsed and checked once, with its path ready to
/// prefix every call's.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    url: url::Url,
    /// The base URL's path without its trailing slashes.
    path: Box<str>,
}

impl Base {
    pub(crate) fn new(url: url::Url) -> Self {
        let path = url.path().trim_end_matches('/').into();
        Self { url, path }
    }

    /// The base URL.
    pub(crate) fn url(&self) -> &url::Url {
        &self.url
    }
}

/// `base` with its path followed by `template`, each `{name}` replaced by
/// the encoded value of that path parameter, and the encoded `query`.
///
/// The base URL was parsed and checked once, when the session was built: only
/// the path and query are parsed here, which costs a fraction of parsing the
/// whole URL again.
pub(crate) fn build(
    base: &Base,
    template: &PathTemplate,
    path_params: &[(&'static str, String)],
    query: &[(Cow<'static, str>, String)],
) -> Result<url::Url, InvalidRequestReason> {
    let text = template.text();
    let base_path = &*base.path;
    let mut path = String::with_capacity(base_path.len() + text.len() + 32);
    path.push_str(base_path);
    let cut = match template.fill(&mut path, |path, name| push_param(path, name, path_params)) {
        Some(filled) => {
            filled?;
            None
        }
        None => scan(&mut path, text, path_params)?,
    };
    let mut url = base.url.clone();
    match cut {
        None if query.is_empty() => url.set_path(&path),
        // A query is built out of line: the path alone is the common case.
        _ => set_path_and_query(&mut url, &path, cut, query),
    }
    Ok(url)
}

/// Sets the path of `url` to `path` up to `cut` and its query to what
/// follows `cut` (the template's own query, without a fragment) and the
/// encoded `query`.
#[inline(never)]
fn set_path_and_query(
    url: &mut url::Url,
    path: &str,
    cut: Option<usize>,
    query: &[(Cow<'static, str>, String)],
) {
    let (path, literal_query) = match cut {
        None => (path, ""),
        Some(cut) => {
            let (path, rest) = path.split_at(cut);
            let query = rest.strip_prefix('?').unwrap_or("");
            (path, query.split('#').next().unwrap_or(""))
        }
    };
    url.set_path(path);
    if !query.is_empty() || !literal_query.is_empty() {
        let mut encoded = String::with_capacity(literal_query.len() + query.len() * 16);
        encoded.push_str(literal_query);
        push_pairs(
            &mut encoded,
            query
                .iter()
                .map(|(name, value)| (name.as_ref(), value.as_str())),
        );
        url.set_query(Some(&encoded));
    }
}

/// Appends `text` with its placeholders filled in, found by scanning it: for
/// the rare template that was not split in advance. Returns where in `path`
/// the template's own query or fragment starts, if it has one.
#[inline(never)]
fn scan(
    path: &mut String,
    text: &'static str,
    path_params: &[(&'static str, String)],
) -> Result<Option<usize>, InvalidRequestReason> {
    // Encoded values never hold `?` or `#`: the first one here comes from
    // the template itself (`/items?action=archive`). What follows it goes
    // first in the query, a fragment is never sent.
    let bytes = text.as_bytes();
    let mut literal = 0;
    let mut at = 0;
    let mut cut = None;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => {
                let Some(length) = bytes[at + 1..].iter().position(|&byte| byte == b'}') else {
                    // An unclosed brace is literal text.
                    at += 1;
                    continue;
                };
                path.push_str(&text[literal..at]);
                push_param(path, &text[at + 1..at + 1 + length], path_params)?;
                at += length + 2;
                literal = at;
            }
            b'?' | b'#' if cut.is_none() => {
                path.push_str(&text[literal..at]);
                cut = Some(path.len());
                literal = at;
                at += 1;
            }
            _ => at += 1,
        }
    }
    path.push_str(&text[literal..]);
    Ok(cut)
}

/// Appends the encoded value of the path parameter `name`.
fn push_param(
    path: &mut String,
    name: &'static str,
    path_params: &[(&'static str, String)],
) -> Result<(), InvalidRequestReason> {
    let value = path_params
        .iter()
        .find(|(param, _)| *param == name)
        .map(|(_, value)| value.as_str());
    match value {
        // `.` and `..` would be removed by URL normalisation, and an empty
        // segment would change which route is called.
        Some(value) if !matches!(value, "" | "." | "..") => {
            push_encoded(path, value);
            Ok(())
        }
        _ => Err(InvalidRequestReason::PathParameter { name }),
    }
}

/// Appends `name=value` pairs, percent-encoded and joined by `&` (after an
/// `&` when `out` already holds something).
pub(crate) fn push_pairs<'a>(
    out: &mut String,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_encoded(out, name);
        out.push('=');
        push_encoded(out, value);
    }
}

/// Appends `value` percent-encoded for use as one path segment, query
/// component or cookie value: everything except RFC 3986 unreserved
/// characters is encoded, so a value always stays inside its component (`/`,
/// `?`, `#`, `&`, `=`, `+`, `%`, `;` and spaces included). Written without the
/// formatting machinery: this runs for every parameter of every call.
pub(crate) fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(value.len());
    let mut rest = value;
    loop {
        // Copy the run of unreserved (ASCII) characters at once, then encode
        // every byte of the character that ended it.
        let run = rest
            .bytes()
            .position(|byte| !UNRESERVED[usize::from(byte)])
            .unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        out.push_str(plain);
        let Some(character) = tail.chars().next() else {
            return;
        };
        let (encoded, after) = tail.split_at(character.len_utf8());
        for byte in encoded.bytes() {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        rest = after;
    }
}

/// RFC 3986 unreserved characters, by byte: ASCII letters and digits and
/// `-` `.` `_` `~`. A table lookup per byte instead of four comparisons.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        byte += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

    use super::*;

    /// The RFC 3986 unreserved set, as the `percent-encoding` crate spells it.
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');

    fn base(url: &str) -> Base {
        Base::new(url::Url::parse(url).unwrap())
    }

    fn built(
        base_url: &str,
        template: &'static str,
        path_params: &[(&'static str, String)],
        query: &[(Cow<'static, str>, String)],
    ) -> Result<String, InvalidRequestReason> {
        build(
            &base(base_url),
            &PathTemplate::split(template),
            path_params,
            query,
        )
        .map(String::from)
    }

    fn params(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn path_parameters_stay_in_one_segment() {
        let url = built(
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

    /// A template split in advance and the same template scanned at the
    /// call fill in the same path, or refuse the same parameter, for every
    /// template of up to five characters from braces, `?`, `#`, `/`, a
    /// letter and a two-byte letter; a template left whole has a query or a
    /// fragment.
    #[test]
    fn split_and_scanned_templates_agree() {
        const ALPHABET: [char; 7] = ['{', '}', '?', '#', '/', 'a', 'é'];
        let values = params(&[("a", "v w"), ("é", "x/y"), ("aa", "1")]);
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|text| ALPHABET.iter().map(move |c| format!("{text}{c}")))
                .collect();
            texts.extend(last.iter().cloned());
        }
        let mut split = 0;
        for text in texts {
            let text: &'static str = text.leak();
            let mut scanned = String::new();
            let scanned = scan(&mut scanned, text, &values).map(|cut| (cut, scanned));
            let mut filled = String::new();
            let template = PathTemplate::split(text);
            match template.fill(&mut filled, |path, name| push_param(path, name, &values)) {
                Some(result) => {
                    split += 1;
                    assert_eq!(result.map(|()| (None, filled)), scanned, "{text:?}");
                }
                None => {
                    assert!(text.contains(['?', '#']), "{text:?} left whole");
                    assert!(!matches!(scanned, Ok((None, _))), "{text:?} has no cut");
                }
            }
        }
        assert!(split > 1_000, "only {split} templates were split");
    }

    /// A template with more placeholders than a split one holds is scanned.
    #[test]
    fn a_template_with_nine_placeholders_is_filled_in() {
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        let values: Vec<_> = names
            .iter()
            .zip(1..)
            .map(|(name, n)| (*name, n.to_string()))
            .collect();
        let url = built(
            "http://h",
            "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}",
            &values,
            &[],
        );
        assert_eq!(url.as_deref(), Ok("http://h/1/2/3/4/5/6/7/8/9"));
    }

    #[test]
    fn dot_and_empty_segments_are_refused() {
        for value in ["", ".", ".."] {
            let url = built("http://h", "/users/{id}", &params(&[("id", value)]), &[]);
            assert_eq!(url, Err(InvalidRequestReason::PathParameter { name: "id" }));
        }
        let missing = built("http://h", "/users/{id}", &[], &[]);
        assert_eq!(
            missing,
            Err(InvalidRequestReason::PathParameter { name: "id" })
        );
    }

    #[test]
    fn the_base_path_is_kept_once() {
        for base_url in ["http://h/api", "http://h/api/"] {
            let url = built(base_url, "/users", &[], &[]);
            assert_eq!(url.as_deref(), Ok("http://h/api/users"));
        }
        assert_eq!(built("http://h", "", &[], &[]).as_deref(), Ok("http://h/"));
    }

    #[test]
    fn the_fast_encoder_agrees_with_the_component_set() {
        let mut every_char = String::new();
        for code in (0u32..0x250).chain([0x200b, 0xfeff, 0x1f600]) {
            every_char.extend(char::from_u32(code));
        }
        let mut fast = String::new();
        push_encoded(&mut fast, &every_char);
        assert_eq!(
            fast,
            utf8_percent_encode(&every_char, COMPONENT).to_string()
        );
    }

    #[test]
    fn a_query_in_the_template_comes_first_and_a_fragment_is_dropped() {
        let query = vec![(Cow::Borrowed("limit"), "5".to_owned())];
        let url = built("http://h/api", "/items?action=archive", &[], &query);
        assert_eq!(
            url.as_deref(),
            Ok("http://h/api/items?action=archive&limit=5")
        );
        let url = built(
            "http://h",
            "/items/{id}?mode=full",
            &params(&[("id", "a?b")]),
            &[],
        );
        assert_eq!(url.as_deref(), Ok("http://h/items/a%3Fb?mode=full"));
        let url = built("http://h", "/items#section", &[], &query);
        assert_eq!(url.as_deref(), Ok("http://h/items?limit=5"));
    }

    /// A placeholder in the template's own query is filled in like one in
    /// its path, and a missing value is refused.
    #[test]
    fn placeholders_after_the_question_mark_are_filled_in() {
        let url = built("http://h", "/r?kind={k}", &params(&[("k", "a b")]), &[]);
        assert_eq!(url.as_deref(), Ok("http://h/r?kind=a%20b"));
        let url = built("http://h", "/r?kind={k}", &[], &[]);
        assert_eq!(url, Err(InvalidRequestReason::PathParameter { name: "k" }));
        let url = built("http://h", "/r/{", &[], &[]);
        assert_eq!(url.as_deref(), Ok("http://h/r/%7B"));
    }

    #[test]
    fn query_values_are_fully_encoded() {
        let query = vec![
            (Cow::Borrowed("q"), "a&b=c#d+e".to_owned()),
            (Cow::Borrowed("tag"), "ü".to_owned()),
        ];
        let url = built("http://h", "/search", &[], &query);
        assert_eq!(
            url.as_deref(),
            Ok("http://h/search?q=a%26b%3Dc%23d%2Be&tag=%C3%BC")
        );
    }
}
