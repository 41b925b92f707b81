//! The upstream for request benchmarks: hyper on 127.0.0.1, on its own OS
//! thread and runtime so that the client's thread CPU clock measures only the
//! client.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A small JSON GET answer (a `ConfigValue`).
pub const CONFIG_VALUE: &str = r#"{"namespace":"hr","key":"limits.max_days","value":25,"version":7,"updated_at":"2026-11-26T12:00:00Z"}"#;

/// The JSON POST answer (an `AuditEvent`).
pub const AUDIT_EVENT: &str = r#"{"action":"leave.approved","occurred_at":"2026-11-26T12:00:00Z","actor":{"type":"service","service_name":"approvals"},"id":"1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9","recorded_at":"2026-11-26T12:00:02Z"}"#;

/// A running benchmark upstream.
#[derive(Debug)]
pub struct Upstream {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Upstream {
    /// Starts the server on its own thread.
    pub fn start() -> std::io::Result<Upstream> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        std::thread::Builder::new()
            .name("bench-upstream".to_owned())
            .spawn(move || {
                if let Some((_, cpu)) = crate::cpu::placement() {
                    let _ = crate::cpu::pin_to(cpu);
                }
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    while let Ok((stream, _)) = listener.accept().await {
                        let _ = stream.set_nodelay(true);
                        counter.fetch_add(1, Ordering::Relaxed);
                        tokio::spawn(async move {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(
                                    TokioIo::new(stream),
                                    hyper::service::service_fn(answer),
                                )
                                .await;
                        });
                    }
                });
            })?;
        Ok(Upstream { addr, accepted })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let is_post = request.method() == hyper::Method::POST;
    let _ = request.into_body().collect().await;
    let body = if is_post { AUDIT_EVENT } else { CONFIG_VALUE };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if is_post {
        *response.status_mut() = hyper::StatusCode::CREATED;
    }
    Ok(response)
}
