//! Lists read page after page: the scheme says where the next page is
//! (a cursor or the last item's id in the body, a next-page URL in the body
//! or in an RFC 8288 `Link` header, an offset, a page number), every page
//! goes through the whole call path (retries, breaker, budget), and the
//! guards stop a list that would not end: at most `max_pages` pages and
//! `max_items` items, and a next page that repeats one already read is an
//! error (`Decode(PageLoop)`). A next-page URL on another origin than the
//! service's is refused (`Decode(ForeignPage)`): credentials stay home.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{DecodeReason, MicroserviceError};
use crate::request::Request;
use crate::response::Response;
use crate::session::ServiceClient;

/// Where a list's next page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageScheme {
    /// A cursor in the body (JSON pointer `cursor`, e.g. `/next_cursor`),
    /// sent back as the query parameter `param`; the list ends when the
    /// cursor is absent, `null` or empty, or `has_more` (a pointer) is false.
    Cursor {
        /// The query parameter that takes the cursor.
        param: &'static str,
        /// Where the next cursor is in the body.
        cursor: &'static str,
        /// Where a "more pages" flag is in the body, if the API has one.
        has_more: Option<&'static str>,
    },
    /// The last item's id sent back as `param` (Stripe's `starting_after`),
    /// while `has_more` (a pointer) is true.
    LastItem {
        /// The query parameter that takes the id.
        param: &'static str,
        /// Where the id is in an item, e.g. `/id`.
        id: &'static str,
        /// Where the "more pages" flag is in the body.
        has_more: &'static str,
    },
    /// A next-page URL in the body (a pointer such as `/next`).
    NextUrl {
        /// Where the URL is in the body.
        next: &'static str,
    },
    /// The `Link` header's `rel="next"` URL (GitHub).
    LinkHeader,
    /// An offset query parameter, advanced by the items read; the list
    /// ends on a page without items.
    Offset {
        /// The query parameter that takes the offset.
        param: &'static str,
    },
    /// A page number query parameter counting from `first`; the list ends on
    /// a page without items.
    PageNumber {
        /// The query parameter that takes the page number.
        param: &'static str,
        /// The first page's number (usually 1).
        first: u64,
    },
}

/// How to read one list operation's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// Where the items are in a page's body (a JSON pointer; `""` when the
    /// body is the array).
    pub items: &'static str,
    /// Where the next page is.
    pub scheme: PageScheme,
}

/// Limits on how much of a list is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimits {
    /// Pages read at most.
    pub max_pages: u32,
    /// Items read at most (a page is read whole, so the last page may pass
    /// it; [`Items`] stops at it exactly).
    pub max_items: u64,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            max_pages: 1_000,
            max_items: 100_000,
        }
    }
}

/// A list read page by page; [`next`](Self::next) gives each page.
pub struct Pages {
    client: ServiceClient,
    paging: Paging,
    limits: PageLimits,
    /// The next page's request, `None` once the list ended.
    next: Option<Request>,
    /// Every cursor, URL, offset or page number followed so far.
    seen: BTreeSet<String>,
    pages: u32,
    items: u64,
}

impl ServiceClient {
    /// The pages of the list `request` asks for, read as `paging` says.
    pub fn pages(&self, request: Request, paging: Paging, limits: PageLimits) -> Pages {
        Pages {
            client: self.clone(),
            paging,
            limits,
            next: Some(request),
            seen: BTreeSet::new(),
            pages: 0,
            items: 0,
        }
    }
}

