//! The runtime against a real local server: pooling, status mapping,
//! decoding, body limits, unavailable upstreams.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use clientgen_runtime::codegen::{self, Method, Operation, Request};
use clientgen_runtime::error::{DecodeReason, UnavailableReason};
use clientgen_runtime::{CallOptions, ErrorCategory, MicroserviceError, RetryPolicy};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer, unused_local_port};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Problem {
    detail: String,
}

fn decode_problem(status: u16, body: &[u8]) -> Option<Box<dyn codegen::ErrorBody>> {
    match status {
        404 | 409 | 422 => codegen::decode_error::<Problem>(body),
        _ => None,
    }
}

static GET_USER: Operation =
    Operation::new("getUser", Method::Get, "/users/{user_id}").error_decoder(decode_problem);

fn get_user(id: &str) -> Request {
    Request::new(&GET_USER).path_param("user_id", id)
}

#[tokio::test]
async fn ten_thousand_sequential_calls_share_one_connection() {
    let server = TestServer::start(|_| Reply::json(200, json!({"id": "7", "name": "Ada"}))).await;
    let svc = client(&server.url(), |config| config);
    for _ in 0..10_000 {
        let user: User = svc.execute(get_user("7")).await.unwrap().json().unwrap();
        assert_eq!(user.name, "Ada");
    }
    assert_eq!(server.request_count(), 10_000);
    assert_eq!(server.accepted_connections(), 1);
}

