//! The plan's approval flow over an upstream in memory
//! (`transport::FakeUpstream`): the generated clients and the whole runtime
//! run as in production, only the socket is gone, and the clock is
//! tokio's paused one. Each test asserts that no socket was opened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../generated/examples/approvals.rs"]
mod approvals;

use std::time::Duration;

use approvals::{ApprovalError, ApprovalsService, LeaveRequest, SoftFailure};
use clientgen_runtime::error::UnavailableReason;
use clientgen_runtime::transport::{FakeReply, FakeUpstream};
use clientgen_runtime::{BreakerConfig, MicroserviceError, RuntimeConfig, Session};
use clientgen_tests::fixtures::every_service;
use serde_json::json;
use service_clients::Clients;

const APPROVER: &str = "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10";

/// Sockets this process holds now.
fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| std::fs::read_link(entry.path()).ok())
                .filter(|target| target.to_string_lossy().starts_with("socket:"))
                .count()
        })
        .unwrap_or(0)
}

/// An upstream where every operation of the flow succeeds.
fn healthy() -> FakeUpstream {
    let upstream = FakeUpstream::new();
    upstream
        .on("getUser", |call| {
            FakeReply::json(
                200,
                &json!({
                    "id": call.path().rsplit('/').next(), "email": "m@example.com",
                    "display_name": "Mira", "roles": ["manager"], "manager_id": null,
                    "created_at": "2024-01-01T00:00:00Z",
                }),
            )
        })
        .on("debitLeave", |call| {
            let employee = call.path().split('/').nth(2).unwrap_or_default().to_owned();
            FakeReply::json(
                201,
                &json!({
                    "id": "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b", "employee_id": employee,
                    "kind": "debit", "days": 2.0, "balance_after": 18.0,
                    "created_at": "2026-11-26T12:00:00Z",
                }),
            )
        })
        .on("sendNotification", |_| {
            FakeReply::json(
                202,
                &json!({"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "status": "queued",
                        "queued_at": "2026-11-26T12:00:01Z"}),
            )
        })
        .on("writeAuditEvent", |call| {
            let mut event: serde_json::Value = call.json().unwrap_or_default();
            event["id"] = json!("1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9");
            event["recorded_at"] = json!("2026-11-26T12:00:02Z");
            FakeReply::json(201, &event)
        });
    upstream
}

fn service(upstream: &FakeUpstream, breaker: BreakerConfig) -> ApprovalsService {
    let config = every_service(
        RuntimeConfig::builder()
            .frontend_url("https://hr.example.com/app")
            .breaker(breaker),
        |service| format!("http://{service}.test"),
    );
    let session = Session::with_transport(config.build().unwrap(), upstream.clone());
    ApprovalsService::new(Clients::from_session(&session).unwrap(), |_| {})
}

fn request() -> LeaveRequest {
    LeaveRequest {
        id: 42,
        employee_id: "emp-7".to_owned(),
        approver: APPROVER.parse().unwrap(),
        days: 2.0,
    }
}

#[tokio::test(start_paused = true)]
async fn the_happy_path_without_a_socket() {
    let before = sockets();
    let upstream = healthy();
    let approval = service(&upstream, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap();
    assert!(approval.soft_failures.is_empty());
    assert_eq!(
        approval.link.as_deref(),
        Some("https://hr.example.com/app/approvals/42")
    );
    let debit = &upstream.calls_to("debitLeave")[0];
    assert_eq!(debit.header("idempotency-key"), Some("leave-approval-42"));
    assert_eq!(debit.header("authorization"), Some("Bearer t0ken"));
    let notification: serde_json::Value = upstream.calls_to("sendNotification")[0].json().unwrap();
    assert_eq!(
        notification["action_url"],
        "https://hr.example.com/app/approvals/42"
    );
    assert_eq!(
        upstream.calls_to("writeAuditEvent")[0].header("x-audit-key"),
        Some("k3y")
    );
    assert_eq!(sockets(), before, "no socket was opened");
}

#[tokio::test(start_paused = true)]
async fn soft_failures_of_notification_and_audit_keep_the_approval() {
    let upstream = healthy();
    // The notification service never answers: its attempts time out on
    // the paused clock, which runs them at once.
    upstream.script(
        "sendNotification",
        [FakeReply::Hang, FakeReply::Hang, FakeReply::Hang],
    );
    upstream.script("writeAuditEvent", [FakeReply::status(500)]);
    let approval = service(&upstream, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap();
    assert!(approval.link.is_none());
    assert_eq!(approval.soft_failures.len(), 2);
    assert!(matches!(
        &approval.soft_failures[0],
        SoftFailure::Notification(MicroserviceError::Unavailable(_))
    ));
    assert!(
        matches!(&approval.soft_failures[1], SoftFailure::Audit(error) if error.status() == Some(500))
    );
}

#[tokio::test(start_paused = true)]
async fn hard_failures_of_auth_and_the_wallet_stop_the_approval() {
    let upstream = healthy();
    upstream.script(
        "getUser",
        [FakeReply::Refuse, FakeReply::Refuse, FakeReply::Refuse],
    );
    let error = service(&upstream, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap_err();
    let ApprovalError::Auth(MicroserviceError::Unavailable(unavailable)) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(unavailable.reason(), UnavailableReason::Connect);
    assert!(upstream.calls_to("debitLeave").is_empty());

    let upstream = healthy();
    upstream.script(
        "debitLeave",
        [FakeReply::json(
            409,
            &json!({"detail": "insufficient balance"}),
        )],
    );
    let error = service(&upstream, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApprovalError::Wallet(error) if error.status() == Some(409)),
        "{error:?}"
    );
    assert!(upstream.calls_to("sendNotification").is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_retried_503_keeps_one_idempotency_key_and_an_open_breaker_fails_fast() {
    let upstream = healthy();
    upstream.script(
        "debitLeave",
        [FakeReply::status(503).header("retry-after", "2")],
    );
    service(&upstream, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap();
    let debits = upstream.calls_to("debitLeave");
    assert_eq!(debits.len(), 2);
    assert_eq!(
        debits[0].header("idempotency-key"),
        debits[1].header("idempotency-key")
    );

    let upstream = healthy();
    upstream.on("sendNotification", |_| FakeReply::status(503));
    let breaker = BreakerConfig {
        minimum_calls: 2,
        open_duration: Duration::from_secs(30),
        ..BreakerConfig::default()
    };
    let approvals = service(&upstream, breaker);
    for _ in 0..3 {
        approvals.approve(&request()).await.unwrap();
    }
    let sent = upstream.calls_to("sendNotification").len();
    let approval = approvals.approve(&request()).await.unwrap();
    let SoftFailure::Notification(MicroserviceError::Unavailable(unavailable)) =
        &approval.soft_failures[0]
    else {
        panic!("{:?}", approval.soft_failures)
    };
    assert_eq!(unavailable.reason(), UnavailableReason::CircuitOpen);
    assert_eq!(
        upstream.calls_to("sendNotification").len(),
        sent,
        "the open breaker sent nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn an_operation_without_a_handler_answers_with_its_name() {
    let upstream = FakeUpstream::new();
    let error = service(&upstream, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap_err();
    let ApprovalError::Auth(error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(error.status(), Some(501));
    assert!(
        error
            .body_excerpt()
            .unwrap()
            .contains("no handler for operation `getUser`")
    );
}
