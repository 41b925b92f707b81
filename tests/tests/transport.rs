//! The default transport's HTTP client settings against real local servers:
//! extra root certificates, HTTP/2 by ALPN, mutual TLS, proxies, and no
//! state installed for the process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::error::UnavailableReason;
use clientgen_runtime::{MicroserviceError, RuntimeConfig, ServiceClient, Session};
use clientgen_tests::server::{Reply, TestServer};
use clientgen_tests::tls::{TlsServer, fixture};

static GET_USER: Operation = Operation::new("getUser", Method::Get, "/users/{user_id}");

fn client(vars: &[(&str, &str)]) -> ServiceClient {
    let config = RuntimeConfig::from_vars(vars.iter().copied()).unwrap();
    Session::new(config).unwrap().service("auth").unwrap()
}

async fn get(client: &ServiceClient) -> Result<serde_json::Value, MicroserviceError> {
    client
        .execute(Request::new(&GET_USER).path_param("user_id", 7))
        .await?
        .json()
}

fn reason(error: &MicroserviceError) -> Option<UnavailableReason> {
    match error {
        MicroserviceError::Unavailable(unavailable) => Some(unavailable.reason()),
        _ => None,
    }
}

#[tokio::test]
async fn a_self_signed_upstream_is_trusted_only_through_the_ca_setting() {
    let server = TlsServer::start(false, Duration::ZERO).await.unwrap();
    let url = server.url();
    let untrusting = client(&[("AUTH_SERVICE_URL", &url)]);
    let error = get(&untrusting).await.unwrap_err();
    assert_eq!(reason(&error), Some(UnavailableReason::Connect), "{error}");

    let ca = fixture("ca.pem");
    let trusting = client(&[("AUTH_SERVICE_URL", &url), ("CLIENTGEN_CA_FILE", &ca)]);
    let user = get(&trusting).await.unwrap();
    assert_eq!(user["name"], "Ada");
    assert_eq!(server.versions(), ["HTTP/2.0"], "ALPN chose HTTP/2");
}

#[tokio::test]
async fn over_http2_sixty_four_concurrent_calls_share_one_connection() {
    let server = TlsServer::start(false, Duration::from_millis(50))
        .await
        .unwrap();
    let ca = fixture("ca.pem");
    let svc = client(&[
        ("AUTH_SERVICE_URL", &server.url()),
        ("CLIENTGEN_CA_FILE", &ca),
    ]);
    get(&svc).await.unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let svc = svc.clone();
        calls.spawn(async move { get(&svc).await.map(drop) });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(server.versions().len(), 65);
    assert_eq!(server.accepted_connections(), 1);
}

#[tokio::test]
async fn http1_only_never_negotiates_http2() {
    let server = TlsServer::start(false, Duration::ZERO).await.unwrap();
    let ca = fixture("ca.pem");
    let svc = client(&[
        ("AUTH_SERVICE_URL", &server.url()),
        ("CLIENTGEN_CA_FILE", &ca),
        ("CLIENTGEN_HTTP1_ONLY", "true"),
    ]);
    get(&svc).await.unwrap();
    assert_eq!(server.versions(), ["HTTP/1.1"]);
}

#[tokio::test]
async fn mutual_tls_presents_the_configured_identity() {
    let server = TlsServer::start(true, Duration::ZERO).await.unwrap();
    let (ca, cert, key) = (
        fixture("ca.pem"),
        fixture("client.pem"),
        fixture("client.key"),
    );
    let anonymous = client(&[
        ("AUTH_SERVICE_URL", &server.url()),
        ("CLIENTGEN_CA_FILE", &ca),
    ]);
    let error = get(&anonymous).await.unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    assert!(
        server.versions().is_empty(),
        "no request without a certificate"
    );

    let identified = client(&[
        ("AUTH_SERVICE_URL", &server.url()),
        ("CLIENTGEN_CA_FILE", &ca),
        ("CLIENTGEN_CLIENT_CERT_FILE", &cert),
        ("CLIENTGEN_CLIENT_KEY_FILE", &key),
    ]);
    assert_eq!(get(&identified).await.unwrap()["id"], "7");
}

