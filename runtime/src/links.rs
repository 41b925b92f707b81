//! Resolution of application links against the configured frontend base URL
//! (`FRONTEND_URL`).
//!
//! Notifications carry links such as `/approvals/42`. Before a notification is
//! sent, [`LinkResolver::resolve`] turns such a link into an absolute URL under
//! the frontend base URL. Anything that could lead the reader to another site
//! (an open redirect) is refused with a [`LinkError`]: scheme-relative links,
//! foreign origins, non-web schemes, userinfo tricks, control characters,
//! backslashes and dot segments, including their percent-encoded variants.

use std::borrow::Cow;

/// The cause of a refused link field.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

use percent_encoding::percent_decode_str;
use url::{Origin, Url};

/// How many rounds of percent-decoding are inspected for hidden payloads.
const DECODE_ROUNDS: usize = 3;

/// Resolves relative application links against the frontend base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkResolver {
    /// Scheme, host and effective port of the frontend.
    origin: Origin,
    /// Base path without trailing slash; empty when the frontend is served at `/`.
    base_path: String,
    /// Serialised origin followed by `base_path`.
    base: String,
}

/// Why a link (or the frontend base URL) was refused.
///
/// The messages never repeat the link itself, since links may be
/// user-controlled.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The configured frontend base URL is unusable.
    #[error("invalid frontend base url: {reason}")]
    InvalidBase {
        /// Short description of the problem.
        reason: &'static str,
    },
    /// The link is empty or only whitespace.
    #[error("link is empty")]
    Empty,
    /// The link contains a control or whitespace character, possibly
    /// percent-encoded.
    #[error("link contains a control or whitespace character")]
    ControlCharacter,
    /// The link contains a backslash, possibly percent-encoded.
    #[error("link contains a backslash")]
    Backslash,
    /// The link starts with `//`, possibly after percent-decoding.
    #[error("link is scheme-relative")]
    SchemeRelative,
    /// The link uses a scheme other than `http` or `https`.
    #[error("link uses a disallowed scheme")]
    DisallowedScheme,
    /// The link points to another origin or carries userinfo.
    #[error("link points outside the frontend origin")]
    ForeignOrigin,
    /// The link contains dot segments or leaves the frontend base path.
    #[error("link escapes the frontend base path")]
    OutsideBasePath,
    /// The link is a relative reference that does not start with `/`.
    #[error("link is not an absolute path")]
    NotAPath,
}

impl LinkResolver {
    /// Builds a resolver for a frontend base URL such as `https://hr.example.com/app`.
    ///
    /// A trailing slash on the base path is ignored.
    ///
    /// # Errors
    ///
    /// [`LinkError::InvalidBase`] if the base is not an absolute `http`/`https`
    /// URL with a host, or if it has userinfo, a query or a fragment.
    pub fn new(frontend_url: &Url) -> Result<Self, LinkError> {
        let invalid = |reason| Err(LinkError::InvalidBase { reason });
        if frontend_url.host_str().is_none_or(str::is_empty) {
            return invalid("missing host");
        }
        if !is_web_scheme(frontend_url.scheme()) {
            return invalid("scheme must be http or https");
        }
        if !frontend_url.username().is_empty() || frontend_url.password().is_some() {
            return invalid("must not contain userinfo");
        }
        if frontend_url.query().is_some() {
            return invalid("must not contain a query");
        }
        if frontend_url.fragment().is_some() {
            return invalid("must not contain a fragment");
        }
        let origin = frontend_url.origin();
        let base_path = frontend_url.path().trim_end_matches('/').to_owned();
        let base = format!("{}{}", origin.ascii_serialization(), base_path);
        Ok(Self {
            origin,
            base_path,
            base,
        })
    }

