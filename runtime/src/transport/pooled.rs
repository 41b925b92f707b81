//! The default transport: one pooled reqwest client.

use std::fmt;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as _;

use super::settings::{HttpSettings, HttpVersion};
use super::{
    BodyStream, Headers, HttpRequest, HttpResponse, Method, ResponseBody, Transport,
    TransportError, TransportErrorKind, TransportFuture, tls,
};

/// The HTTP client could not be built from its settings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the HTTP client could not be built: {0}")]
pub struct BuildError(String);

/// The pooled HTTP client every service of a session shares: keep-alive
/// connections, HTTP/2 where TLS negotiates it, proxies and TLS as the
/// [`HttpSettings`] say. It never retries or follows redirects itself.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A client with `settings`.
    pub fn new(settings: &HttpSettings) -> Result<Self, BuildError> {
        let alpn: &[&[u8]] = match settings.version {
            HttpVersion::Negotiated => &[b"h2", b"http/1.1"],
            HttpVersion::Http1Only => &[b"http/1.1"],
        };
        let tls = tls::client_config(
            &settings.root_certificates,
            settings.identity.as_ref(),
            alpn,
        )
        .map_err(|error| BuildError(error.to_string()))?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(settings.connect_timeout)
            .pool_idle_timeout(settings.pool_idle_timeout)
            .pool_max_idle_per_host(settings.pool_max_idle_per_host)
            .user_agent(settings.user_agent.as_str())
            .redirect(reqwest::redirect::Policy::none())
            // Retries are the runtime's (policy, budget, breaker).
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .tcp_nodelay(true)
            // Proxies come from the settings alone, which read the standard
            // variables when the configuration comes from the environment.
            .no_proxy();
        if settings.version == HttpVersion::Http1Only {
            builder = builder.http1_only();
        }
        let proxy = &settings.proxy;
        let no_proxy = proxy
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string);
        if let Some(url) = &proxy.http {
            let made = reqwest::Proxy::http(url.as_str()).map_err(build_error)?;
            builder = builder.proxy(made.no_proxy(no_proxy.clone()));
        }
        if let Some(url) = &proxy.https {
            let made = reqwest::Proxy::https(url.as_str()).map_err(build_error)?;
            builder = builder.proxy(made.no_proxy(no_proxy));
        }
        let client = builder.build().map_err(build_error)?;
        Ok(Self { client })
    }
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        let mut outgoing = reqwest::Request::new(method(request.method), request.url);
        *outgoing.headers_mut() = request.headers.into_map();
        if let Some(bytes) = request.body.bytes() {
            *outgoing.body_mut() = Some(bytes.clone().into());
        } else if let Some(stream) = request.body.take_stream() {
            *outgoing.body_mut() = Some(reqwest::Body::wrap(Upload(Mutex::new(stream))));
        }
        let sending = self.client.execute(outgoing);
        Box::pin(async move {
            let mut response = sending.await.map_err(transport_error)?;
            let status = response.status().as_u16();
            let headers = Headers::from_map(std::mem::take(response.headers_mut()));
            let body = ResponseBody::from_stream(Chunks(reqwest::Body::from(response)));
            Ok(HttpResponse::new(status, headers, body))
        })
    }
}

/// A request body's stream as an HTTP body. The mutex makes it `Sync`, as
/// reqwest asks; it is only ever reached through `&mut`, never locked.
struct Upload(Mutex<Pin<Box<dyn BodyStream>>>);

impl http_body::Body for Upload {
    type Data = Bytes;
    type Error = TransportError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, TransportError>>> {
        let stream = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        stream
            .as_mut()
            .poll_chunk(cx)
            .map(|chunk| chunk.map(|chunk| chunk.map(http_body::Frame::data)))
    }
}

/// A reqwest body as a stream of chunks.
struct Chunks(reqwest::Body);

impl BodyStream for Chunks {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        loop {
            let frame = match Pin::new(&mut self.0).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(transport_error(error))));
                }
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            // Trailers carry no body bytes.
            if let Ok(data) = frame.into_data() {
                return Poll::Ready(Some(Ok(data)));
            }
        }
    }
}

fn build_error(error: reqwest::Error) -> BuildError {
    BuildError(error.to_string())
}

fn transport_error(error: reqwest::Error) -> TransportError {
    let kind = if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Broken
    };
    // The URL may hold a query credential or identifiers: never kept.
    TransportError::new(kind, error.without_url())
}

fn method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
        Method::Options => reqwest::Method::OPTIONS,
        Method::Patch => reqwest::Method::PATCH,
        Method::Trace => reqwest::Method::TRACE,
    }
}
