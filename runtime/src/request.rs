//! How a generated method describes a request: a static [`Operation`] for
//! what the spec says, and a [`Request`] for one call's values.
//!
//! The description is plain data; the session turns it into HTTP. Building it
//! never fails: a bad value is remembered and reported by the call, so that
//! generated code stays a straight line.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::Serialize;

pub use crate::auth::Security;
use crate::error::{ErrorBody, InvalidRequestReason};
use crate::request_url::push_query;
pub use crate::transport::Method;

/// Decodes the typed error body the spec declares for a status, if any.
pub type ErrorDecoder = fn(status: u16, body: &[u8]) -> Option<Box<dyn ErrorBody>>;

/// What the spec says about one operation. Generated code keeps one in a
/// `static` per method.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The operation id, e.g. `getUser`.
    pub id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// Declared idempotent (e.g. `x-idempotent: true`), so a POST or PATCH may
    /// be retried without a key.
    pub idempotent: bool,
    /// The header that carries an idempotency key, e.g. `Idempotency-Key`.
    /// When set and the caller gives no key, the runtime generates one and
    /// keeps it across attempts.
    pub idempotency_header: Option<&'static str>,
    /// Credentials the operation needs.
    pub security: Security,
    /// JSON pointers of body fields that are frontend links, resolved
    /// against `FRONTEND_URL` before the request is sent.
    pub link_fields: &'static [&'static str],
    /// Decoder of typed error bodies.
    pub error_decoder: Option<ErrorDecoder>,
    /// The URL template relative to the service's base URL.
    path: &'static str,
    /// The service it belongs to (its name in the configuration), so that
    /// fakes tell apart two services' operations of the same id; empty
    /// when not given.
    pub service: &'static str,
}

impl Operation {
    /// An operation with no credentials, links or error bodies.
    pub const fn new(id: &'static str, method: Method, path: &'static str) -> Self {
        Self {
            id,
            method,
            idempotent: false,
            idempotency_header: None,
            security: Security::NONE,
            link_fields: &[],
            error_decoder: None,
            path,
            service: "",
        }
    }

    /// The URL template relative to the service's base URL, e.g.
    /// `/users/{user_id}`.
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// Marks the operation idempotent whatever its method.
    pub const fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Names the header that carries the idempotency key.
    pub const fn idempotency_header(mut self, header: &'static str) -> Self {
        self.idempotency_header = Some(header);
        self
    }

    /// Sets the credentials the operation needs.
    pub const fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Declares the body's frontend link fields (JSON pointers).
    pub const fn link_fields(mut self, fields: &'static [&'static str]) -> Self {
        self.link_fields = fields;
        self
    }

    /// Names the service the operation belongs to.
    pub const fn in_service(mut self, service: &'static str) -> Self {
        self.service = service;
        self
    }

    /// Sets the typed error body decoder.
    pub const fn error_decoder(mut self, decoder: ErrorDecoder) -> Self {
        self.error_decoder = Some(decoder);
        self
    }
}

/// The value of the parameter `name` as text; refused when its `Display`
/// fails.
pub(crate) fn written(
    name: &str,
    value: &dyn fmt::Display,
) -> Result<String, InvalidRequestReason> {
    let mut text = String::new();
    fmt::write(&mut text, format_args!("{value}"))
        .map_err(|_| InvalidRequestReason::unwritable(name))?;
    Ok(text)
}

/// Parameter values joined with `separator` (`simple`, `spaceDelimited`,
/// `pipeDelimited` and non-exploded `form` styles).
pub(crate) fn join<I>(values: I, separator: &str) -> Joined
where
    I: IntoIterator,
    I::Item: fmt::Display,
{
    let mut text = String::new();
    for (index, value) in values.into_iter().enumerate() {
        if index > 0 {
            text.push_str(separator);
        }
        if fmt::write(&mut text, format_args!("{value}")).is_err() {
            return Joined(Err(fmt::Error));
        }
    }
    Joined(Ok(text))
}

/// Parameter values joined into one, given where one value goes. Writing it
/// fails, as writing the value itself would, when the `Display` of one of
/// the values failed: the request then records the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined(Result<String, fmt::Error>);

impl fmt::Display for Joined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(text) => f.write_str(text),
            Err(error) => Err(*error),
        }
    }
}

/// A request body, as the call receives it.
#[derive(Clone, Debug)]
pub(crate) struct Body {
    pub(crate) content_type: Cow<'static, str>,
    pub(crate) bytes: Bytes,
    pub(crate) kind: BodyKind,
    /// The stream of a [`BodyKind::Stream`] body.
    pub(crate) stream: crate::transport::RequestBody,
}