    /// The frontend base URL as configured, normalised and without a trailing
    /// slash on the path, e.g. `https://hr.example.com/app` or
    /// `http://localhost:3000`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Resolves `link` to an absolute URL string under the frontend base URL.
    ///
    /// * `/path?query#fragment` is appended to the base URL (base path kept).
    /// * An absolute `http`/`https` URL is accepted only if it has the
    ///   frontend's origin, no userinfo, and a path under the base path.
    /// * Everything else is refused, as are control or whitespace characters,
    ///   backslashes, scheme-relative links (`//host`), non-web schemes and dot
    ///   segments, also when hidden behind up to three rounds of
    ///   percent-encoding.
    ///
    /// ```text
    /// base https://hr.example.com/app
    /// /approvals/42           -> https://hr.example.com/app/approvals/42
    /// //evil.example          -> Err(SchemeRelative)
    /// /%2F/evil.example       -> Err(SchemeRelative)
    /// javascript:alert(1)     -> Err(DisallowedScheme)
    /// ```
    ///
    /// # Errors
    ///
    /// A [`LinkError`] naming the first reason the link was refused.
    pub fn resolve(&self, link: &str) -> Result<String, LinkError> {
        if link.trim().is_empty() {
            return Err(LinkError::Empty);
        }
        // Browsers strip leading and trailing spaces, changing what the link means.
        if link.starts_with(' ') || link.ends_with(' ') {
            return Err(LinkError::ControlCharacter);
        }
        for form in decoded_forms(link) {
            check_form(&form)?;
        }
        if link.starts_with('/') {
            self.verify(&format!("{}{}", self.base, link))
        } else if let Some((scheme, _)) = split_scheme(link) {
            if !is_web_scheme(scheme) {
                return Err(LinkError::DisallowedScheme);
            }
            self.verify(link)
        } else {
            Err(LinkError::NotAPath)
        }
    }

    /// Parses `candidate` and checks origin, userinfo and base path once more;
    /// returns the parsed URL's serialisation.
    fn verify(&self, candidate: &str) -> Result<String, LinkError> {
        let url = Url::parse(candidate).map_err(|_| LinkError::ForeignOrigin)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(LinkError::ForeignOrigin);
        }
        if url.origin() != self.origin {
            return Err(LinkError::ForeignOrigin);
        }
        if !self.covers(url.path()) {
            return Err(LinkError::OutsideBasePath);
        }
        Ok(url.into())
    }

    /// Whether `path` is the base path or below it, on a segment boundary.
    fn covers(&self, path: &str) -> bool {
        self.base_path.is_empty()
            || path
                .strip_prefix(self.base_path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// The link itself followed by its percent-decoded forms, up to
/// [`DECODE_ROUNDS`] rounds or until decoding no longer changes anything.
fn decoded_forms(link: &str) -> Vec<Cow<'_, str>> {
    let mut forms = Vec::with_capacity(DECODE_ROUNDS + 1);
    let mut current = Cow::Borrowed(link);
    for _ in 0..DECODE_ROUNDS {
        let next = percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if next == current {
            break;
        }
        forms.push(std::mem::replace(&mut current, Cow::Owned(next)));
    }
    forms.push(current);
    forms
}

/// Applies the per-form checks to the raw link or one of its decoded forms.
fn check_form(form: &str) -> Result<(), LinkError> {
    if form.chars().any(is_forbidden_char) {
        return Err(LinkError::ControlCharacter);
    }
    if form.contains('\\') {
        return Err(LinkError::Backslash);
    }
    if form.starts_with("//") {
        return Err(LinkError::SchemeRelative);
    }
    if split_scheme(form).is_some_and(|(scheme, _)| !is_web_scheme(scheme)) {
        return Err(LinkError::DisallowedScheme);
    }
    if path_part(form).split('/').any(is_dot_segment) {
        return Err(LinkError::OutsideBasePath);
    }
    Ok(())
}

/// Control characters (C0, DEL, C1), whitespace other than the plain space,
/// and invisible formatting characters (zero-width, bidi controls, BOM).
fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Splits `scheme:rest` if `s` starts with a syntactically valid URL scheme.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// Whether `scheme` is `http` or `https`, case-insensitively.
fn is_web_scheme(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

/// The path of `form`: without query and fragment, and without scheme and
/// authority if present.
fn path_part(form: &str) -> &str {
    let mut path = form.split(['?', '#']).next().unwrap_or_default();
    if let Some((_, rest)) = split_scheme(path) {
        path = rest;
    }
    match path.strip_prefix("//") {
        Some(authority_and_path) => authority_and_path
            .split_once('/')
            .map_or("", |(_, rest)| rest),
        None => path,
    }
}

/// Whether a path segment is `.` or `..`, also when percent-encoded.
fn is_dot_segment(segment: &str) -> bool {
    decoded_forms(segment)
        .iter()
        .any(|form| form == "." || form == "..")
}

/// Resolves the frontend link fields of a JSON body in place. `fields` are
/// JSON pointers (`/action_url`, `/actions/*/url`; `*` matches every element
/// of an array or value of an object). Absent and `null` fields are left
/// alone. On failure returns the pointer of the refused field and the reason.
pub(crate) fn resolve_json_fields(
    body: &[u8],
    fields: &[&str],
    resolver: &LinkResolver,
) -> Result<bytes::Bytes, (String, Option<BoxError>)> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| (String::new(), Some(Box::new(error) as BoxError)))?;
    for field in fields {
        let segments: Vec<&str> = field.split('/').skip(1).collect();
        resolve_at(&mut value, &segments, resolver)
            .map_err(|error| ((*field).to_owned(), error))?;
    }
    serde_json::to_vec(&value)
        .map(bytes::Bytes::from)
        .map_err(|error| (String::new(), Some(Box::new(error) as BoxError)))
}

