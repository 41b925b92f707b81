//! Building the concrete URL of a call: base URL + template with
//! percent-encoded path parameters + percent-encoded query.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::error::InvalidRequestReason;
use crate::path_params::{Path, PathParams};
use crate::path_template::PathTemplate;

/// Bytes of path a call's URL holds without growing: the longest path of
/// nearly every operation, parameters included.
const PATH_ROOM: usize = 160;

/// A service's base URL, parsed and checked once, with its path ready to
/// prefix every call's.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    url: url::Url,
    /// The base URL's path without its trailing slashes.
    path: Box<str>,
    /// `url` with a placeholder path [`PATH_ROOM`] bytes long, which each
    /// call's URL starts as a copy of: a copy is as long as what it copies,
    /// so the call's own path then replaces the placeholder in place instead
    /// of growing a copy of the bare base URL (twice, for a typical path).
    roomy: url::Url,
}

impl Base {
    pub(crate) fn new(url: url::Url) -> Self {
        let path: Box<str> = url.path().trim_end_matches('/').into();
        let mut roomy = url.clone();
        let padding = "_".repeat(PATH_ROOM.saturating_sub(path.len() + 1));
        roomy.set_path(&format!("{path}/{padding}"));
        Self { url, path, roomy }
    }

    /// The base URL.
    pub(crate) fn url(&self) -> &url::Url {
        &self.url
    }
}

/// What a call's URLs are built from: its whole path (the base URL's
/// included) and its encoded query. Each attempt builds its own URL from it,
/// which reqwest then owns.
#[derive(Debug)]
pub(crate) struct Target {
    path: Cow<'static, str>,
    query: String,
}

impl Target {
    /// The path of `template` after `base`'s, each `{name}` replaced by the
    /// encoded value of that path parameter, and the encoded `query`. The
    /// query, and the filled path when it can be used as it is, are taken:
    /// this is called once per request.
    pub(crate) fn new(
        base: &Base,
        template: &PathTemplate,
        path_params: &mut PathParams,
        query: &mut String,
    ) -> Result<Self, InvalidRequestReason> {
        let query = std::mem::take(query);
        match path_params.path(template) {
            // The common case: a base URL without a path, and every value
            // given in template order, so the path is already written but
            // its tail.
            Path::Filled { filled } if base.path.is_empty() => {
                let path = if filled.is_empty() {
                    Cow::Borrowed(template.tail())
                } else {
                    filled.push_str(template.tail());
                    Cow::Owned(std::mem::take(filled))
                };
                Ok(Self { path, query })
            }
            path => joined(&base.path, template, path, query),
        }
    }

    /// The URL: `base`, the base this target was made for, with this path
    /// (which holds the base's own) and query.
    ///
    /// The base URL was parsed and checked once, when the session was built:
    /// only the path and query are parsed here, which costs a fraction of
    /// parsing the whole URL again.
    pub(crate) fn url(&self, base: &Base) -> url::Url {
        let mut url = base.roomy.clone();
        url.set_path(&self.path);
        if !self.query.is_empty() {
            url.set_query(Some(&self.query));
        }
        url
    }
}

/// The target whose path is `base_path`, then `path` with the placeholders
/// it lacks filled in by name. A query in the template itself goes first in
/// the query, before `query`; a fragment is never sent.
#[inline(never)]
fn joined(
    base_path: &str,
    template: &PathTemplate,
    path: Path<'_>,
    query: String,
) -> Result<Target, InvalidRequestReason> {
    let text = template.text();
    let mut joined = String::with_capacity(base_path.len() + text.len() + 32);
    joined.push_str(base_path);
    let cut = match path {
        Path::Filled { filled } => {
            joined.push_str(filled);
            joined.push_str(template.tail());
            None
        }
        Path::Named {
            filled,
            from,
            named,
        } => {
            joined.push_str(filled);
            match template.fill(from, &mut joined, |out, name| push_param(out, name, named)) {
                Some(filled) => filled.map(|()| None)?,
                None => scan(&mut joined, text, named)?,
            }
        }
    };
    let Some(cut) = cut else {
        return Ok(Target {
            path: Cow::Owned(joined),
            query,
        });
    };
    let rest = joined.split_off(cut);
    let literal = rest.strip_prefix('?').unwrap_or("");
    let literal = literal.split('#').next().unwrap_or("");
    let query = match (literal, query.as_str()) {
        (literal, "") => literal.to_owned(),
        ("", _) => query,
        (literal, query) => format!("{literal}&{query}"),
    };
    Ok(Target {
        path: Cow::Owned(joined),
        query,
    })
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
        push_name(out, name);
        push_encoded(out, value);
    }
}