impl Body {
    /// A body whose bytes are all here.
    fn whole(content_type: Cow<'static, str>, bytes: Bytes, kind: BodyKind) -> Self {
        Self {
            content_type,
            bytes,
            kind,
            stream: crate::transport::RequestBody::empty(),
        }
    }

    /// A body read from `stream` as it is sent.
    fn streamed(
        content_type: Cow<'static, str>,
        stream: impl crate::transport::BodyStream,
    ) -> Self {
        Self {
            content_type,
            bytes: Bytes::new(),
            kind: BodyKind::Stream,
            stream: crate::transport::RequestBody::from_stream(stream),
        }
    }
}

/// What a body's bytes are until the call prepares them: link fields are
/// resolved in JSON, and a form is encoded only after that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// JSON, sent as it is once its link fields are resolved.
    Json,
    /// JSON of a form's fields, encoded as `name=value` pairs (nested
    /// values with brackets) once its link fields are resolved.
    Form,
    /// Sent as it is.
    Raw,
    /// Read from a stream as it is sent (`bytes` is empty).
    Stream,
}

/// One call's values for an [`Operation`].
#[derive(Clone)]
pub struct Request {
    pub(crate) operation: &'static Operation,
    /// `(name, encoded value)` of each path parameter given.
    pub(crate) path_params: Vec<(&'static str, String)>,
    /// The query so far, percent-encoded: `name=value` pairs joined by `&`.
    pub(crate) query: String,
    pub(crate) headers: Vec<(Cow<'static, str>, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) cookies: Vec<(&'static str, String)>,
    pub(crate) idempotency_key: Option<String>,
    /// A URL given whole (a list's next page), used instead of the
    /// template, the path parameters and the query.
    pub(crate) url: Option<url::Url>,
    /// The first problem found, boxed: it is rare, and the request is moved
    /// at every builder step.
    pub(crate) problem: Option<Box<(InvalidRequestReason, Option<String>)>>,
}

impl Request {
    /// Starts describing a call of `operation`.
    pub fn new(operation: &'static Operation) -> Self {
        Self {
            operation,
            path_params: Vec::new(),
            query: String::new(),
            headers: Vec::new(),
            body: None,
            cookies: Vec::new(),
            idempotency_key: None,
            url: None,
            problem: None,
        }
    }

    /// The operation this request calls.
    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// Sets the path parameter `name`, percent-encoded as one segment. An
    /// empty value, `.` or `..` is refused when the call is made; when a
    /// name is given twice, the first value is used.
    pub fn path_param(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        let mut encoded = String::new();
        match crate::request_url::write_encoded(&mut encoded, &value) {
            Ok(()) => self.path_params.push((name, encoded)),
            Err(fmt::Error) => self.fail(InvalidRequestReason::unwritable(name), None),
        }
        self
    }

    /// Sets the query parameter `name` to `value`, replacing the values it
    /// had (a list's next cursor, offset or page).
    pub fn set_query(mut self, name: &str, value: impl fmt::Display) -> Self {
        let mut encoded = String::new();
        crate::encoding::push_encoded(&mut encoded, name);
        let kept: Vec<&str> = self
            .query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| pair.split('=').next() != Some(encoded.as_str()))
            .collect();
        self.query = kept.join("&");
        self.push_query(name, &value);
        self
    }

    /// Sends the request to `url` instead of the operation's template (a
    /// list's next page, given whole by the server).
    pub(crate) fn at_url(mut self, url: url::Url) -> Self {
        self.url = Some(url);
        self
    }

    /// Adds the query parameter `name=value`.
    pub fn query(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.push_query(name, &value);
        self
    }

    /// Appends `name=value` to the query, percent-encoded, or records why it
    /// cannot be.
    fn push_query(&mut self, name: &str, value: &dyn fmt::Display) {
        if push_query(&mut self.query, name, value).is_err() {
            self.fail(InvalidRequestReason::unwritable(name), None);
        }
    }

