//! A request a typed fake received, read against its operation: path
//! parameters matched in the URL template, each parameter and the body
//! read as the type the spec gives it. What does not read is a
//! [`Mismatch`] naming the parameter and why.

use std::fmt;

use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::values::{Node, Text};
use crate::transport::RecordedCall;

/// How a request differs from what the spec allows: a required parameter
/// missing, a value of the wrong type, a body its schema refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    message: String,
}

impl Mismatch {
    fn new(place: impl fmt::Display, problem: impl fmt::Display) -> Self {
        Self {
            message: format!("{place}: {problem}"),
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Mismatch {}

/// A received request, with its path parameters found and its query
/// parsed; generated fakes read their typed arguments from it.
#[derive(Debug)]
pub struct FakeRequest<'a> {
    call: &'a RecordedCall,
    path: Vec<(&'a str, String)>,
    query: Vec<(String, String)>,
}

impl<'a> FakeRequest<'a> {
    /// Reads `call` against the URL `template`; `query_names` lists the
    /// query parameters the operation declares (`None` when some are
    /// objects spread over several names, which cannot be listed).
    pub fn new(
        call: &'a RecordedCall,
        template: &'a str,
        query_names: Option<&[&str]>,
    ) -> Result<Self, Mismatch> {
        // A template may carry a literal query (`/items?action=archive`).
        let (path_template, literal_query) = template
            .split_once('?')
            .unwrap_or((template.split('#').next().unwrap_or(template), ""));
        let path = match_template(path_template, call.url.path()).ok_or_else(|| {
            Mismatch::new(
                "the path",
                format!("`{}` does not match `{path_template}`", call.url.path()),
            )
        })?;
        let literal_names: Vec<&str> = literal_query
            .split('#')
            .next()
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| pair.split('=').next())
            .collect();
        let query: Vec<(String, String)> = call
            .url
            .query_pairs()
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        // `page[number]` may be declared whole, `filter[role]` as `filter`.
        let declared = |names: &[&str], name: &str| {
            [name, base_name(name)]
                .iter()
                .any(|name| names.contains(name) || literal_names.contains(name))
        };
        if let Some(names) = query_names
            && let Some((name, _)) = query.iter().find(|(name, _)| !declared(names, name))
        {
            return Err(Mismatch::new(
                format!("query parameter `{name}`"),
                "the spec declares no such parameter",
            ));
        }
        Ok(Self { call, path, query })
    }

    /// The path parameter `name` (`simple` style).
    pub fn path<T: DeserializeOwned>(&self, name: &str, explode: bool) -> Result<T, Mismatch> {
        let node = self
            .path
            .iter()
            .find(|(key, _)| *key == name)
            .map_or(Node::Missing, |(_, value)| {
                Node::Text(Text::simple(value.clone(), explode))
            });
        read(node, format_args!("path parameter `{name}`"))
    }

    /// The query parameter `name` sent once, a list's items separated by
    /// `delimiter`.
    pub fn query<T: DeserializeOwned>(&self, name: &str, delimiter: char) -> Result<T, Mismatch> {
        let node =
            self.query
                .iter()
                .find(|(key, _)| key == name)
                .map_or(Node::Missing, |(_, value)| {
                    Node::Text(Text {
                        text: value.clone(),
                        delimiter: Some(delimiter),
                        explode: false,
                        guess: true,
                    })
                });
        read(node, format_args!("query parameter `{name}`"))
    }

    /// The query parameter `name` sent once per item (exploded `form`).
    pub fn query_exploded<T: DeserializeOwned>(&self, name: &str) -> Result<T, Mismatch> {
        let items: Vec<Node> = self
            .query
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| Text::item(value))
            .collect();
        let node = if items.is_empty() {
            Node::Empty
        } else {
            Node::List(items)
        };
        read(node, format_args!("query parameter `{name}`"))
    }

    /// The query parameter `name` written with brackets
    /// (`name[key][sub]=v`, `deepObject`).
    pub fn query_deep<T: DeserializeOwned>(&self, name: &str) -> Result<T, Mismatch> {
        let mut tree = Vec::new();
        for (key, value) in &self.query {
            let mut keys = bracket_keys(key);
            if keys.first() == Some(&name) && keys.len() > 1 {
                keys.remove(0);
                insert(&mut tree, &keys, value);
            }
        }
        let node = if tree.is_empty() {
            Node::Empty
        } else {
            Node::Map(tree)
        };
        read(node, format_args!("query parameter `{name}`"))
    }

    /// An object query parameter spread over the query, each property its
    /// own parameter (exploded `form`): what the operation's `others`
    /// parameters do not take.
    pub fn query_object<T: DeserializeOwned>(
        &self,
        name: &str,
        others: &[&str],
    ) -> Result<T, Mismatch> {
        let pairs: Vec<(String, Node)> = self
            .query
            .iter()
            .filter(|(key, _)| !others.contains(&base_name(key)))
            .map(|(key, value)| (key.clone(), Node::Text(Text::simple(value.clone(), false))))
            .collect();
        let node = if pairs.is_empty() {
            Node::Empty
        } else {
            Node::Map(pairs)
        };
        read(node, format_args!("query parameter `{name}`"))
    }

    /// The header `name` (`simple` style).
    pub fn header<T: DeserializeOwned>(&self, name: &str, explode: bool) -> Result<T, Mismatch> {
        let node = self.call.headers.get(name).map_or(Node::Missing, |value| {
            Node::Text(Text::simple(value, explode))
        });
        read(node, format_args!("header `{name}`"))
    }

    /// The cookie `name` (its value percent-decoded, as the client encodes
    /// it).
    pub fn cookie<T: DeserializeOwned>(&self, name: &str, explode: bool) -> Result<T, Mismatch> {
        let value = self
            .call
            .headers
            .get("cookie")
            .into_iter()
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| percent_decode_str(value).decode_utf8_lossy().into_owned());
        let node = value.map_or(Node::Missing, |value| {
            Node::Text(Text::simple(value, explode))
        });
        read(node, format_args!("cookie `{name}`"))
    }

