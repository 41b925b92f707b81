//! Which list operations page, and how: declared with the `x-pagination`
//! extension (or an overlay that adds it), or recognised from the shapes
//! real APIs use. What is found here is what the runtime's
//! `pagination::PageScheme` reads.
//!
//! `x-pagination` on an operation:
//!
//! ```yaml
//! x-pagination:
//!   scheme: cursor        # cursor | last-item | next-url | link | offset | page
//!   param: cursor         # the query parameter that carries the position
//!   cursor: /next_cursor  # cursor: where the next cursor is (a JSON pointer)
//!   id: /id               # last-item: where an item's id is
//!   has-more: /has_more   # cursor (optional), last-item: the "more pages" flag
//!   next: /next           # next-url: where the next page's URL is
//!   first: 1              # page: the first page's number
//!   items: /data          # where the items are ("" when the body is the array)
//! ```
//!
//! Recognised without it, on a GET whose 200 answer is a list: a `Link`
//! response header with a `page` parameter (GitHub); `starting_after` with
//! `has_more` and `data` (Stripe); a cursor parameter (`cursor`, `after`,
//! `page_token`, ...) with a next-cursor property; a `next` URL property;
//! an `offset` parameter; a `page` parameter.

use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::spec::{At, resolve};

/// Where a list's next page is (the runtime's `PageScheme`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// A cursor from the body, sent back as `param`.
    Cursor {
        /// The query parameter.
        param: String,
        /// The next cursor's JSON pointer.
        cursor: String,
        /// The "more pages" flag's JSON pointer, if any.
        has_more: Option<String>,
    },
    /// The last item's id sent back as `param`, while `has_more`.
    LastItem {
        /// The query parameter.
        param: String,
        /// The id's JSON pointer within an item.
        id: String,
        /// The "more pages" flag's JSON pointer.
        has_more: String,
    },
    /// A next-page URL in the body.
    NextUrl {
        /// Its JSON pointer.
        next: String,
    },
    /// The `Link` header's `rel="next"`.
    LinkHeader,
    /// An offset advanced by the items read.
    Offset {
        /// The query parameter.
        param: String,
    },
    /// A page number counting from `first`.
    PageNumber {
        /// The query parameter.
        param: String,
        /// The first page's number.
        first: u64,
    },
}

impl Scheme {
    /// A short name, as `x-pagination`'s `scheme` writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Cursor { .. } => "cursor",
            Self::LastItem { .. } => "last-item",
            Self::NextUrl { .. } => "next-url",
            Self::LinkHeader => "link",
            Self::Offset { .. } => "offset",
            Self::PageNumber { .. } => "page",
        }
    }
}

/// How one operation pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paging {
    /// Where the items are in a page's body.
    pub items: String,
    /// Where the next page is.
    pub scheme: Scheme,
    /// Declared with `x-pagination` (rather than recognised).
    pub declared: bool,
}

/// Query parameters that carry a cursor.
const CURSOR_PARAMS: &[&str] = &[
    "cursor",
    "after",
    "page_token",
    "pageToken",
    "next_token",
    "nextToken",
    "continuation_token",
    "continuationToken",
    "starting_token",
    "page_cursor",
    // A `page` that takes an opaque token the body hands out (Stripe's
    // search, `next_page`): a cursor, not a page number.
    "page",
];

/// Body properties that hold the next cursor.
const CURSOR_FIELDS: &[&str] = &[
    "next_cursor",
    "nextCursor",
    "next_page_token",
    "nextPageToken",
    "next_token",
    "nextToken",
    "cursor",
    "continuation_token",
    "end_cursor",
    "last_id",
    "next_page",
    // Last: with a cursor parameter, `next` is the cursor (OpenAI's
    // groups); without one, a next-page URL (Spotify).
    "next",
];

/// Body properties that hold the next page's URL.
const NEXT_FIELDS: &[&str] = &["next", "next_page_url", "nextUrl", "next_url"];

/// Body properties that hold the items, most usual first.
const ITEM_FIELDS: &[&str] = &["data", "items", "results", "records", "entries", "values"];

