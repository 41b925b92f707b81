//! A gigabyte streamed through `execute_streaming` in bounded memory. One
//! test in its own binary, so the peak RSS is this test's alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};

const GIB: u64 = 1024 * 1024 * 1024;

static DOWNLOAD: Operation = Operation::new("download", Method::Get, "/export");

/// Peak resident set size of this process so far, in bytes.
fn peak_rss() -> u64 {
    clientgen_tests::memory::peak_rss().expect("VmHWM in /proc/self/status")
}

#[tokio::test]
async fn a_gigabyte_is_streamed_in_bounded_memory() {
    let server = TestServer::start(|_| Reply::streamed(200, GIB)).await;
    let svc = client(&server.url(), |config| config);
    let before = peak_rss();
    let mut body = svc
        .execute_streaming(Request::new(&DOWNLOAD))
        .await
        .unwrap()
        .into_body();
    let mut bytes = 0u64;
    while let Some(chunk) = body.chunk().await {
        bytes += chunk.unwrap().len() as u64;
    }
    assert_eq!(bytes, GIB);
    let grown = peak_rss().saturating_sub(before);
    assert!(
        grown < 16 * 1024 * 1024,
        "peak memory grew by {} MiB while streaming 1 GiB",
        grown >> 20
    );
}