#[tokio::test]
async fn every_request_names_clientgen_unless_a_user_agent_is_configured() {
    let server = TestServer::start(|_| Reply::json(200, json!({"id": "u1", "name": "Ada"}))).await;
    let plain = client(&server.url(), |config| config);
    plain.execute(get_user("u1")).await.unwrap();
    let named = client(&server.url(), |config| config.user_agent("hr-backend/2.3"));
    named.execute(get_user("u1")).await.unwrap();
    let seen = server.requests();
    let default = format!("clientgen/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(seen[0].header("user-agent"), Some(default.as_str()));
    assert_eq!(seen[1].header("user-agent"), Some("hr-backend/2.3"));
}

#[tokio::test]
async fn clones_and_other_services_share_the_pool() {
    let server = TestServer::start(|_| Reply::json(200, json!({"id": "7", "name": "Ada"}))).await;
    let config = clientgen_tests::fixtures::fast_config("auth", &server.url())
        .service_url("audit", server.url())
        .build()
        .unwrap();
    let session = clientgen_runtime::Session::new(config).unwrap();
    let auth = session.service("auth").unwrap();
    let audit = session.clone().service("audit").unwrap();
    let auth_again = auth.with_options(CallOptions::new().header("X-Request-ID", "r-1"));
    for svc in [&auth, &audit, &auth_again, &auth, &audit] {
        svc.execute(get_user("7")).await.unwrap();
    }
    assert_eq!(server.accepted_connections(), 1);
}

#[tokio::test]
async fn path_and_query_values_are_encoded_and_arrive_intact() {
    static SEARCH: Operation = Operation::new("search", Method::Get, "/files/{name}/versions");
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config);
    let hostile = "../a/b?c#d %25 é";
    svc.execute(
        Request::new(&SEARCH)
            .path_param("name", hostile)
            .query("q", "a&b=c#d+e")
            .query_array("tag", ["x", "y z"], true)
            .query_array("ids", [1, 2, 3], false),
    )
    .await
    .unwrap();
    let seen = &server.requests()[0];
    assert_eq!(
        seen.path_segments(),
        ["files", hostile, "versions"].map(String::from)
    );
    assert_eq!(
        seen.query_pairs(),
        [
            ("q", "a&b=c#d+e"),
            ("tag", "x"),
            ("tag", "y z"),
            ("ids", "1,2,3")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[tokio::test]
async fn dot_segments_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config);
    for value in ["", ".", ".."] {
        let error = svc.execute(get_user(value)).await.unwrap_err();
        assert_eq!(error.category(), ErrorCategory::InvalidRequest);
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn unauthorized_statuses() {
    for status in [401, 403] {
        let server = TestServer::start(move |_| Reply::json(status, json!({"detail": "no"}))).await;
        let svc = client(&server.url(), |config| config);
        let error = svc.execute(get_user("7")).await.unwrap_err();
        assert!(error.is_unauthorized(), "{status}: {error}");
        assert_eq!(error.status(), Some(status));
        assert!(!error.is_retryable());
        assert_eq!(server.request_count(), 1);
    }
}

#[tokio::test]
async fn error_statuses_carry_status_excerpt_and_typed_body() {
    for status in [404, 409, 422, 500] {
        let server = TestServer::start(move |_| {
            Reply::json(status, json!({"detail": format!("problem {status}")}))
        })
        .await;
        let svc = client(&server.url(), |config| config);
        let error = svc.execute(get_user("7")).await.unwrap_err();
        let MicroserviceError::Response(response) = &error else {
            panic!("{status}: expected a response error, got {error:?}");
        };
        assert_eq!(response.status(), status);
        assert!(response.excerpt().contains(&format!("problem {status}")));
        if status == 500 {
            assert!(error.body::<Problem>().is_none());
        } else {
            assert_eq!(
                error.body::<Problem>(),
                Some(&Problem {
                    detail: format!("problem {status}")
                })
            );
        }
        assert_eq!(error.context().operation(), "getUser");
        assert_eq!(error.context().url_template(), "/users/{user_id}");
        assert_eq!(server.request_count(), 1, "{status} is not retried");
    }
}

#[tokio::test]
async fn malformed_json_on_200_is_a_decode_error() {
    let server = TestServer::start(|_| Reply::text(200, "{\"id\": \"7\", \"name\":")).await;
    let svc = client(&server.url(), |config| config);
    let response = svc.execute(get_user("7")).await.unwrap();
    let error = response.json::<User>().unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.reason(), DecodeReason::Json);
    assert_eq!(decode.status(), 200);
    assert!(decode.excerpt().starts_with("{\"id\""));
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn over_limit_body_is_refused_without_buffering_it() {
    const GIB: u64 = 1024 * 1024 * 1024;
    let server = TestServer::start(|_| Reply::streamed(200, GIB)).await;
    let svc = client(&server.url(), |config| config.max_body_bytes(1024 * 1024));
    let error = svc.execute(get_user("7")).await.unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.reason(), DecodeReason::BodyTooLarge);
    assert!(decode.excerpt().len() <= 600);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        server.streamed_bytes() < 64 * 1024 * 1024,
        "server wrote {} bytes",
        server.streamed_bytes()
    );
}

#[tokio::test]
async fn over_limit_chunked_body_is_refused_while_streaming() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // A raw server that streams an endless chunked body: no Content-Length,
    // so the limit can only be enforced while reading.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 4096];
        let _ = socket.read(&mut head).await;
        let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        socket.write_all(start.as_bytes()).await.unwrap();
        let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
        while socket.write_all(chunk.as_bytes()).await.is_ok() {
            counter.fetch_add(0x10000, Ordering::Relaxed);
            if counter.load(Ordering::Relaxed) > 1 << 30 {
                break;
            }
        }
    });
    let svc = client(&url, |config| config.max_body_bytes(1024 * 1024));
    let error = svc.execute(get_user("7")).await.unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.reason(), DecodeReason::BodyTooLarge);
    server.await.unwrap();
    assert!(
        written.load(Ordering::Relaxed) < 64 * 1024 * 1024,
        "server wrote {} bytes",
        written.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn refused_connection_is_unavailable() {
    let port = unused_local_port().await;
    let svc = client(&format!("http://127.0.0.1:{port}"), |config| config);
    let error = svc.execute(get_user("7")).await.unwrap_err();
    let MicroserviceError::Unavailable(unavailable) = &error else {
        panic!("expected unavailable, got {error:?}");
    };
    assert_eq!(unavailable.reason(), UnavailableReason::Connect);
    assert_eq!(unavailable.attempts(), 3, "GET retried on connect errors");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn slow_headers_hit_the_attempt_timeout() {
    let server = TestServer::start(|_| Reply::status(200).delay(Duration::from_millis(400))).await;
    let svc = client(&server.url(), |config| {
        config
            .attempt_timeout(Duration::from_millis(100))
            .max_attempts(2)
    });
    let error = svc.execute(get_user("7")).await.unwrap_err();
    let MicroserviceError::Unavailable(unavailable) = &error else {
        panic!("expected unavailable, got {error:?}");
    };
    assert_eq!(unavailable.reason(), UnavailableReason::AttemptTimeout);
    assert_eq!(unavailable.attempts(), 2);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn the_overall_deadline_bounds_the_call() {
    let server = TestServer::start(|_| Reply::status(200).delay(Duration::from_secs(5))).await;
    let svc = client(&server.url(), |config| {
        config
            .attempt_timeout(Duration::from_secs(10))
            .deadline(Duration::from_millis(300))
    });
    let started = Instant::now();
    let error = svc.execute(get_user("7")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    let MicroserviceError::Unavailable(unavailable) = &error else {
        panic!("expected unavailable, got {error:?}");
    };
    assert_eq!(unavailable.reason(), UnavailableReason::DeadlineExceeded);
}

#[tokio::test]
async fn per_call_options_override_timeouts_and_add_headers() {
    let server = TestServer::start(|_| {
        Reply::json(200, json!({"id": "7", "name": "Ada"})).delay(Duration::from_millis(200))
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let hurried = svc.with_options(
        CallOptions::new()
            .attempt_timeout(Duration::from_millis(50))
            .retry(RetryPolicy::never()),
    );
    let error = hurried.execute(get_user("7")).await.unwrap_err();
    assert!(error.is_unavailable());
    assert_eq!(error.attempts(), 1);
    let traced = svc.with_options(CallOptions::new().header("X-Request-ID", "req-42"));
    traced.execute(get_user("7")).await.unwrap();
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("x-request-id"), Some("req-42"));
}

#[tokio::test]
async fn header_values_with_line_breaks_are_refused_before_sending() {
    static ECHO: Operation = Operation::new("echo", Method::Get, "/echo");
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config);
    for value in ["a\r\nX-Injected: 1", "a\nb", "a\rb", "nul\0"] {
        let error = svc
            .execute(Request::new(&ECHO).header("X-Trace", value))
            .await
            .unwrap_err();
        assert!(error.is_invalid_request(), "{value:?}: {error:?}");
        assert!(!error.to_string().contains(value));
    }
    let error = svc
        .with_options(CallOptions::new().header("X-Trace", "bad\r\nvalue"))
        .execute(Request::new(&ECHO))
        .await
        .unwrap_err();
    assert!(error.is_invalid_request());
    assert_eq!(server.request_count(), 0);
}

/// A call starts when its future is first polled, not when `execute`
/// returns it: a future held for longer than the attempt timeout before it
/// is awaited still gets its whole attempt, and nothing is counted against
/// the upstream.
#[tokio::test]
async fn a_call_starts_at_its_first_poll() {
    let server = TestServer::start(|_| {
        Reply::json(200, json!({"id": "7", "name": "Ada"})).delay(Duration::from_millis(20))
    })
    .await;
    let svc = client(&server.url(), |config| {
        config
            .attempt_timeout(Duration::from_millis(100))
            .deadline(Duration::from_millis(150))
            .max_attempts(1)
    });
    let call = svc.execute(get_user("7"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let user: User = call.await.unwrap().json().unwrap();
    assert_eq!(user.name, "Ada");
    assert_eq!(svc.breaker_state(), clientgen_runtime::BreakerState::Closed);
}
