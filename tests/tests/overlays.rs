//! A spec the team does not own, adjusted by an overlay alone: the
//! FastAPI-style notification spec of `generator/tests/features/overlaid.yaml`
//! never marks `action_url` as a frontend link nor declares its idempotency
//! header; `overlaid.overlay.yaml` beside it does both, and the generated
//! client resolves the link on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::types::Nullable;
use clientgen_tests::features::overlaid::{NotificationCreate, OverlaidClient};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};
use serde_json::json;

fn notification(action_url: Option<&str>) -> NotificationCreate {
    NotificationCreate {
        recipient_id: "emp_4821".to_owned(),
        message: "Your leave was approved".to_owned(),
        action_url: action_url.map_or(Nullable::Absent, |url| Nullable::Value(url.to_owned())),
    }
}

#[tokio::test]
async fn a_link_marked_by_an_overlay_is_resolved_on_the_wire() {
    let server = TestServer::start(|_| Reply::json(201, json!({"id": "n-1"}))).await;
    let svc = client(&server.url(), |config| {
        config.frontend_url("https://hr.example.com/app")
    });
    let notifications = OverlaidClient::from_service(svc);
    notifications
        .send_notification(&notification(Some("/approvals/42")))
        .idempotency_key("key-1")
        .await
        .unwrap();
    notifications
        .send_notification(&notification(None))
        .await
        .unwrap();
    let error = notifications
        .send_notification(&notification(Some("//evil.example")))
        .await
        .unwrap_err();
    assert!(error.is_invalid_request(), "{error}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the hostile link never left");
    assert_eq!(
        requests[0].json()["action_url"],
        "https://hr.example.com/app/approvals/42"
    );
    assert_eq!(requests[0].header("idempotency-key"), Some("key-1"));
    assert_eq!(requests[1].json()["action_url"], json!(null));
    // Without a key, the overlay's idempotency header still gets one per call.
    assert_eq!(
        requests[1].header("idempotency-key").map(str::len),
        Some(36)
    );
}