    /// The JSON body (`Option` when the body is optional).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Mismatch> {
        if !self.has_body() {
            return read(Node::Missing, "the body");
        }
        serde_json::from_slice(&self.call.body).map_err(|error| Mismatch::new("the body", error))
    }

    /// The `application/x-www-form-urlencoded` body.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, Mismatch> {
        if !self.has_body() {
            return read(Node::Missing, "the body");
        }
        let mut tree = Vec::new();
        for (key, value) in url::form_urlencoded::parse(&self.call.body) {
            insert(&mut tree, &bracket_keys(&key), &value);
        }
        read(Node::Map(tree), "the body")
    }

    /// The text body.
    pub fn text<T: DeserializeOwned>(&self) -> Result<T, Mismatch> {
        if !self.has_body() {
            return read(Node::Missing, "the body");
        }
        let text = std::str::from_utf8(&self.call.body)
            .map_err(|_| Mismatch::new("the body", "it is not UTF-8 text"))?;
        read(Text::item(text), "the body")
    }

    /// The body's bytes, as sent (empty when there is none or it was
    /// streamed).
    pub fn bytes(&self) -> Bytes {
        self.call.body.clone()
    }

    /// `value`, a parameter read at `place`, checked against its bundled
    /// schema (the constraints its type cannot hold); an absent value
    /// passes.
    pub fn checked<T: serde::Serialize>(
        &self,
        value: T,
        bundle: &str,
        place: &str,
    ) -> Result<T, Mismatch> {
        // Through text, as on the wire: an `f32` keeps its shortest form.
        let json = serde_json::to_string(&value)
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text));
        let (Ok(json), Ok(bundle)) = (json, serde_json::from_str::<serde_json::Value>(bundle))
        else {
            return Ok(value);
        };
        if json.is_null() {
            return Ok(value);
        }
        match super::schema::check(&json, &bundle) {
            Ok(()) => Ok(value),
            Err(rule) => Err(Mismatch::new(
                place,
                rule.strip_prefix("at `/`: ").unwrap_or(&rule),
            )),
        }
    }

    /// Checks a JSON body against its bundled schema (see
    /// [`FakeOperation::body_schema`](super::FakeOperation::body_schema)).
    pub(crate) fn check_body(&self, bundle: &str) -> Result<(), Mismatch> {
        let is_json = self
            .call
            .headers
            .get("content-type")
            .is_some_and(|kind| kind.contains("json"));
        if !is_json || self.call.body.is_empty() {
            return Ok(());
        }
        let (Ok(body), Ok(bundle)) = (
            serde_json::from_slice::<serde_json::Value>(&self.call.body),
            serde_json::from_str::<serde_json::Value>(bundle),
        ) else {
            return Ok(());
        };
        super::schema::check(&body, &bundle).map_err(|rule| Mismatch::new("the body", rule))
    }

    /// Whether a body was sent: the runtime labels every body it sends.
    fn has_body(&self) -> bool {
        !self.call.body.is_empty() || self.call.headers.get("content-type").is_some()
    }
}

