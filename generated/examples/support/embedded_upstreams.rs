//! Local stand-ins for the six upstream services, on 127.0.0.1 with an
//! ephemeral port, so the example runs on a machine with no configuration.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The running upstreams; they stop when this is dropped.
pub(crate) struct Upstreams {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Upstreams {
    /// Their base URL.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Upstreams {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts one server answering every service's paths.
pub(crate) async fn start() -> std::io::Result<Upstreams> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(answer);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Upstreams { addr, task })
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (status, reply) = match (method.as_str(), segments.as_slice()) {
        ("GET", ["users", id]) => (
            StatusCode::OK,
            json!({
                "id": id,
                "email": "mira.manager@example.com",
                "display_name": "Mira Manager",
                "roles": ["employee", "manager"],
                "manager_id": null,
                "created_at": "2024-02-01T09:00:00Z",
            }),
        ),
        ("POST", ["wallets", employee, "debits"]) => (
            StatusCode::CREATED,
            json!({
                "id": "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b",
                "employee_id": employee,
                "kind": "debit",
                "days": input["days"],
                "balance_after": 18.0,
                "created_at": "2026-11-26T12:00:00Z",
            }),
        ),
        ("POST", ["notifications"]) => (
            StatusCode::ACCEPTED,
            json!({
                "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                "status": "queued",
                "queued_at": "2026-11-26T12:00:01Z",
            }),
        ),
        ("POST", ["events"]) => {
            let mut event = input;
            event["id"] = json!("1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9");
            event["recorded_at"] = json!("2026-11-26T12:00:02Z");
            (StatusCode::CREATED, event)
        }
        _ => (StatusCode::NOT_FOUND, json!({"detail": "Not Found"})),
    };
    let mut response = Response::new(Full::new(Bytes::from(reply.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