impl Pages {
    /// The same list, read within `limits` instead.
    pub fn limits(mut self, limits: PageLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The next page's response; `None` once the list ended or a limit was
    /// reached. An error ends the list.
    pub async fn next(&mut self) -> Option<Result<Page, MicroserviceError>> {
        if self.pages >= self.limits.max_pages || self.items >= self.limits.max_items {
            return None;
        }
        let request = self.next.take()?;
        let outcome = self.read(request).await;
        if outcome.is_err() {
            self.next = None;
        }
        Some(outcome)
    }

    /// Reads one page and works out the next one.
    async fn read(&mut self, request: Request) -> Result<Page, MicroserviceError> {
        let response = self.client.execute(request.clone()).await?;
        let body: Value = response.json()?;
        let items = match body.pointer(self.paging.items) {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        self.pages += 1;
        self.items += items.len() as u64;
        let next = self.following(request, &response, &body, &items)?;
        self.next = next;
        Ok(Page { response, items })
    }

    /// The request of the page after this one, if there is one.
    fn following(
        &mut self,
        request: Request,
        response: &Response,
        body: &Value,
        items: &[Value],
    ) -> Result<Option<Request>, MicroserviceError> {
        let more = |pointer: &str| body.pointer(pointer).and_then(Value::as_bool);
        let (key, next) = match self.paging.scheme {
            PageScheme::Cursor {
                param,
                cursor,
                has_more,
            } => {
                let cursor = body
                    .pointer(cursor)
                    .and_then(text)
                    .filter(|c| !c.is_empty());
                match cursor {
                    Some(cursor) if has_more.and_then(more) != Some(false) => {
                        (cursor.clone(), request.set_query(param, cursor))
                    }
                    _ => return Ok(None),
                }
            }
            PageScheme::LastItem {
                param,
                id,
                has_more,
            } => {
                let last = items
                    .last()
                    .and_then(|item| item.pointer(id))
                    .and_then(text);
                match last {
                    Some(last) if more(has_more) == Some(true) => {
                        (last.clone(), request.set_query(param, last))
                    }
                    _ => return Ok(None),
                }
            }
            PageScheme::NextUrl { next } => {
                match body
                    .pointer(next)
                    .and_then(Value::as_str)
                    .filter(|url| !url.is_empty())
                {
                    Some(url) => self.at(request, response, url)?,
                    None => return Ok(None),
                }
            }
            PageScheme::LinkHeader => match next_link(response.headers().get_all("link")) {
                Some(url) => self.at(request, response, &url)?,
                None => return Ok(None),
            },
            PageScheme::Offset { param } if !items.is_empty() => {
                let offset = query_number(&request, param).unwrap_or(0) + items.len() as u64;
                (offset.to_string(), request.set_query(param, offset))
            }
            PageScheme::PageNumber { param, first } if !items.is_empty() => {
                let page = query_number(&request, param).unwrap_or(first) + 1;
                (page.to_string(), request.set_query(param, page))
            }
            PageScheme::Offset { .. } | PageScheme::PageNumber { .. } => return Ok(None),
        };
        if !self.seen.insert(key) {
            return Err(page_error(response, DecodeReason::PageLoop));
        }
        Ok(Some(next))
    }

    /// The request for the next page at `url` (relative to this page's),
    /// refused when it leaves the service's origin.
    fn at(
        &self,
        request: Request,
        response: &Response,
        url: &str,
    ) -> Result<(String, Request), MicroserviceError> {
        let base = &self.client.state.base;
        let next = base
            .join(url)
            .map_err(|_| page_error(response, DecodeReason::Json))?;
        if next.origin() != base.origin() {
            return Err(page_error(response, DecodeReason::ForeignPage));
        }
        Ok((next.to_string(), request.at_url(next)))
    }

    /// Every item of every page, each decoded as `T`, up to the limits.
    pub fn items<T: DeserializeOwned>(self) -> Items<T> {
        Items {
            pages: self,
            ready: VecDeque::new(),
            context: None,
            given: 0,
            item: PhantomData,
        }
    }
}

impl fmt::Debug for Pages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("paging", &self.paging)
            .field("limits", &self.limits)
            .field("pages", &self.pages)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    response: Response,
    items: Vec<Value>,
}

impl Page {
    /// The page's response (status, headers, body).
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The page's items, as JSON.
    pub fn items(&self) -> &[Value] {
        &self.items
    }
}

/// Every item of a list, decoded, read page after page.
pub struct Items<T> {
    pages: Pages,
    /// The items of the page read last, and that page's call.
    ready: VecDeque<Value>,
    context: Option<crate::error::CallContext>,
    given: u64,
    item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Items<T> {
    /// The next item; `None` at the end of the list or at `max_items`.
    pub async fn next(&mut self) -> Option<Result<T, MicroserviceError>> {
        while self.ready.is_empty() {
            match self.pages.next().await? {
                Ok(page) => {
                    self.context = Some(page.response.context.clone());
                    self.ready.extend(page.items);
                }
                Err(error) => return Some(Err(error)),
            }
        }
        if self.given >= self.pages.limits.max_items {
            return None;
        }
        let item = self.ready.pop_front()?;
        let context = self.context.clone()?;
        self.given += 1;
        Some(serde_json::from_value(item).map_err(|error| {
            MicroserviceError::decode(
                context,
                200,
                DecodeReason::Json,
                error.to_string().as_bytes(),
                1,
                Some(Box::new(error)),
            )
        }))
    }
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("given", &self.given)
            .finish_non_exhaustive()
    }
}

/// A scalar as text: a cursor or an id may be a string or a number.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The number a request's query gives `param`, if any.
fn query_number(request: &Request, param: &str) -> Option<u64> {
    request.query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == param).then(|| value.parse().ok()).flatten()
    })
}

/// The `rel="next"` target of RFC 8288 `Link` header values.
fn next_link<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    values.flat_map(|value| value.split(',')).find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        is_next.then(|| target.to_owned())
    })
}

/// The error of a page whose next page cannot be followed.
fn page_error(response: &Response, reason: DecodeReason) -> MicroserviceError {
    MicroserviceError::decode(
        response.context.clone(),
        response.status(),
        reason,
        response.body(),
        response.attempts(),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let github = r#"<https://api.github.com/repos/o/r/issues?page=2>; rel="next", <https://api.github.com/repos/o/r/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link([github].into_iter()).as_deref(),
            Some("https://api.github.com/repos/o/r/issues?page=2")
        );
        let spaced = r#"</items?page=3>; title="x"; REL="prev next""#;
        assert_eq!(
            next_link([spaced].into_iter()).as_deref(),
            Some("/items?page=3")
        );
        assert_eq!(next_link([r#"</a>; rel="last""#].into_iter()), None);
        assert_eq!(next_link(["garbage", "<>"].into_iter()), None);
    }
}
