//! Streamed bodies and server-sent events against real local servers: a
//! body read chunk by chunk, an idle stream cut off, a broken stream never
//! replayed, and typed events that resume with `Last-Event-ID`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clientgen_runtime::MicroserviceError;
use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::error::UnavailableReason;
use clientgen_tests::faults::{Fault, FaultServer};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};
use serde::Deserialize;

static FEED: Operation = Operation::new("feed", Method::Get, "/feed");
static PUBLISH: Operation = Operation::new("publish", Method::Post, "/feed");

#[derive(Debug, Deserialize, PartialEq)]
struct Tick {
    n: u32,
}

fn reason(error: &MicroserviceError) -> Option<UnavailableReason> {
    match error {
        MicroserviceError::Unavailable(unavailable) => Some(unavailable.reason()),
        _ => None,
    }
}

#[tokio::test]
async fn a_body_is_read_chunk_by_chunk() {
    let server = TestServer::start(|_| Reply::streamed(200, 3 * 1024 * 1024)).await;
    let svc = client(&server.url(), |config| config.max_body_bytes(1024));
    let response = svc.execute_streaming(Request::new(&FEED)).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let (mut bytes, mut chunks) = (0, 0);
    while let Some(chunk) = body.chunk().await {
        bytes += chunk.unwrap().len();
        chunks += 1;
    }
    assert_eq!(
        bytes,
        3 * 1024 * 1024,
        "the body limit is for bodies read whole"
    );
    assert!(chunks > 1);
}

#[tokio::test]
async fn a_stream_that_falls_silent_ends_with_an_idle_timeout() {
    let server = FaultServer::start(Fault::StallAfterHead).await;
    let svc = client(&server.url(), |config| {
        config.stream_idle_timeout(Duration::from_millis(100))
    });
    let mut body = svc
        .execute_streaming(Request::new(&FEED))
        .await
        .unwrap()
        .into_body();
    assert_eq!(body.chunk().await.unwrap().unwrap().as_ref(), b": hi\n");
    let error = body.chunk().await.unwrap().unwrap_err();
    assert_eq!(reason(&error), Some(UnavailableReason::IdleTimeout));
    assert!(body.chunk().await.is_none(), "the stream ended");
}

#[tokio::test]
async fn a_stream_that_broke_after_its_head_is_not_replayed() {
    let server = FaultServer::start(Fault::TruncatedChunked).await;
    let svc = client(&server.url(), |config| config);
    let mut body = svc
        .execute_streaming(Request::new(&FEED))
        .await
        .unwrap()
        .into_body();
    let mut failed = None;
    while let Some(chunk) = body.chunk().await {
        if let Err(error) = chunk {
            failed = Some(error);
        }
    }
    assert_eq!(
        reason(&failed.unwrap()),
        Some(UnavailableReason::ConnectionReset)
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn events_are_typed_and_resume_with_the_last_event_id() {
    let server = FaultServer::start(Fault::ResumableEvents).await;
    let svc = client(&server.url(), |config| config);
    let mut events = svc
        .execute_events::<Tick>(Request::new(&FEED))
        .await
        .unwrap();
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(
        (first.data, first.id.as_deref()),
        (Tick { n: 1 }, Some("1"))
    );
    let second = events.next().await.unwrap().unwrap();
    assert_eq!(
        (second.data, second.id.as_deref()),
        (Tick { n: 2 }, Some("2"))
    );
    assert!(events.next().await.is_none(), "a clean end ends the stream");
    assert_eq!(
        server.header_values("last-event-id"),
        [None, Some("1".to_owned())]
    );
}

#[tokio::test]
async fn a_stream_of_an_unsafe_operation_does_not_reconnect() {
    let server = FaultServer::start(Fault::ResumableEvents).await;
    let svc = client(&server.url(), |config| config);
    let mut events = svc
        .execute_events::<Tick>(Request::new(&PUBLISH))
        .await
        .unwrap();
    assert_eq!(events.next().await.unwrap().unwrap().data, Tick { n: 1 });
    let error = events.next().await.unwrap().unwrap_err();
    assert_eq!(reason(&error), Some(UnavailableReason::ConnectionReset));
    assert!(events.next().await.is_none());
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn an_event_that_does_not_decode_is_named_and_the_stream_goes_on() {
    let body = "event: tick\nid: 9\ndata: not json\n\ndata: {\"n\": 3}\n\n";
    let server = TestServer::start(move |_| {
        Reply::text(200, body).header("content-type", "text/event-stream")
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let mut events = svc
        .execute_events::<Tick>(Request::new(&FEED))
        .await
        .unwrap();
    let error = events.next().await.unwrap().unwrap_err();
    assert!(error.is_decode(), "{error}");
    let cause = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(cause, "the data of event `tick` (id 9) did not decode");
    assert_eq!(events.next().await.unwrap().unwrap().data, Tick { n: 3 });
    assert!(events.next().await.is_none());
}

static UPLOAD: Operation = Operation::new("upload", Method::Put, "/files/{name}");

#[tokio::test]
async fn a_file_is_uploaded_as_a_stream_and_never_retried() {
    let path = std::env::temp_dir().join(format!("clientgen-upload-{}.bin", std::process::id()));
    let content: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = TestServer::scripted(vec![Reply::status(201), Reply::status(503)]).await;
    let svc = client(&server.url(), |config| config);
    let upload = |name: &'static str| {
        let path = path.clone();
        let svc = svc.clone();
        async move {
            let file = clientgen_runtime::transport::FileStream::open(&path)
                .await
                .unwrap();
            let request = Request::new(&UPLOAD)
                .path_param("name", name)
                .stream_body("application/octet-stream", file);
            svc.execute(request).await
        }
    };
    upload("a.bin").await.unwrap();
    let received = server.requests();
    assert_eq!(received[0].body.len(), content.len());
    assert!(
        received[0].body == content[..],
        "the bytes arrived as they are"
    );
    assert_eq!(
        received[0].header("content-type"),
        Some("application/octet-stream")
    );
    // A PUT is idempotent, yet a streamed body cannot be sent twice.
    let error = upload("b.bin").await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.request_count(), 2, "not retried");
    let _ = std::fs::remove_file(&path);
}

/// A multipart form with a file part read from a stream goes out through
/// the generated client as it is read: the text part, then the file's
/// bytes as they are, and the call is sent once.
#[tokio::test]
async fn a_multipart_file_part_is_streamed_through_the_generated_client() {
    use clientgen_runtime::Multipart;
    use clientgen_tests::features::multipart_body::MultipartBodyClient;
    let path = std::env::temp_dir().join(format!("clientgen-part-{}.bin", std::process::id()));
    let content: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = TestServer::scripted(vec![Reply::status(204), Reply::status(503)]).await;
    let forms = MultipartBodyClient::from_service(client(&server.url(), |config| config));
    let form = |file| {
        Multipart::new().text("title", "Receipt").file_stream(
            "file",
            "receipt.bin",
            "application/octet-stream",
            file,
        )
    };
    let file = clientgen_runtime::transport::FileStream::open(&path)
        .await
        .unwrap();
    forms.upload(form(file)).await.unwrap();

    let received = &server.requests()[0];
    let content_type = received.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReceipt\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"receipt.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(&content);
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert!(received.body == expected[..], "the form arrived as sent");

    let file = clientgen_runtime::transport::FileStream::open(&path)
        .await
        .unwrap();
    let error = forms
        .upload(form(file))
        .idempotency_key("k-1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        server.request_count(),
        2,
        "a streamed form is sent once, even keyed"
    );
    let _ = std::fs::remove_file(&path);
}