fn resolve_at(
    value: &mut serde_json::Value,
    segments: &[&str],
    resolver: &LinkResolver,
) -> Result<(), Option<BoxError>> {
    use serde_json::Value;

    let Some((first, rest)) = segments.split_first() else {
        return match value {
            Value::String(link) => {
                *link = resolver
                    .resolve(link)
                    .map_err(|error| Some(Box::new(error) as BoxError))?;
                Ok(())
            }
            Value::Null => Ok(()),
            _ => Err(Some("a link field must be a string".into())),
        };
    };
    let key = first.replace("~1", "/").replace("~0", "~");
    match value {
        Value::Array(items) if key == "*" => items
            .iter_mut()
            .try_for_each(|item| resolve_at(item, rest, resolver)),
        Value::Object(map) if key == "*" => map
            .values_mut()
            .try_for_each(|item| resolve_at(item, rest, resolver)),
        Value::Object(map) => match map.get_mut(&key) {
            Some(child) => resolve_at(child, rest, resolver),
            None => Ok(()),
        },
        Value::Array(items) => match key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(child) => resolve_at(child, rest, resolver),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HR: &str = "https://hr.example.com/app";
    const HR_SLASH: &str = "https://hr.example.com/app/";
    const LOCAL: &str = "http://localhost:3000";

    use LinkError::{
        Backslash, ControlCharacter, DisallowedScheme, Empty, ForeignOrigin, NotAPath,
        OutsideBasePath, SchemeRelative,
    };

    type Case = (&'static str, &'static str, Result<&'static str, LinkError>);

    const CASES: &[Case] = &[
        // Accepted links.
        (
            HR,
            "/approvals/42",
            Ok("https://hr.example.com/app/approvals/42"),
        ),
        (
            LOCAL,
            "/approvals/42",
            Ok("http://localhost:3000/approvals/42"),
        ),
        (
            HR_SLASH,
            "/approvals/42",
            Ok("https://hr.example.com/app/approvals/42"),
        ),
        (HR, "/", Ok("https://hr.example.com/app/")),
        (
            HR,
            "/approvals/42?tab=history&x=1#comment-3",
            Ok("https://hr.example.com/app/approvals/42?tab=history&x=1#comment-3"),
        ),
        (LOCAL, "/a?b=c#d", Ok("http://localhost:3000/a?b=c#d")),
        (
            HR,
            "/résumé/ü",
            Ok("https://hr.example.com/app/r%C3%A9sum%C3%A9/%C3%BC"),
        ),
        (
            HR,
            "/files/my%20doc",
            Ok("https://hr.example.com/app/files/my%20doc"),
        ),
        (
            HR,
            "/x?next=../y",
            Ok("https://hr.example.com/app/x?next=../y"),
        ),
        (HR, "/apple", Ok("https://hr.example.com/app/apple")),
        (
            HR,
            "/time/12:30",
            Ok("https://hr.example.com/app/time/12:30"),
        ),
        (
            HR,
            "https://hr.example.com/app/x?y=1#z",
            Ok("https://hr.example.com/app/x?y=1#z"),
        ),
        (
            HR,
            "https://hr.example.com/app",
            Ok("https://hr.example.com/app"),
        ),
        (
            HR,
            "HTTPS://HR.EXAMPLE.COM/app/x",
            Ok("https://hr.example.com/app/x"),
        ),
        (
            HR,
            "https://hr.example.com:443/app/x",
            Ok("https://hr.example.com/app/x"),
        ),
        (
            LOCAL,
            "http://localhost:3000/any/where",
            Ok("http://localhost:3000/any/where"),
        ),
        // Same origin but outside the base path.
        (HR, "https://hr.example.com/apple", Err(OutsideBasePath)),
        (HR, "https://hr.example.com/admin", Err(OutsideBasePath)),
        (HR, "https://hr.example.com", Err(OutsideBasePath)),
        // Scheme-relative and backslash payloads.
        (HR, "//evil.example", Err(SchemeRelative)),
        (LOCAL, "//evil.example", Err(SchemeRelative)),
        (HR, "///evil.example", Err(SchemeRelative)),
        (HR, "/\\evil.example", Err(Backslash)),
        (HR, "\\\\evil.example", Err(Backslash)),
        (HR, "/\\/evil.example", Err(Backslash)),
        // Foreign origins.
        (HR, "http://other.host/x", Err(ForeignOrigin)),
        (HR, "https://evil.example", Err(ForeignOrigin)),
        (HR, "HTTPS://EVIL.EXAMPLE", Err(ForeignOrigin)),
        (
            HR,
            "https://hr.example.com@evil.example",
            Err(ForeignOrigin),
        ),
        (
            HR,
            "https://hr.example.com:pass@evil.example/",
            Err(ForeignOrigin),
        ),
        (HR, "https://user@hr.example.com/app/x", Err(ForeignOrigin)),
        (
            HR,
            "https://evil.example#@hr.example.com",
            Err(ForeignOrigin),
        ),
        (HR, "http://hr.example.com/app", Err(ForeignOrigin)),
        (HR, "https://hr.example.com:8443/app/x", Err(ForeignOrigin)),
        (LOCAL, "http://localhost:3001/x", Err(ForeignOrigin)),
        (LOCAL, "http://127.0.0.1:3000/x", Err(ForeignOrigin)),
        // Disallowed schemes.
        (HR, "javascript:alert(1)", Err(DisallowedScheme)),
        (HR, "JaVaScRiPt:alert(1)", Err(DisallowedScheme)),
        (HR, " javascript:alert(1)", Err(ControlCharacter)),
        (HR, "java\tscript:alert(1)", Err(ControlCharacter)),
        (HR, "%6a%61vascript:alert(1)", Err(DisallowedScheme)),
        (HR, "data:text/html,<script>", Err(DisallowedScheme)),
        (HR, "vbscript:msgbox", Err(DisallowedScheme)),
        (HR, "file:///etc/passwd", Err(DisallowedScheme)),
        (HR, "mailto:boss@hr.example.com", Err(DisallowedScheme)),
        (HR, "ftp://hr.example.com/app/x", Err(DisallowedScheme)),
        // Percent-encoded payloads.
        (HR, "%2F%2Fevil.example", Err(SchemeRelative)),
        (HR, "/%2F/evil.example", Err(SchemeRelative)),
        (HR, "/%2f%2fevil.example", Err(SchemeRelative)),
        (HR, "%252F%252Fevil.example", Err(SchemeRelative)),
        (HR, "/%5Cevil.example", Err(Backslash)),
        (HR, "/%5cevil.example", Err(Backslash)),
        (HR, "%5Cevil", Err(Backslash)),
        (HR, "/%09/evil.example", Err(ControlCharacter)),
        (HR, "/x%C2%85", Err(ControlCharacter)),
        (HR, "/x%E2%80%A8", Err(ControlCharacter)),
        // Control and whitespace characters.
        (HR, "/\t/evil.example", Err(ControlCharacter)),
        (HR, "/\n/evil.example", Err(ControlCharacter)),
        (HR, "/\r\n/evil.example", Err(ControlCharacter)),
        (HR, "/approvals/\u{2028}", Err(ControlCharacter)),
        (HR, "/x\u{0}", Err(ControlCharacter)),
        (HR, "/x\u{a0}y", Err(ControlCharacter)),
        (HR, "/x\u{feff}", Err(ControlCharacter)),
        (HR, "/x\u{85}", Err(ControlCharacter)),
        (HR, "/x\u{7f}", Err(ControlCharacter)),
        (HR, "/approvals/42 ", Err(ControlCharacter)),
        // Dot segments.
        (HR, "/../admin", Err(OutsideBasePath)),
        (HR, "/app/../../admin", Err(OutsideBasePath)),
        (HR, "/a/./b", Err(OutsideBasePath)),
        (HR, "/%2e%2e/admin", Err(OutsideBasePath)),
        (HR, "/.%2E/admin", Err(OutsideBasePath)),
        (HR, "/%252e%252e/admin", Err(OutsideBasePath)),
        (HR, "/a%3F/%2e%2e/%2e%2e/admin", Err(OutsideBasePath)),
        (LOCAL, "/..", Err(OutsideBasePath)),
        (
            HR,
            "https://hr.example.com/app/../admin",
            Err(OutsideBasePath),
        ),
        // Not a path.
        (HR, "approvals/42", Err(NotAPath)),
        (HR, "?next=x", Err(NotAPath)),
        (HR, "#x", Err(NotAPath)),
        // Empty.
        (HR, "", Err(Empty)),
        (HR, "   ", Err(Empty)),
    ];

    fn resolver(base: &str) -> LinkResolver {
        LinkResolver::new(&Url::parse(base).unwrap()).unwrap()
    }

    #[test]
    fn table() {
        assert!(CASES.len() >= 40);
        let mut failures = Vec::new();
        for (base, input, expected) in CASES {
            let actual = resolver(base).resolve(input);
            if actual.as_deref().map_err(Clone::clone) != *expected {
                failures.push(format!(
                    "{base} + {input:?}: expected {expected:?}, got {actual:?}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn base_is_normalised() {
        assert_eq!(resolver(HR).base(), "https://hr.example.com/app");
        assert_eq!(resolver(HR_SLASH).base(), "https://hr.example.com/app");
        assert_eq!(resolver(LOCAL).base(), "http://localhost:3000");
        assert_eq!(
            resolver("http://localhost:3000/").base(),
            "http://localhost:3000"
        );
        assert_eq!(
            resolver("HTTPS://HR.Example.COM:443/").base(),
            "https://hr.example.com"
        );
    }

    #[test]
    fn display_never_contains_link() {
        let mut seen = Vec::new();
        for (base, input, _) in CASES {
            if let Err(error) = resolver(base).resolve(input) {
                let message = error.to_string();
                if !input.trim().is_empty() {
                    assert!(!message.contains(input), "{message:?} contains {input:?}");
                }
                assert!(
                    message.starts_with(|c: char| c.is_ascii_lowercase()),
                    "{message:?}"
                );
                if !seen.contains(&error) {
                    seen.push(error);
                }
            }
        }
        // Every link-related variant is exercised by the table.
        assert_eq!(seen.len(), 8, "{seen:?}");
    }

    #[test]
    fn new_rejects_bad_bases() {
        for base in [
            "ftp://x",
            "https://user:pw@host",
            "https://user@host",
            "https://host/app?x=1",
            "https://host/app#f",
            "unix:/run/sock",
            "file:///srv/app",
        ] {
            let url = Url::parse(base).unwrap();
            let error = LinkResolver::new(&url).unwrap_err();
            assert!(
                matches!(error, LinkError::InvalidBase { .. }),
                "{base}: {error:?}"
            );
            let message = error.to_string();
            assert!(!message.contains(base), "{message:?} contains {base:?}");
        }
    }

    /// Property: whatever a link is made of, an accepted result keeps the
    /// frontend's origin and sits under its base path.
    #[test]
    fn every_accepted_link_stays_on_the_frontend() {
        const PARTS: &[&str] = &[
            "/",
            "//",
            "\\",
            "..",
            ".",
            "%2e",
            "%2E",
            "%2f",
            "%2F",
            "%5c",
            "%252f",
            "%09",
            "\t",
            "http:",
            "https://",
            "HTTPS://",
            "hr.example.com",
            "evil.example",
            "@",
            ":",
            "?",
            "#",
            "app",
            "apple",
            "approvals",
            "42",
            "javascript:",
            " ",
            "ü",
            "%00",
            ":443",
            ":8443",
        ];
        let base = Url::parse("https://hr.example.com/app").expect("valid base");
        let resolver = LinkResolver::new(&base).expect("valid resolver");
        let seed = fastrand::u64(..);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let link: String = (0..rng.usize(1..8))
                .map(|_| PARTS[rng.usize(..PARTS.len())])
                .collect();
            let Ok(resolved) = resolver.resolve(&link) else {
                continue;
            };
            accepted += 1;
            let url = Url::parse(&resolved)
                .unwrap_or_else(|e| panic!("seed {seed}: {link:?} -> {resolved:?}: {e}"));
            assert_eq!(url.scheme(), "https", "seed {seed}: {link:?} -> {resolved}");
            assert_eq!(
                url.host_str(),
                Some("hr.example.com"),
                "seed {seed}: {link:?} -> {resolved}"
            );
            assert_eq!(
                url.port_or_known_default(),
                Some(443),
                "seed {seed}: {link:?} -> {resolved}"
            );
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "seed {seed}: {link:?}"
            );
            assert!(
                url.path() == "/app" || url.path().starts_with("/app/"),
                "seed {seed}: {link:?} -> {resolved}"
            );
        }
        assert!(
            accepted > 100,
            "seed {seed}: only {accepted} links accepted; the property tested too little"
        );
    }
}
