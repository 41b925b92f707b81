//! A plain-HTTP transport on hyper-util's pooled client, through the
//! runtime's public `Transport` seam: what our call path costs without
//! reqwest underneath. A measuring probe, not a product transport (no TLS,
//! no proxies, no streamed uploads; response header values that are not
//! visible ASCII are dropped), and an upper bound: the seam's public types
//! make it copy request and response headers one by one, parsing them
//! again, which a transport inside the runtime would not need to.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use clientgen_runtime::transport::{
    BodyStream, HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind,
    TransportFuture,
};
use clientgen_runtime::{Headers, ResponseBody};
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use hyper::header::{ACCEPT, HeaderName, HeaderValue, USER_AGENT};

use crate::requests::HyperClient;

/// Our call path's transport on hyper-util, adding the `User-Agent` and
/// `Accept` headers our session's default transport (reqwest) adds when a
/// request has none.
#[derive(Clone)]
pub struct HyperTransport {
    client: HyperClient,
    user_agent: HeaderValue,
    accept: HeaderValue,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport").finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport over `client`, sending `user_agent`.
    pub fn new(client: HyperClient, user_agent: &'static str) -> Self {
        Self {
            client,
            user_agent: HeaderValue::from_static(user_agent),
            accept: HeaderValue::from_static("*/*"),
        }
    }
}

impl Transport for HyperTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        let outgoing = match self.outgoing(request) {
            Ok(outgoing) => outgoing,
            Err(error) => return Box::pin(async { Err(error) }),
        };
        let sending = self.client.request(outgoing);
        Box::pin(async move {
            let response = sending.await.map_err(|error| {
                let kind = if error.is_connect() {
                    TransportErrorKind::Connect
                } else {
                    TransportErrorKind::Broken
                };
                TransportError::new(kind, error)
            })?;
            let (head, body) = response.into_parts();
            let mut headers = Headers::new();
            for (name, value) in &head.headers {
                let Ok(value) = value.to_str() else { continue };
                headers.append(name.as_str(), value).map_err(broken)?;
            }
            let body = ResponseBody::from_stream(Chunks(body));
            Ok(HttpResponse::new(head.status.as_u16(), headers, body))
        })
    }
}

impl HyperTransport {
    /// `request` as hyper's: its URL parsed as a URI, its headers copied.
    fn outgoing(
        &self,
        request: HttpRequest,
    ) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
        if request.body.take_stream().is_some() {
            return Err(TransportError::of_kind(TransportErrorKind::Broken));
        }
        let body = request.body.bytes().cloned().unwrap_or_default();
        let mut outgoing = hyper::Request::new(Full::new(body));
        *outgoing.method_mut() =
            hyper::Method::from_bytes(request.method.as_str().as_bytes()).map_err(broken)?;
        *outgoing.uri_mut() = request.url.as_str().parse().map_err(broken)?;
        let headers = outgoing.headers_mut();
        for (name, value) in request.headers.iter() {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(broken)?;
            headers.append(name, HeaderValue::from_bytes(value).map_err(broken)?);
        }
        headers
            .entry(USER_AGENT)
            .or_insert_with(|| self.user_agent.clone());
        headers.entry(ACCEPT).or_insert_with(|| self.accept.clone());
        Ok(outgoing)
    }
}

fn broken(error: impl std::error::Error + Send + Sync + 'static) -> TransportError {
    TransportError::new(TransportErrorKind::Broken, error)
}

/// hyper's response body as a stream of chunks.
struct Chunks(Incoming);

impl BodyStream for Chunks {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        loop {
            let frame = match Pin::new(&mut self.0).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(broken(error)))),
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            // Trailers carry no body bytes.
            if let Ok(data) = frame.into_data() {
                return Poll::Ready(Some(Ok(data)));
            }
        }
    }
}