/// Appends the pair `name=value` to `query`, percent-encoded, after an `&`
/// when `query` already holds a pair. Fails when `value`'s `Display` does.
pub(crate) fn push_query(query: &mut String, name: &str, value: &dyn fmt::Display) -> fmt::Result {
    push_name(query, name);
    write_encoded(query, value)
}

/// Starts the pair `name=`: after an `&` when `out` already holds a pair.
fn push_name(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_encoded(out, name);
    out.push('=');
}

/// Appends `value` to `out`, percent-encoded as [`push_encoded`] does.
pub(crate) fn write_encoded(out: &mut String, value: &dyn fmt::Display) -> fmt::Result {
    write!(Encoding(out), "{value}")
}

/// Percent-encodes what is written to it into a string.
struct Encoding<'a>(&'a mut String);

impl fmt::Write for Encoding<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        push_encoded(self.0, text);
        Ok(())
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
            .position(|byte| !unreserved(byte))
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

/// Whether `byte` is an RFC 3986 unreserved character: an ASCII letter or
/// digit, `-`, `.`, `_` or `~`.
#[inline]
fn unreserved(byte: u8) -> bool {
    // One bit per ASCII byte, tested in registers: a per-byte table would
    // be two more cache lines for every call to fetch.
    const MASK: u128 = {
        let mut mask = 0u128;
        let mut byte = 0u8;
        while byte < 128 {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                mask |= 1 << byte;
            }
            byte += 1;
        }
        mask
    };
    byte < 128 && (MASK >> byte) & 1 != 0
}

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

    /// The URL of `template` on `base_url`, its path parameters given in
    /// the order of `path_params`.
    fn built(
        base_url: &str,
        template: &'static str,
        path_params: &[(&'static str, String)],
        query: &[(&str, &str)],
    ) -> Result<String, InvalidRequestReason> {
        let template = PathTemplate::split(template);
        let mut given = PathParams::default();
        for (name, value) in path_params {
            given.give(&template, name, value)?;
        }
        let mut encoded = String::new();
        for (name, value) in query {
            push_query(&mut encoded, name, value).unwrap();
        }
        let base = base(base_url);
        Target::new(&base, &template, &mut given, &mut encoded)
            .map(|target| String::from(target.url(&base)))
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

    /// Values given out of template order (by hand: generated methods give
    /// them in order) are filled in by name: the same URL either way.
    #[test]
    fn the_order_values_are_given_in_does_not_matter() {
        let pairs = params(&[("org", "a b"), ("team", "x/y"), ("id", "7")]);
        let template = "/orgs/{org}/teams/{team}/members/{id}/roles";
        let expected = Ok("http://h/api/orgs/a%20b/teams/x%2Fy/members/7/roles".to_owned());
        for order in [[0, 1, 2], [2, 1, 0], [0, 2, 1], [1, 0, 2]] {
            let given: Vec<_> = order.iter().map(|&index| pairs[index].clone()).collect();
            assert_eq!(built("http://h/api", template, &given, &[]), expected);
            let bare = built("http://h", template, &given, &[]);
            assert_eq!(bare, Ok(expected.clone().unwrap().replace("/api", "")));
        }
        // The first value given for a name is used, however they came.
        let twice =
            |pairs: &[(&'static str, &str)]| built("http://h", "/a/{x}/b/{y}", &params(pairs), &[]);
        let first = Ok("http://h/a/a/b/1".to_owned());
        assert_eq!(twice(&[("y", "1"), ("x", "a"), ("y", "2")]), first);
        assert_eq!(twice(&[("x", "a"), ("y", "1"), ("y", "2")]), first);
        assert_eq!(twice(&[("x", "a"), ("x", "b"), ("y", "1")]), first);
        let refused = Err(InvalidRequestReason::PathParameter { name: "y" });
        assert_eq!(twice(&[("y", ""), ("x", "a"), ("y", "2")]), refused);
        let second_empty = twice(&[("y", "2"), ("x", "a"), ("y", "")]);
        assert_eq!(second_empty.as_deref(), Ok("http://h/a/a/b/2"));
        let repeated = built("http://h", "/a/{id}/b/{id}", &params(&[("id", "1")]), &[]);
        assert_eq!(repeated.as_deref(), Ok("http://h/a/1/b/1"));
        let missing = built(
            "http://h",
            template,
            &params(&[("org", "o"), ("id", "7")]),
            &[],
        );
        assert_eq!(
            missing,
            Err(InvalidRequestReason::PathParameter { name: "team" })
        );
    }

    /// A call's URL is a copy of the roomy base URL with its path replaced:
    /// a typical path fits in the copy as it is.
    #[test]
    fn a_typical_path_fits_in_the_copied_base() {
        let base = base("http://127.0.0.1:8080");
        let template = PathTemplate::split("/namespaces/{namespace}/keys/{key}");
        let mut given = PathParams::default();
        given.give(&template, "namespace", &"billing").unwrap();
        given.give(&template, "key", &"max-retries").unwrap();
        let target = Target::new(&base, &template, &mut given, &mut String::new()).unwrap();
        let url = String::from(target.url(&base));
        assert_eq!(
            url,
            "http://127.0.0.1:8080/namespaces/billing/keys/max-retries"
        );
        assert_eq!(url.capacity(), base.roomy.as_str().len());
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
            match template.fill(0, &mut filled, |path, name| push_param(path, name, &values)) {
                Some(result) => {
                    split += 1;
                    assert_eq!(result.map(|()| (None, filled)), scanned, "{text:?}");
                }
                None if text.contains(['?', '#']) => {
                    assert!(!matches!(scanned, Ok((None, _))), "{text:?} has no cut");
                }
                None => assert!(names_one_twice(text), "{text:?} left whole"),
            }
        }
        assert!(split > 1_000, "only {split} templates were split");
    }

    /// Whether two of the placeholders of `text` have one name.
    fn names_one_twice(text: &str) -> bool {
        let mut names = Vec::new();
        let mut rest = text;
        while let Some((open, close)) = rest
            .find('{')
            .and_then(|open| Some((open, open + rest[open..].find('}')?)))
        {
            names.push(&rest[open + 1..close]);
            rest = &rest[close + 1..];
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        names.len() < count
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

    /// Every byte, above 127 included, against the RFC's list.
    #[test]
    fn the_unreserved_bytes_are_the_rfc_3986_set() {
        for byte in 0..=u8::MAX {
            let listed = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
            assert_eq!(unreserved(byte), listed, "byte {byte:#04x}");
        }
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

    /// Values of any `Display` type are encoded as they are written, and a
    /// `Display` that fails is reported.
    #[test]
    fn query_pairs_are_encoded_as_written() {
        struct Broken;
        impl fmt::Display for Broken {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Err(fmt::Error)
            }
        }
        let mut query = String::new();
        push_query(&mut query, "n", &42).unwrap();
        push_query(&mut query, "a b", &'/').unwrap();
        push_query(&mut query, "at", &format_args!("{}:{}", 1, "ü")).unwrap();
        assert_eq!(query, "n=42&a%20b=%2F&at=1%3A%C3%BC");
        assert_eq!(push_query(&mut query, "x", &Broken), Err(fmt::Error));
    }

    #[test]
    fn a_query_in_the_template_comes_first_and_a_fragment_is_dropped() {
        let query = [("limit", "5")];
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
        let query = [("q", "a&b=c#d+e"), ("tag", "ü")];
        let url = built("http://h", "/search", &[], &query);
        assert_eq!(
            url.as_deref(),
            Ok("http://h/search?q=a%26b%3Dc%23d%2Be&tag=%C3%BC")
        );
    }
}