/// `node` as `T`, or what refused it, at `place`. A type that does not say
/// what it wants (an untagged union, an enum with a fallback variant) is
/// first offered numbers and booleans where the text reads as one, then,
/// when that finds no match, the text itself.
fn read<T: DeserializeOwned>(node: Node, place: impl fmt::Display) -> Result<T, Mismatch> {
    let strings = node.as_strings();
    T::deserialize(node)
        .or_else(|error| T::deserialize(strings).map_err(|_| error))
        .map_err(|error| Mismatch::new(place, error))
}

/// A query parameter's name without its brackets (`filter[role]`).
fn base_name(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// `a[b][c]` as `["a", "b", "c"]`.
fn bracket_keys(key: &str) -> Vec<&str> {
    let (first, rest) = key.split_once('[').unwrap_or((key, ""));
    let mut keys = vec![first];
    keys.extend(
        rest.split('[')
            .map(|part| part.trim_end_matches(']'))
            .filter(|part| !part.is_empty()),
    );
    keys
}

/// Puts `value` in `tree` at `keys`.
fn insert(tree: &mut Vec<(String, Node)>, keys: &[&str], value: &str) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        tree.push(((*first).to_owned(), Text::item(value)));
        return;
    }
    let index = match tree.iter().position(|(key, _)| key == first) {
        Some(index) => index,
        None => {
            tree.push(((*first).to_owned(), Node::Map(Vec::new())));
            tree.len() - 1
        }
    };
    if let Some((_, Node::Map(inner))) = tree.get_mut(index) {
        insert(inner, rest, value);
    }
}

/// The parameters of `template` in `path` (which may start with the base
/// URL's own path), decoded; `None` when the path does not match.
fn match_template<'t>(template: &'t str, path: &str) -> Option<Vec<(&'t str, String)>> {
    let pieces = pieces(template);
    let starts = path.char_indices().filter(|(_, c)| *c == '/');
    starts
        .map(|(start, _)| start)
        .find_map(|start| match_pieces(&pieces, path.get(start..)?))
}

