//! Faults on the wire, through the runtime, against a misbehaving server on
//! 127.0.0.1: each lands in the right `MicroserviceError` category, nothing
//! panics, and an unkeyed POST is never sent twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::MicroserviceError;
use clientgen_runtime::codegen::{Method, Operation, Request, Response};
use clientgen_runtime::error::{DecodeReason, UnavailableReason};
use clientgen_tests::faults::{Fault, FaultServer};
use clientgen_tests::fixtures::client;
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant};

static GET_ITEMS: Operation = Operation::new("listItems", Method::Get, "/items");
static CREATE_ITEM: Operation = Operation::new("createItem", Method::Post, "/items");

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Items {
    items: Vec<String>,
}

fn unavailable_reason(error: &MicroserviceError) -> UnavailableReason {
    match error {
        MicroserviceError::Unavailable(unavailable) => unavailable.reason(),
        other => panic!("expected unavailable, got {other:?}"),
    }
}

/// Makes one call of `request` (default retries) against a fresh server that
/// answers with `fault`; returns how the call ended and the server.
async fn call(
    fault: Fault,
    request: Request,
) -> (Result<Response, MicroserviceError>, FaultServer) {
    let server = FaultServer::start(fault).await;
    let result = client(&server.url(), |config| config)
        .execute(request)
        .await;
    (result, server)
}

#[tokio::test]
async fn a_reset_before_the_response_is_unavailable_and_retried_for_get() {
    let (error, server) = call(Fault::ResetBeforeResponse, Request::new(&GET_ITEMS)).await;
    let error = error.unwrap_err();
    assert_eq!(
        unavailable_reason(&error),
        UnavailableReason::ConnectionReset
    );
    assert_eq!(server.request_count(), 3, "a GET is retried");
}

#[tokio::test]
async fn a_reset_never_makes_an_unkeyed_post_go_twice() {
    let (error, server) = call(
        Fault::ResetBeforeResponse,
        Request::new(&CREATE_ITEM).json(&json!({"name": "x"})),
    )
    .await;
    let error = error.unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_keyed_post_is_retried_after_a_reset_with_the_same_key() {
    let (error, server) = call(
        Fault::ResetBeforeResponse,
        Request::new(&CREATE_ITEM)
            .idempotency_key("order-7")
            .json(&json!({"name": "x"})),
    )
    .await;
    let error = error.unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    assert_eq!(
        server.header_values("idempotency-key"),
        vec![Some("order-7".to_owned()); 3],
        "every attempt carries the caller's key"
    );
}

#[tokio::test]
async fn a_slow_body_is_cut_off_by_the_deadline() {
    let server = FaultServer::start(Fault::SlowBody).await;
    // The head arrives at once; only the body is slow, and the whole call's
    // deadline, not the (longer) attempt timeout, ends it.
    let svc = client(&server.url(), |config| {
        config
            .attempt_timeout(Duration::from_secs(30))
            .deadline(Duration::from_millis(300))
    });
    let started = Instant::now();
    let error = svc.execute(Request::new(&GET_ITEMS)).await.unwrap_err();
    assert_eq!(
        unavailable_reason(&error),
        UnavailableReason::DeadlineExceeded
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_reset_mid_body_is_unavailable() {
    let (error, _server) = call(Fault::ResetMidBody, Request::new(&GET_ITEMS)).await;
    let error = error.unwrap_err();
    assert_eq!(
        unavailable_reason(&error),
        UnavailableReason::ConnectionReset
    );
}

#[tokio::test]
async fn a_truncated_chunked_body_is_unavailable() {
    let (error, _server) = call(Fault::TruncatedChunked, Request::new(&GET_ITEMS)).await;
    let error = error.unwrap_err();
    assert_eq!(
        unavailable_reason(&error),
        UnavailableReason::ConnectionReset
    );
}

#[tokio::test]
async fn a_wrong_content_type_is_a_decode_error() {
    let (response, _server) = call(Fault::WrongContentType, Request::new(&GET_ITEMS)).await;
    let response = response.unwrap();
    let error = response.json::<Items>().unwrap_err();
    let MicroserviceError::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.reason(), DecodeReason::Json);
    assert!(decode.excerpt().starts_with("<html>"));
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_decode_error() {
    let (response, _server) = call(Fault::WrongShape, Request::new(&GET_ITEMS)).await;
    let response = response.unwrap();
    let error = response.json::<Items>().unwrap_err();
    assert!(error.is_decode(), "{error:?}");
    assert!(
        std::error::Error::source(&error)
            .is_some_and(|source| source.to_string().contains("items"))
    );
}