    /// Adds `name=value` when `value` is present.
    pub fn query_opt<T: fmt::Display>(self, name: &'static str, value: Option<T>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Adds an array query parameter: `name=a&name=b` when `explode`, else
    /// `name=a,b` (the OpenAPI `form` style).
    pub fn query_array<I>(mut self, name: &'static str, values: I, explode: bool) -> Self
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        if explode {
            for value in values {
                self = self.query(name, value);
            }
            return self;
        }
        self.query(name, join(values, ","))
    }

    /// Adds a query parameter whose name is only known at run time (e.g. a
    /// `deepObject` key).
    pub fn query_dynamic(mut self, name: String, value: impl fmt::Display) -> Self {
        self.push_query(&name, &value);
        self
    }

    /// Adds the header `name: value`. A value with CR, LF or other control
    /// characters makes the call fail before anything is sent.
    pub fn header(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        if let Some(value) = self.written(name, &value) {
            self.headers.push((Cow::Borrowed(name), value));
        }
        self
    }

    /// Adds the header when `value` is present.
    pub fn header_opt<T: fmt::Display>(self, name: &'static str, value: Option<T>) -> Self {
        match value {
            Some(value) => self.header(name, value),
            None => self,
        }
    }

    /// Sets the idempotency key sent in the operation's idempotency header,
    /// the same on every attempt; with a key, a POST or PATCH may be retried.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Sets the idempotency key when one is given; without one, the runtime
    /// generates a key for operations that declare an idempotency header.
    pub fn idempotency_key_opt(self, key: Option<&str>) -> Self {
        match key {
            Some(key) => self.idempotency_key(key),
            None => self,
        }
    }

    /// Sets a JSON body (`application/json`).
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.json_as("application/json", body)
    }

    /// Sets a JSON body sent as `content_type`, a JSON media type such as
    /// `application/vnd.api+json` or `application/merge-patch+json`.
    pub fn json_as<T: Serialize + ?Sized>(self, content_type: &'static str, body: &T) -> Self {
        self.serialized(content_type, body, BodyKind::Json)
    }

    /// Sets a body of `kind` from `body`'s JSON form.
    fn serialized<T: Serialize + ?Sized>(
        mut self,
        content_type: &'static str,
        body: &T,
        kind: BodyKind,
    ) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some(Body::whole(content_type.into(), bytes.into(), kind)),
            Err(error) => self.fail(InvalidRequestReason::Body, Some(error.to_string())),
        }
        self
    }

    /// Sets a raw body with its content type.
    pub fn raw_body(mut self, content_type: &'static str, bytes: impl Into<Bytes>) -> Self {
        self.body = Some(Body::whole(
            content_type.into(),
            bytes.into(),
            BodyKind::Raw,
        ));
        self
    }

    /// Sets a body read from `stream` as it is sent, in bounded memory
    /// (e.g. a [`FileStream`](crate::transport::FileStream)); a call with a
    /// streamed body is sent once, never retried.
    pub fn stream_body(
        mut self,
        content_type: &'static str,
        stream: impl crate::transport::BodyStream,
    ) -> Self {
        self.body = Some(Body::streamed(content_type.into(), stream));
        self
    }

    /// Sets an `application/x-www-form-urlencoded` body; nested values use
    /// brackets (`card[number]=4242`).
    pub fn form<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.serialized("application/x-www-form-urlencoded", body, BodyKind::Form)
    }

    /// Sets a `multipart/form-data` body; a form with a streamed part is
    /// sent as it is read, and such a call is never retried.
    pub fn multipart(mut self, form: crate::multipart::Multipart) -> Self {
        let (content_type, encoded) = form.encode();
        self.body = Some(match encoded {
            crate::multipart::Encoded::Whole(bytes) => {
                Body::whole(content_type.into(), bytes, BodyKind::Raw)
            }
            crate::multipart::Encoded::Stream(form) => Body::streamed(content_type.into(), form),
        });
        self
    }

    /// Adds a `deepObject` query parameter: `name[key]=value` for each
    /// property, nested with more brackets.
    pub fn query_deep<T: Serialize + ?Sized>(mut self, name: &'static str, value: &T) -> Self {
        match crate::encoding::flatten(name, value, crate::encoding::Nesting::Brackets) {
            Ok(pairs) => {
                for (name, value) in pairs {
                    self.push_query(&name, &value);
                }
            }
            Err(error) => self.fail(InvalidRequestReason::Body, Some(error.to_string())),
        }
        self
    }

    /// Adds an exploded `form` object query parameter: each property as its
    /// own `key=value`.
    pub fn query_object<T: Serialize + ?Sized>(mut self, name: &'static str, value: &T) -> Self {
        match crate::encoding::flatten(name, value, crate::encoding::Nesting::Exploded) {
            Ok(pairs) => {
                for (name, value) in pairs {
                    self.push_query(&name, &value);
                }
            }
            Err(error) => self.fail(InvalidRequestReason::Body, Some(error.to_string())),
        }
        self
    }

    /// Adds an array query parameter joined by `separator` (`spaceDelimited`
    /// and `pipeDelimited` styles).
    pub fn query_delimited<I>(self, name: &'static str, values: I, separator: &str) -> Self
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        self.query(name, join(values, separator))
    }

    /// Adds an array header (`simple` style: comma-separated).
    pub fn header_array<I>(self, name: &'static str, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        self.header(name, join(values, ","))
    }

    /// Adds a cookie `name=value` to the request's `Cookie` header.
    pub fn cookie(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        if let Some(value) = self.written(name, &value) {
            self.cookies.push((name, value));
        }
        self
    }

    /// `value` as text, or `None` with the problem recorded when its
    /// `Display` fails.
    fn written(&mut self, name: &str, value: &dyn fmt::Display) -> Option<String> {
        written(name, value)
            .map_err(|reason| self.fail(reason, None))
            .ok()
    }

    /// Records the first problem found while describing the request.
    fn fail(&mut self, reason: InvalidRequestReason, detail: Option<String>) {
        if self.problem.is_none() {
            self.problem = Some(Box::new((reason, detail)));
        }
    }
}

