//! The plan's approval flow (`generated/examples/approvals.rs`) against local
//! upstreams: the happy path, each soft failure, each hard failure, an open
//! breaker on the notification service, and a retried wallet debit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../generated/examples/approvals.rs"]
mod approvals;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use approvals::{ApprovalError, ApprovalsService, LeaveRequest, SoftFailure};
use clientgen_runtime::{BreakerConfig, ErrorCategory, RuntimeConfig};
use clientgen_tests::fixtures::every_service;
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::json;
use service_clients::Clients;

const APPROVER: &str = "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10";

/// How each upstream answers: a status per path kind, `None` for success.
#[derive(Default)]
struct Faults {
    auth: Mutex<Option<u16>>,
    roles: Mutex<Option<Vec<&'static str>>>,
    wallet: Mutex<Vec<u16>>,
    notification: Mutex<Option<u16>>,
    audit: Mutex<Option<u16>>,
    debits: AtomicUsize,
}

fn answer(request: &RecordedRequest, faults: &Faults) -> Reply {
    let segments = request.path_segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["users", id] => match *faults.auth.lock().unwrap() {
            Some(status) => Reply::json(status, json!({"detail": "auth says no"})),
            None => Reply::json(
                200,
                json!({
                    "id": id, "email": "m@example.com", "display_name": "Mira",
                    "roles": faults.roles.lock().unwrap().clone().unwrap_or(vec!["manager"]),
                    "manager_id": null, "created_at": "2024-01-01T00:00:00Z",
                }),
            ),
        },
        ["wallets", employee, "debits"] => {
            let attempt = faults.debits.fetch_add(1, Ordering::SeqCst);
            let script = faults.wallet.lock().unwrap().clone();
            match script.get(attempt).or(script.last()) {
                Some(&status) if status != 201 => {
                    Reply::json(status, json!({"detail": "wallet says no"}))
                }
                _ => Reply::json(
                    201,
                    json!({
                        "id": "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b", "employee_id": employee,
                        "kind": "debit", "days": 2.0, "balance_after": 18.0,
                        "created_at": "2026-11-26T12:00:00Z",
                    }),
                ),
            }
        }
        ["notifications"] => match *faults.notification.lock().unwrap() {
            Some(status) => Reply::json(status, json!({"detail": "notification says no"})),
            None => Reply::json(
                202,
                json!({"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "status": "queued",
                       "queued_at": "2026-11-26T12:00:01Z"}),
            ),
        },
        ["events"] => match *faults.audit.lock().unwrap() {
            Some(status) => {
                Reply::json(status, json!({"code": "down", "message": "audit says no"}))
            }
            None => {
                let mut event = request.json();
                event["id"] = json!("1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9");
                event["recorded_at"] = json!("2026-11-26T12:00:02Z");
                Reply::json(201, event)
            }
        },
        _ => Reply::json(404, json!({"detail": "Not Found"})),
    }
}

struct Harness {
    server: TestServer,
    faults: Arc<Faults>,
    service: ApprovalsService,
    steps: Arc<Mutex<Vec<String>>>,
}

async fn harness(breaker: BreakerConfig) -> Harness {
    let faults = Arc::new(Faults::default());
    let shared = Arc::clone(&faults);
    let server = TestServer::start(move |request| answer(request, &shared)).await;
    let url = server.url();
    let config = every_service(
        RuntimeConfig::builder()
            .frontend_url("https://hr.example.com/app")
            .backoff(Duration::from_millis(1), Duration::from_millis(5))
            .breaker(breaker),
        |_| url.clone(),
    );
    let clients = Clients::new(config.build().unwrap()).unwrap();
    let steps = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&steps);
    let service = ApprovalsService::new(clients, move |step| {
        sink.lock().unwrap().push(step.to_string());
    });
    Harness {
        server,
        faults,
        service,
        steps,
    }
}

fn request() -> LeaveRequest {
    LeaveRequest {
        id: 42,
        employee_id: "emp-7".to_owned(),
        approver: APPROVER.parse().unwrap(),
        days: 2.0,
    }
}

fn seen(harness: &Harness, first_segment: &str) -> Vec<RecordedRequest> {
    harness
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path_segments().first().map(String::as_str) == Some(first_segment))
        .collect()
}