/// How the operation at `operation` pages, if it does; a malformed
/// `x-pagination` is a diagnostic.
pub fn detect(
    root: &Value,
    operation: &At<'_>,
    method: &str,
) -> Result<Option<Paging>, Diagnostic> {
    if let Some(declared) = operation.get("x-pagination") {
        return declared_paging(&declared).map(Some);
    }
    if method != "get" {
        return Ok(None);
    }
    let params = query_params(root, operation);
    let has = |name: &str| params.iter().any(|param| param == name);
    let Some(response) = ok_response(root, operation) else {
        return Ok(None);
    };
    let Some(body) = json_schema(root, &response) else {
        return Ok(None);
    };
    let Some(items) = items_pointer(root, &body) else {
        return Ok(None);
    };
    let property = |name: &str| {
        properties(root, &body)
            .into_iter()
            .find(|(key, _)| *key == name)
            .map(|(_, schema)| schema)
    };
    let link_header = response
        .entries("headers")
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("link"));
    let scheme = if link_header && has("page") {
        Scheme::LinkHeader
    } else if has("starting_after") && property("has_more").is_some() {
        Scheme::LastItem {
            param: "starting_after".to_owned(),
            id: "/id".to_owned(),
            has_more: "/has_more".to_owned(),
        }
    } else if let (Some(param), Some(field)) = (
        CURSOR_PARAMS.iter().find(|name| has(name)),
        CURSOR_FIELDS.iter().find(|name| {
            property(name).is_some_and(|schema| **name != "next" || !names_a_url(&schema))
        }),
    ) {
        Scheme::Cursor {
            param: (*param).to_owned(),
            cursor: format!("/{field}"),
            has_more: property("has_more").map(|_| "/has_more".to_owned()),
        }
    } else if let Some(name) = NEXT_FIELDS
        .iter()
        .find(|name| property(name).is_some_and(|schema| is_string(root, &schema)))
    {
        Scheme::NextUrl {
            next: format!("/{name}"),
        }
    } else if has("offset") {
        Scheme::Offset {
            param: "offset".to_owned(),
        }
    } else if has("page") {
        Scheme::PageNumber {
            param: "page".to_owned(),
            first: 1,
        }
    } else {
        return Ok(None);
    };
    Ok(Some(Paging {
        items,
        scheme,
        declared: false,
    }))
}

/// An operation's `x-pagination`, checked.
fn declared_paging(declared: &At<'_>) -> Result<Paging, Diagnostic> {
    let text = |key: &str| declared.str(key).map(str::to_owned);
    let required = |key: &str| {
        text(key).ok_or_else(|| {
            Diagnostic::error(
                declared.pointer(),
                format!("`x-pagination` needs `{key}` for its scheme"),
                "see the generator's paging docs for each scheme's keys",
            )
        })
    };
    let scheme = match declared.str("scheme") {
        Some("cursor") => Scheme::Cursor {
            param: required("param")?,
            cursor: required("cursor")?,
            has_more: text("has-more"),
        },
        Some("last-item") => Scheme::LastItem {
            param: required("param")?,
            id: text("id").unwrap_or_else(|| "/id".to_owned()),
            has_more: required("has-more")?,
        },
        Some("next-url") => Scheme::NextUrl {
            next: required("next")?,
        },
        Some("link") => Scheme::LinkHeader,
        Some("offset") => Scheme::Offset {
            param: required("param")?,
        },
        Some("page") => Scheme::PageNumber {
            param: required("param")?,
            first: declared
                .get("first")
                .and_then(|first| first.value.as_u64())
                .unwrap_or(1),
        },
        other => {
            return Err(Diagnostic::error(
                declared.pointer(),
                format!("`x-pagination` has an unknown scheme {other:?}"),
                "use cursor, last-item, next-url, link, offset or page",
            ));
        }
    };
    Ok(Paging {
        items: text("items").unwrap_or_default(),
        scheme,
        declared: true,
    })
}

/// The names of the operation's query parameters (its path item's too).
fn query_params(root: &Value, operation: &At<'_>) -> Vec<String> {
    operation
        .items("parameters")
        .into_iter()
        .filter_map(|param| resolve(root, param).ok())
        .filter(|param| param.str("in") == Some("query"))
        .filter_map(|param| param.str("name").map(str::to_owned))
        .collect()
}

/// The operation's 200 (or first 2xx) response, resolved.
fn ok_response<'a>(root: &'a Value, operation: &At<'a>) -> Option<At<'a>> {
    let responses = operation.entries("responses");
    let (_, response) = responses
        .iter()
        .find(|(status, _)| *status == "200")
        .or_else(|| responses.iter().find(|(status, _)| status.starts_with('2')))?;
    resolve(root, response.clone()).ok()
}

/// A response's JSON schema, resolved.
fn json_schema<'a>(root: &'a Value, response: &At<'a>) -> Option<At<'a>> {
    let (_, content) = response
        .entries("content")
        .into_iter()
        .find(|(media, _)| media.contains("json"))?;
    resolve(root, content.get("schema")?).ok()
}

/// Where the items are: `""` for an array body, else the one array
/// property (a usual name first).
fn items_pointer(root: &Value, body: &At<'_>) -> Option<String> {
    if body.str("type") == Some("array") {
        return Some(String::new());
    }
    let arrays: Vec<&str> = properties(root, body)
        .into_iter()
        .filter(|(_, schema)| schema.str("type") == Some("array"))
        .map(|(name, _)| name)
        .collect();
    let chosen = ITEM_FIELDS
        .iter()
        .find(|name| arrays.contains(name))
        .copied()
        .or_else(|| (arrays.len() == 1).then(|| arrays[0]))?;
    Some(format!("/{chosen}"))
}

