//! A giant body is never buffered: through the generated auth client, a
//! 1 GiB answer (2xx, and an error status) against a 1 MiB limit ends the
//! call with the right error while the process's peak memory stays far below
//! the body. One test in its own binary, so the peak RSS is this test's alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::error::DecodeReason;
use clientgen_runtime::{Credentials, MicroserviceError, Session};
use clientgen_tests::fixtures::fast_config;
use clientgen_tests::server::{Reply, TestServer};
use service_clients::auth::AuthClient;

const GIB: u64 = 1024 * 1024 * 1024;
const LIMIT: usize = 1024 * 1024;

/// Peak resident set size of this process so far, in bytes.
fn peak_rss() -> u64 {
    clientgen_tests::memory::peak_rss().expect("VmHWM in /proc/self/status")
}

fn client(url: &str) -> AuthClient {
    let config = fast_config("auth", url)
        .credentials("auth", Credentials::bearer("t0ken"))
        .max_body_bytes(LIMIT)
        .max_attempts(1)
        .build()
        .unwrap();
    AuthClient::new(&Session::new(config).unwrap()).unwrap()
}

#[tokio::test]
async fn a_gigabyte_body_is_refused_in_bounded_memory() {
    let before = peak_rss();

    let server = TestServer::start(|_| Reply::streamed(200, GIB)).await;
    let error = client(&server.url()).get_user("u-1").await.unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.reason(), DecodeReason::BodyTooLarge);
    server.shutdown().await;

    let server = TestServer::start(|_| Reply::streamed(500, GIB)).await;
    let error = client(&server.url()).get_user("u-1").await.unwrap_err();
    let MicroserviceError::Response(response) = &error else {
        panic!("expected a response error, got {error:?}");
    };
    assert_eq!(response.status(), 500);
    assert!(response.excerpt().len() <= 600);
    server.shutdown().await;

    // A buffered body would add a gigabyte; the limit, socket buffers and
    // the runtime's own allocations stay within a few dozen megabytes.
    let grown = peak_rss().saturating_sub(before);
    assert!(
        grown < 64 * 1024 * 1024,
        "peak memory grew by {} MiB for two 1 GiB bodies",
        grown >> 20
    );
}