#[tokio::test]
async fn requests_go_through_the_proxy_unless_no_proxy_names_the_host() {
    let proxy = TestServer::start(|_| Reply::json(200, serde_json::json!({"via": "proxy"}))).await;
    let direct =
        TestServer::start(|_| Reply::json(200, serde_json::json!({"via": "direct"}))).await;
    let proxied = client(&[
        ("AUTH_SERVICE_URL", "http://auth.upstream.test:8080"),
        ("http_proxy", &proxy.url()),
    ]);
    assert_eq!(get(&proxied).await.unwrap()["via"], "proxy");
    let seen = proxy.requests();
    assert_eq!(seen[0].header("host"), Some("auth.upstream.test:8080"));
    assert_eq!(seen[0].path, "/users/7");

    let bypassing = client(&[
        ("AUTH_SERVICE_URL", &direct.url()),
        ("HTTP_PROXY", &proxy.url()),
        ("NO_PROXY", "127.0.0.1"),
    ]);
    assert_eq!(get(&bypassing).await.unwrap()["via"], "direct");
    assert_eq!(proxy.request_count(), 1);
}

/// Building sessions installs nothing for the process: no rustls default
/// provider that another library's client would then meet, and two sessions
/// with different settings serve side by side.
#[tokio::test]
async fn sessions_with_different_settings_coexist_without_process_state() {
    let server = TlsServer::start(false, Duration::ZERO).await.unwrap();
    let ca = fixture("ca.pem");
    let trusting = client(&[
        ("AUTH_SERVICE_URL", &server.url()),
        ("CLIENTGEN_CA_FILE", &ca),
    ]);
    let untrusting = client(&[("AUTH_SERVICE_URL", &server.url())]);
    assert!(get(&trusting).await.is_ok());
    assert!(get(&untrusting).await.is_err());
    assert!(get(&trusting).await.is_ok());
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
}

/// An upstream in memory: answers every request with one JSON user, and
/// counts the requests. It speaks only the runtime's own types.
#[derive(Debug, Default)]
struct InMemoryAuth {
    seen: std::sync::Mutex<Vec<(String, Option<String>)>>,
}

impl clientgen_runtime::Transport for InMemoryAuth {
    fn send(
        &self,
        request: clientgen_runtime::transport::HttpRequest,
    ) -> clientgen_runtime::transport::TransportFuture<'_> {
        let authorization = request.headers.get("authorization").map(str::to_owned);
        self.seen
            .lock()
            .unwrap()
            .push((request.url.path().to_owned(), authorization));
        Box::pin(async {
            let user = br#"{"id":"u-42","email":"ada@example.com","display_name":"Ada","roles":["manager"],"created_at":"2025-01-02T03:04:05Z"}"#;
            Ok(clientgen_runtime::transport::HttpResponse::new(
                200,
                clientgen_runtime::Headers::new(),
                clientgen_runtime::ResponseBody::from_bytes(&user[..]),
            ))
        })
    }
}

/// A consumer's test runs the generated clients without a socket: the
/// whole call path (credentials, retries, the breaker, decoding) runs over
/// its own transport.
#[tokio::test]
async fn generated_clients_run_over_a_transport_without_sockets() {
    let upstream = std::sync::Arc::new(InMemoryAuth::default());
    let config = RuntimeConfig::builder()
        .service_url("auth", "http://auth.invalid")
        .credentials("auth", clientgen_runtime::Credentials::bearer("t-1"))
        .build()
        .unwrap();
    let session = Session::with_transport(config, std::sync::Arc::clone(&upstream));
    let auth = service_clients::auth::AuthClient::new(&session).unwrap();
    let user = auth.get_user("u-42").await.unwrap();
    assert_eq!(user.display_name, "Ada");
    let seen = upstream.seen.lock().unwrap();
    assert_eq!(
        *seen,
        [("/users/u-42".to_owned(), Some("Bearer t-1".to_owned()))]
    );
}