/// A template piece: literal text, or a parameter's name.
#[derive(Debug)]
enum Piece<'t> {
    Literal(&'t str),
    Param(&'t str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|close| open + close) else {
            break;
        };
        if open > 0 {
            pieces.push(Piece::Literal(&rest[..open]));
        }
        pieces.push(Piece::Param(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    pieces
}

fn match_pieces<'t>(pieces: &[Piece<'t>], mut path: &str) -> Option<Vec<(&'t str, String)>> {
    let mut values = Vec::new();
    for (index, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(literal) => path = path.strip_prefix(literal)?,
            Piece::Param(name) => {
                let end = match pieces.get(index + 1) {
                    Some(Piece::Literal(next)) => path.find(next)?,
                    _ => path.len(),
                };
                let raw = &path[..end];
                if raw.is_empty() || raw.contains('/') {
                    return None;
                }
                let value = percent_decode_str(raw).decode_utf8().ok()?;
                values.push((*name, value.into_owned()));
                path = &path[end..];
            }
        }
    }
    path.is_empty().then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Headers, Method};

    fn call(url: &str, cookie: Option<&str>) -> RecordedCall {
        let mut headers = Headers::new();
        if let Some(cookie) = cookie {
            let _ = headers.insert("cookie", cookie);
        }
        RecordedCall {
            service: "s",
            operation: "op",
            method: Method::Get,
            url: url::Url::parse(url).unwrap_or_else(|_| unreachable!()),
            headers,
            body: Bytes::new(),
        }
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    enum Level {
        #[serde(rename = "1")]
        One,
        #[serde(rename = "true")]
        Yes,
        #[serde(untagged)]
        Unknown(String),
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(untagged)]
    enum Tag {
        Text(String),
        Texts(Vec<String>),
    }

    #[test]
    fn text_that_reads_as_a_number_stays_text_where_the_type_wants_text() {
        let level = |text: &str| read::<Level>(Text::item(text), "level");
        assert_eq!(level("1"), Ok(Level::One));
        assert_eq!(level("true"), Ok(Level::Yes));
        assert_eq!(level("2.5"), Ok(Level::Unknown("2.5".to_owned())));
        let tag = |text: &str| read::<Tag>(Node::Text(Text::simple(text, false)), "tag");
        assert_eq!(tag("42"), Ok(Tag::Text("42".to_owned())));
        assert_eq!(
            tag("7,true"),
            Ok(Tag::Texts(vec!["7".to_owned(), "true".to_owned()]))
        );
    }

    #[test]
    fn literal_queries_and_bracketed_names_are_declared() {
        let template = "/items/{id}?action=archive";
        let declared: &[&str] = &["page[number]", "filter"];
        let sent = call(
            "http://h/api/items/7?action=archive&page%5Bnumber%5D=2&filter%5Brole%5D=x",
            None,
        );
        let request = FakeRequest::new(&sent, template, Some(declared));
        let id: Result<u32, Mismatch> = request.and_then(|request| request.path("id", false));
        assert_eq!(id, Ok(7));
        let stray = call("http://h/items/7?action=archive&x=1", None);
        let refused = FakeRequest::new(&stray, template, Some(declared)).err();
        assert_eq!(
            refused.map(|mismatch| mismatch.to_string()).as_deref(),
            Some("query parameter `x`: the spec declares no such parameter")
        );
    }

    #[test]
    fn cookies_are_decoded_and_nothing_sent_reads_as_an_empty_list() {
        let sent = call("http://h/x", Some("other=1; session=a%20b%3Bc"));
        let request = FakeRequest::new(&sent, "/x", Some(&[]));
        let session: Result<String, Mismatch> = request
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|request| request.cookie("session", false));
        assert_eq!(session.as_deref(), Ok("a b;c"));
        let tags: Result<Vec<String>, Mismatch> = request
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|request| request.query_exploded("tag"));
        assert_eq!(tags, Ok(Vec::new()));
        let absent: Result<Option<Vec<String>>, Mismatch> = request
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|request| request.query_exploded("tag"));
        assert_eq!(absent, Ok(None));
    }

    #[test]
    fn templates_match_after_the_base_path() {
        let found = match_template("/wallets/{id}/debits", "/api/v1/wallets/E%2F1/debits");
        assert_eq!(found, Some(vec![("id", "E/1".to_owned())]));
        let found = match_template("/files/{name}.{ext}", "/files/report.pdf");
        assert_eq!(
            found,
            Some(vec![
                ("name", "report".to_owned()),
                ("ext", "pdf".to_owned())
            ])
        );
        assert_eq!(match_template("/users/{id}", "/users/7/roles"), None);
        assert_eq!(match_template("/users/{id}", "/users/"), None);
        assert_eq!(match_template("/health", "/health"), Some(Vec::new()));
    }

    #[test]
    fn bracket_keys_split_at_each_level() {
        assert_eq!(bracket_keys("filter[role][0]"), ["filter", "role", "0"]);
        assert_eq!(bracket_keys("plain"), ["plain"]);
    }
}