impl fmt::Debug for Request {
    /// Values may be identifiers or credentials: only names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |pairs: &[(Cow<'static, str>, String)]| {
            pairs
                .iter()
                .map(|(name, _)| name.to_string())
                .collect::<Vec<_>>()
        };
        f.debug_struct("Request")
            .field("operation", &self.operation.id)
            .field(
                "path_params",
                &self
                    .path_params
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>(),
            )
            .field(
                "query",
                &self
                    .query
                    .split('&')
                    .filter_map(|pair| pair.split('=').next().filter(|name| !name.is_empty()))
                    .collect::<Vec<_>>(),
            )
            .field("headers", &names(&self.headers))
            .field(
                "cookies",
                &self
                    .cookies
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>(),
            )
            .field(
                "body_bytes",
                &self.body.as_ref().map(|body| body.bytes.len()),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SEARCH: Operation = Operation::new("search", Method::Get, "/orgs/{org}/search");

    /// A value whose `Display` fails.
    struct Broken;

    impl fmt::Display for Broken {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            Err(fmt::Error)
        }
    }

    fn problem(request: Request) -> Option<(InvalidRequestReason, Option<String>)> {
        request.problem.map(|problem| *problem)
    }

    /// Whatever a value is given as, a failing `Display` makes the call fail
    /// before it is sent, naming the parameter, instead of panicking.
    #[test]
    fn a_value_that_cannot_be_written_is_a_problem_not_a_panic() {
        let refused = |name: &str| Some((InvalidRequestReason::Value { name: name.into() }, None));
        let request = Request::new(&SEARCH);
        assert_eq!(problem(request.path_param("org", Broken)), refused("org"));
        let request = Request::new(&SEARCH).path_param("org", "acme");
        assert_eq!(problem(request.query("q", Broken)), refused("q"));
        let request = Request::new(&SEARCH).path_param("org", "acme");
        assert_eq!(
            problem(request.header("X-Trace", Broken)),
            refused("X-Trace")
        );
        let request = Request::new(&SEARCH).path_param("org", "acme");
        assert_eq!(
            problem(request.cookie("session", Broken)),
            refused("session")
        );
        let request = Request::new(&SEARCH).path_param("org", "acme");
        let values: [&dyn fmt::Display; 2] = [&1, &Broken];
        let joined = request.query_delimited("ids", values, "|");
        assert_eq!(problem(joined), refused("ids"));
        let request = Request::new(&SEARCH).path_param("org", "acme");
        assert_eq!(
            problem(request.header_array("X-Ids", [Broken])),
            refused("X-Ids")
        );
        assert_eq!(join([1, 2, 3], ",").to_string(), "1,2,3");
    }

    /// Parameters are kept encoded; the description shows names only.
    #[test]
    fn the_description_names_parameters_without_values() {
        let request = Request::new(&SEARCH)
            .path_param("org", "acme corp")
            .query("q", "secret value")
            .query_opt("page", Some(2))
            .header("X-Trace", "t-1");
        assert_eq!(request.query, "q=secret%20value&page=2");
        let described = format!("{request:?}");
        assert!(
            described
                .contains(r#"path_params: ["org"], query: ["q", "page"], headers: ["X-Trace"]"#),
            "{described}"
        );
        assert!(
            !described.contains("secret") && !described.contains("acme"),
            "{described}"
        );
    }
}