/// A schema's properties, resolved, `allOf` members' included.
fn properties<'a>(root: &'a Value, schema: &At<'a>) -> Vec<(&'a str, At<'a>)> {
    let mut found: Vec<(&'a str, At<'a>)> = schema
        .entries("properties")
        .into_iter()
        .filter_map(|(name, property)| Some((name, resolve(root, property).ok()?)))
        .collect();
    for member in schema.items("allOf") {
        if let Ok(member) = resolve(root, member) {
            found.extend(
                member
                    .entries("properties")
                    .into_iter()
                    .filter_map(|(name, property)| Some((name, resolve(root, property).ok()?))),
            );
        }
    }
    found
}

/// Whether a string property holds a URL: its format or its description
/// says so.
fn names_a_url(schema: &At<'_>) -> bool {
    let description = schema
        .str("description")
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(schema.str("format"), Some("uri" | "url"))
        || description.contains("url")
        || description.contains("link")
}

/// Whether a schema is a string (or a nullable one).
fn is_string(root: &Value, schema: &At<'_>) -> bool {
    match &schema.value.get("type") {
        Some(Value::String(kind)) => kind == "string",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "string"),
        _ => schema
            .items("anyOf")
            .into_iter()
            .filter_map(|member| resolve(root, member).ok())
            .any(|member| member.str("type") == Some("string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_in(yaml: &str) -> Result<Option<Paging>, Diagnostic> {
        let root: Value = serde_yaml_ng::from_str(yaml).unwrap();
        let operation = At::root(&root)
            .get("paths")
            .unwrap()
            .get("/items")
            .unwrap()
            .get("get")
            .unwrap();
        detect(&root, &operation, "get")
    }

    fn scheme(yaml: &str) -> Option<(String, Scheme)> {
        detect_in(yaml)
            .unwrap()
            .map(|paging| (paging.items, paging.scheme))
    }

    const LIST: &str = "
paths:
  /items:
    get:
      parameters: [PARAMS]
      responses:
        '200':
          HEADERS
          content:
            application/json:
              schema: BODY
";

    fn list(params: &str, headers: &str, body: &str) -> String {
        LIST.replace("PARAMS", params)
            .replace("HEADERS", headers)
            .replace("BODY", body)
    }

    #[test]
    fn the_shapes_real_apis_use_are_recognised() {
        let github = list(
            "{name: per_page, in: query}, {name: page, in: query}",
            "headers: {Link: {schema: {type: string}}}",
            "{type: array, items: {type: object}}",
        );
        assert_eq!(scheme(&github), Some((String::new(), Scheme::LinkHeader)));
        let stripe = list(
            "{name: limit, in: query}, {name: starting_after, in: query}",
            "description: ok",
            "{type: object, properties: {data: {type: array}, has_more: {type: boolean}, object: {type: string}}}",
        );
        assert!(
            matches!(scheme(&stripe), Some((items, Scheme::LastItem { .. })) if items == "/data")
        );
        let cursor = list(
            "{name: cursor, in: query}",
            "description: ok",
            "{type: object, properties: {results: {type: array}, next_cursor: {type: string}}}",
        );
        assert_eq!(
            scheme(&cursor),
            Some((
                "/results".to_owned(),
                Scheme::Cursor {
                    param: "cursor".into(),
                    cursor: "/next_cursor".into(),
                    has_more: None
                }
            ))
        );
        let next = list(
            "{name: limit, in: query}",
            "description: ok",
            "{type: object, properties: {items: {type: array}, next: {type: [string, 'null']}}}",
        );
        assert_eq!(
            scheme(&next),
            Some((
                "/items".to_owned(),
                Scheme::NextUrl {
                    next: "/next".into()
                }
            ))
        );
        let offset = list(
            "{name: offset, in: query}, {name: limit, in: query}",
            "description: ok",
            "{type: array}",
        );
        assert!(matches!(scheme(&offset), Some((_, Scheme::Offset { .. }))));
        let plain = list("{name: q, in: query}", "description: ok", "{type: array}");
        assert_eq!(scheme(&plain), None);
        let object = list(
            "{name: page, in: query}",
            "description: ok",
            "{type: object, properties: {id: {type: string}}}",
        );
        assert_eq!(scheme(&object), None, "no items: not a list");
    }

    #[test]
    fn x_pagination_is_read_and_checked() {
        let declared = "
paths:
  /items:
    get:
      x-pagination: {scheme: cursor, param: after, cursor: /meta/next, items: /entries}
      responses: {'200': {description: ok}}
";
        let paging = detect_in(declared).unwrap().unwrap();
        assert!(paging.declared);
        assert_eq!(paging.items, "/entries");
        assert_eq!(paging.scheme.name(), "cursor");
        let broken = declared.replace("cursor, param: after, ", "cursor, ");
        let error = detect_in(&broken).unwrap_err();
        assert!(error.to_string().contains("needs `param`"), "{error}");
        let unknown = declared.replace("scheme: cursor", "scheme: magic");
        assert!(detect_in(&unknown).is_err());
    }
}
