//! Tests of the test-support server itself, driven by a hand-written HTTP/1.1 client over raw TCP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clientgen_tests::server::{Reply, TestServer, unused_local_port};
use serde_json::json;
use tokio::net::TcpStream;

/// A parsed HTTP/1.1 response.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// A raw HTTP/1.1 client connection (tokio's io-util traits are not available,
/// so this uses `writable`/`try_write` and `readable`/`try_read`).
struct RawClient {
    stream: TcpStream,
    /// Bytes read from the socket but not yet consumed by a response.
    buffer: Vec<u8>,
}

impl RawClient {
    async fn connect(addr: SocketAddr) -> RawClient {
        RawClient {
            stream: TcpStream::connect(addr).await.unwrap(),
            buffer: Vec::new(),
        }
    }

    async fn send(&self, data: &[u8]) {
        let mut written = 0;
        while written < data.len() {
            self.stream.writable().await.unwrap();
            match self.stream.try_write(&data[written..]) {
                Ok(n) => written += n,
                Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                Err(error) => panic!("write failed: {error}"),
            }
        }
    }

    /// Reads more bytes into the buffer; returns how many (0 at end of stream).
    async fn fill(&mut self) -> usize {
        let mut chunk = [0_u8; 16 * 1024];
        loop {
            self.stream.readable().await.unwrap();
            match self.stream.try_read(&mut chunk) {
                Ok(n) => {
                    self.buffer.extend_from_slice(&chunk[..n]);
                    return n;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                Err(error) => panic!("read failed: {error}"),
            }
        }
    }

    /// Reads the head of the next response (status and headers), consuming it from the buffer.
    async fn read_head(&mut self) -> (u16, Vec<(String, String)>) {
        let head_len = loop {
            if let Some(pos) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            assert!(
                self.fill().await > 0,
                "connection closed before a response head"
            );
        };
        let head = String::from_utf8(self.buffer.drain(..head_len).collect()).unwrap();
        let mut lines = head.trim_end().split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line: {status_line}");
        let status = parts.next().unwrap().parse().unwrap();
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        (status, headers)
    }

    /// Reads one whole response framed by `Content-Length`.
    async fn read_response(&mut self) -> RawResponse {
        let (status, headers) = self.read_head().await;
        let response = RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
        assert!(
            response.header("transfer-encoding").is_none(),
            "expected a Content-Length response"
        );
        let len: usize = response
            .header("content-length")
            .map_or(0, |value| value.parse().unwrap());
        while self.buffer.len() < len {
            assert!(self.fill().await > 0, "connection closed inside a body");
        }
        RawResponse {
            body: self.buffer.drain(..len).collect(),
            ..response
        }
    }

    async fn get(&mut self, target: &str) -> RawResponse {
        let request = format!("GET {target} HTTP/1.1\r\nHost: test\r\n\r\n");
        self.send(request.as_bytes()).await;
        self.read_response().await
    }
}

#[tokio::test]
async fn keep_alive_requests_share_one_connection() {
    let server = TestServer::start(|request| Reply::text(200, request.path.clone())).await;
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_eq!(server.url(), format!("http://{}", server.addr()));

    let mut client = RawClient::connect(server.addr()).await;
    let first = client.get("/one").await;
    let second = client.get("/two").await;
    assert_eq!((first.status, first.text().as_str()), (200, "/one"));
    assert_eq!((second.status, second.text().as_str()), (200, "/two"));
    assert_eq!(
        first.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(server.accepted_connections(), 1);
    assert_eq!(server.request_count(), 2);

    let mut other = RawClient::connect(server.addr()).await;
    assert_eq!(other.get("/three").await.status, 200);
    assert_eq!(server.accepted_connections(), 2);
    let seen: Vec<(String, usize)> = server
        .requests()
        .into_iter()
        .map(|request| (request.path, request.connection))
        .collect();
    assert_eq!(
        seen,
        [
            ("/one".to_owned(), 0),
            ("/two".to_owned(), 0),
            ("/three".to_owned(), 1)
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn path_and_query_keep_their_encoding_and_decode_on_demand() {
    let server = TestServer::start(|_| Reply::status(204)).await;
    let mut client = RawClient::connect(server.addr()).await;
    let response = client
        .get("/users/a%2Fb/x%20y/caf%C3%A9?q=a%2Bb&plus=a+b&flag&&e=%E2%82%AC%zz")
        .await;
    assert_eq!(response.status, 204);

    let request = server.requests().pop().unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/users/a%2Fb/x%20y/caf%C3%A9");
    assert_eq!(request.path_segments(), ["users", "a/b", "x y", "café"]);
    assert_eq!(
        request.query.as_deref(),
        Some("q=a%2Bb&plus=a+b&flag&&e=%E2%82%AC%zz")
    );
    let pairs: Vec<(&str, &str)> = vec![("q", "a+b"), ("plus", "a+b"), ("flag", ""), ("e", "€%zz")];
    let decoded = request.query_pairs();
    let decoded: Vec<(&str, &str)> = decoded
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(decoded, pairs);
}

#[tokio::test]
async fn records_headers_and_json_body() {
    let server = TestServer::start(|request| {
        Reply::json(201, json!({ "echo": request.json() })).header("X-Trace", "abc")
    })
    .await;
    let body = br#"{"name":"widget","tags":["a","b"]}"#;
    let request = format!(
        "POST /items HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nX-Dup: 1\r\nX-Dup: 2\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut client = RawClient::connect(server.addr()).await;
    client.send(request.as_bytes()).await;
    client.send(body).await;
    let response = client.read_response().await;
    assert_eq!(response.status, 201);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("x-trace"), Some("abc"));
    let echoed: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        echoed,
        json!({ "echo": { "name": "widget", "tags": ["a", "b"] } })
    );

    let recorded = server.requests().pop().unwrap();
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.query, None);
    assert_eq!(recorded.header("CONTENT-type"), Some("application/json"));
    assert_eq!(recorded.header("x-dup"), Some("1"));
    let dups: Vec<&str> = recorded
        .headers
        .iter()
        .filter(|(name, _)| name == "x-dup")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(dups, ["1", "2"]);
    assert_eq!(&recorded.body[..], &body[..]);
    assert_eq!(recorded.json()["name"], "widget");
}

#[tokio::test]
#[should_panic(expected = "is not valid JSON")]
async fn json_of_a_non_json_body_panics_clearly() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let mut client = RawClient::connect(server.addr()).await;
    client
        .send(b"POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    assert_eq!(client.read_response().await.status, 200);
    let _ = server.requests().pop().unwrap().json();
}

#[tokio::test]
async fn scripted_replies_in_order_then_repeats_the_last() {
    let server = TestServer::scripted(vec![
        Reply::status(503).header("retry-after", "0"),
        Reply::text(500, "boom"),
        Reply::json(200, json!({ "ok": true })),
    ])
    .await;
    let mut client = RawClient::connect(server.addr()).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(client.get("/retry").await.status);
    }
    assert_eq!(statuses, [503, 500, 200, 200, 200]);
    assert_eq!(server.request_count(), 5);

    let mut fresh = RawClient::connect(server.addr()).await;
    let last = fresh.get("/retry").await;
    assert_eq!((last.status, last.text().as_str()), (200, r#"{"ok":true}"#));
}

#[tokio::test]
async fn delay_holds_back_the_response_head() {
    let server = TestServer::start(|request| {
        let millis = request.query.as_deref().unwrap().parse().unwrap();
        Reply::text(200, "late").delay(Duration::from_millis(millis))
    })
    .await;

    let mut client = RawClient::connect(server.addr()).await;
    let started = Instant::now();
    let response = client.get("/slow?300").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.text(), "late");

    // A client that gives up first sees nothing, yet the request was counted.
    let mut impatient = RawClient::connect(server.addr()).await;
    impatient
        .send(b"GET /slow?5000 HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    let outcome = tokio::time::timeout(Duration::from_millis(200), impatient.read_head()).await;
    assert!(outcome.is_err(), "the head arrived before the delay ended");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn streamed_reply_has_content_length_and_the_whole_body() {
    let len = 300_000_u64;
    let server = TestServer::scripted(vec![Reply::streamed(200, len)]).await;
    let mut client = RawClient::connect(server.addr()).await;
    let response = client.get("/download").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("300000"));
    assert_eq!(response.body.len() as u64, len);
    assert!(response.body.iter().all(|&b| b == b'x'));
    assert_eq!(server.streamed_bytes(), len);

    // The connection stays usable after a streamed body.
    let again = client.get("/download").await;
    assert_eq!(again.body.len() as u64, len);
    assert_eq!(server.streamed_bytes(), 2 * len);
    assert_eq!(server.accepted_connections(), 1);
}

#[tokio::test]
async fn streamed_reply_stops_when_the_client_goes_away() {
    let len = 1_u64 << 30;
    let server = TestServer::scripted(vec![Reply::streamed(200, len)]).await;
    let mut client = RawClient::connect(server.addr()).await;
    client
        .send(b"GET /huge HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    let (status, headers) = client.read_head().await;
    assert_eq!(status, 200);
    assert!(headers.contains(&("content-length".to_owned(), len.to_string())));
    while client.buffer.len() < 100_000 {
        client.fill().await;
    }
    drop(client);

    // Wait until the server notices and stops producing chunks.
    let mut previous = u64::MAX;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = server.streamed_bytes();
        if now == previous {
            break;
        }
        previous = now;
    }
    assert!(
        server.streamed_bytes() < 64 << 20,
        "server kept streaming: {} bytes",
        server.streamed_bytes()
    );
}

#[tokio::test]
async fn handler_panic_becomes_a_500() {
    let server = TestServer::start(|_| panic!("handler exploded")).await;
    let mut client = RawClient::connect(server.addr()).await;
    let response = client.get("/").await;
    assert_eq!(response.status, 500);
    assert!(response.text().contains("handler exploded"));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn shutdown_and_drop_close_the_listener() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let addr = server.addr();
    let mut open = RawClient::connect(addr).await;
    assert_eq!(open.get("/").await.status, 200);
    server.shutdown().await;
    let refused = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    // The kept-alive connection is closed too: the client reads end-of-stream.
    let eof = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            open.stream.readable().await.unwrap();
            match open.stream.try_read(&mut [0_u8; 64]) {
                Ok(0) => return true,
                Ok(n) => panic!("read {n} bytes from a shut-down server"),
                Err(error) if error.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return true,
            }
        }
    })
    .await;
    assert_eq!(eof, Ok(true), "the kept-alive connection stayed open");

    let dropped = TestServer::start(|_| Reply::status(200)).await;
    let addr = dropped.addr();
    drop(dropped);
    let mut refused = false;
    for _ in 0..100 {
        // A connect racing with the abort may still be accepted or reset; wait for a refusal.
        let outcome = TcpStream::connect(addr).await;
        if outcome.is_err_and(|error| error.kind() == ErrorKind::ConnectionRefused) {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener outlived the dropped TestServer");
}

#[tokio::test]
async fn unused_local_port_refuses_connections() {
    let port = unused_local_port().await;
    assert_ne!(port, 0);
    let error = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
}