#[tokio::test]
async fn happy_path_debits_notifies_with_an_absolute_link_and_audits() {
    let harness = harness(BreakerConfig::default()).await;
    let approval = harness.service.approve(&request()).await.unwrap();
    assert!(approval.soft_failures.is_empty());
    assert_eq!(
        approval.link.as_deref(),
        Some("https://hr.example.com/app/approvals/42")
    );
    assert_eq!(approval.transaction.balance_after, 18.0);

    let users = seen(&harness, "users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].path, format!("/users/{APPROVER}"));
    let debits = seen(&harness, "wallets");
    assert_eq!(debits.len(), 1);
    assert_eq!(
        debits[0].header("idempotency-key"),
        Some("leave-approval-42")
    );
    assert_eq!(
        debits[0].json(),
        json!({"days": 2.0, "reason": "Leave request 42 approved", "request_id": "42"})
    );
    let notifications = seen(&harness, "notifications");
    assert_eq!(notifications.len(), 1);
    assert_eq!(
        notifications[0].json()["action_url"],
        json!("https://hr.example.com/app/approvals/42")
    );
    assert_eq!(notifications[0].json()["recipient_id"], json!(APPROVER));
    let events = seen(&harness, "events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].json()["action"], json!("leave.approved"));
    assert_eq!(events[0].header("x-audit-key"), Some("k3y"));

    let steps = harness.steps.lock().unwrap().clone();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(
        steps[2].contains("https://hr.example.com/app/approvals/42"),
        "{steps:?}"
    );
}

#[tokio::test]
async fn a_notification_failure_is_soft() {
    for status in [500, 503, 422] {
        let harness = harness(BreakerConfig::default()).await;
        *harness.faults.notification.lock().unwrap() = Some(status);
        let approval = harness.service.approve(&request()).await.unwrap();
        assert!(approval.link.is_none());
        assert!(matches!(
            approval.soft_failures.as_slice(),
            [SoftFailure::Notification(error)] if error.status() == Some(status)
        ));
        assert_eq!(seen(&harness, "events").len(), 1, "audit still written");
        let steps = harness.steps.lock().unwrap().clone();
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("warning: notification failed")),
            "{steps:?}"
        );
    }
}

#[tokio::test]
async fn an_audit_failure_is_soft() {
    let harness = harness(BreakerConfig::default()).await;
    *harness.faults.audit.lock().unwrap() = Some(503);
    let approval = harness.service.approve(&request()).await.unwrap();
    assert!(approval.link.is_some());
    assert!(matches!(
        approval.soft_failures.as_slice(),
        [SoftFailure::Audit(error)] if error.status() == Some(503)
    ));
    assert_eq!(
        seen(&harness, "events").len(),
        1,
        "an unkeyed POST is not retried"
    );
}

#[tokio::test]
async fn an_auth_failure_is_hard_with_the_upstream_category() {
    for (status, category) in [
        (401, ErrorCategory::Unauthorized),
        (403, ErrorCategory::Unauthorized),
        (404, ErrorCategory::Response),
        (503, ErrorCategory::Response),
    ] {
        let harness = harness(BreakerConfig::default()).await;
        *harness.faults.auth.lock().unwrap() = Some(status);
        let error = harness.service.approve(&request()).await.unwrap_err();
        assert!(
            matches!(error, ApprovalError::Auth(_)),
            "{status}: {error:?}"
        );
        assert_eq!(error.category(), Some(category), "{status}");
        assert!(seen(&harness, "wallets").is_empty(), "nothing debited");
        assert!(seen(&harness, "notifications").is_empty());
    }
}

#[tokio::test]
async fn an_approver_who_is_not_a_manager_is_refused() {
    let harness = harness(BreakerConfig::default()).await;
    *harness.faults.roles.lock().unwrap() = Some(vec!["employee"]);
    let error = harness.service.approve(&request()).await.unwrap_err();
    assert!(matches!(error, ApprovalError::NotAManager(_)));
    assert!(seen(&harness, "wallets").is_empty());
}

#[tokio::test]
async fn a_wallet_failure_is_hard_and_stops_the_flow() {
    for (status, category) in [
        (409, ErrorCategory::Response),
        (401, ErrorCategory::Unauthorized),
        (503, ErrorCategory::Response),
    ] {
        let harness = harness(BreakerConfig::default()).await;
        *harness.faults.wallet.lock().unwrap() = vec![status];
        let error = harness.service.approve(&request()).await.unwrap_err();
        assert!(
            matches!(error, ApprovalError::Wallet(_)),
            "{status}: {error:?}"
        );
        assert_eq!(error.category(), Some(category));
        assert!(seen(&harness, "notifications").is_empty());
        assert!(seen(&harness, "events").is_empty());
    }
}

#[tokio::test]
async fn a_retried_503_on_the_debit_carries_the_same_idempotency_key() {
    let harness = harness(BreakerConfig::default()).await;
    *harness.faults.wallet.lock().unwrap() = vec![503, 201];
    let approval = harness.service.approve(&request()).await.unwrap();
    assert!(approval.soft_failures.is_empty());
    let debits = seen(&harness, "wallets");
    assert_eq!(debits.len(), 2, "one retry");
    let keys: Vec<_> = debits
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["leave-approval-42", "leave-approval-42"]);
}

#[tokio::test]
async fn an_open_notification_breaker_fails_fast_and_the_approval_stands() {
    let harness = harness(BreakerConfig {
        failure_ratio: 0.5,
        minimum_calls: 2,
        window: Duration::from_secs(30),
        open_duration: Duration::from_secs(60),
        half_open_probes: 1,
    })
    .await;
    *harness.faults.notification.lock().unwrap() = Some(500);
    for _ in 0..2 {
        harness.service.approve(&request()).await.unwrap();
    }
    let notifications_before = seen(&harness, "notifications").len();
    assert_eq!(notifications_before, 2);

    let started = Instant::now();
    let approval = harness.service.approve(&request()).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        seen(&harness, "notifications").len(),
        notifications_before,
        "the open breaker sent nothing"
    );
    assert!(matches!(
        approval.soft_failures.as_slice(),
        [SoftFailure::Notification(error)] if error.category() == ErrorCategory::Unavailable
    ));
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}
