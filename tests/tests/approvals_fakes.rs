//! The plan's approval flow over the generated typed fakes
//! (`service_clients::fakes::Fakes`): handlers take each operation's typed
//! arguments and answer typed values; the generated clients and the whole
//! runtime run as in production, only the socket is gone, and the clock is
//! tokio's paused one. Each test asserts that no socket was opened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../generated/examples/approvals.rs"]
mod approvals;

use std::time::Duration;

use approvals::{ApprovalError, ApprovalsService, LeaveRequest, SoftFailure};
use clientgen_runtime::error::UnavailableReason;
use clientgen_runtime::{BreakerConfig, MicroserviceError, RuntimeConfig};
use clientgen_tests::fixtures::every_service;
use service_clients::audit::AuditEvent;
use service_clients::auth::{Role, User};
use service_clients::fakes::{Answer, Fakes};
use service_clients::leaves_wallet::fake::DebitLeaveError;
use service_clients::leaves_wallet::{ErrorDetail, LeaveTransaction, TransactionKind};
use service_clients::notification::{DeliveryStatus, NotificationAccepted};

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

fn at(time: &str) -> clientgen_runtime::codegen::DateTime {
    time.parse().unwrap()
}

/// Fakes where every operation of the flow succeeds.
fn healthy() -> Fakes {
    let fakes = Fakes::new();
    fakes.auth.on_get_user(|args| {
        Answer::ok(User {
            id: args.user_id,
            email: "m@example.com".to_owned(),
            display_name: "Mira".to_owned(),
            roles: vec![Role::Manager],
            manager_id: None,
            created_at: at("2024-01-01T00:00:00Z"),
        })
    });
    fakes.leaves_wallet.on_debit_leave(|args| {
        Answer::ok(LeaveTransaction {
            id: "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b".parse().unwrap(),
            employee_id: args.employee_id,
            kind: TransactionKind::Debit,
            days: args.body.days,
            balance_after: 20.0 - args.body.days,
            created_at: at("2026-11-26T12:00:00Z"),
        })
    });
    fakes.notification.on_send_notification(|_| {
        Answer::ok(NotificationAccepted {
            id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d".parse().unwrap(),
            status: DeliveryStatus::Queued,
            queued_at: at("2026-11-26T12:00:01Z"),
        })
    });
    fakes.audit.on_write_audit_event(|args| {
        let event = args.body;
        Answer::ok(AuditEvent {
            action: event.action,
            occurred_at: event.occurred_at,
            actor: event.actor,
            target: event.target,
            details: event.details,
            id: "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9".parse().unwrap(),
            recorded_at: at("2026-11-26T12:00:02Z"),
        })
    });
    fakes
}

fn service(fakes: &Fakes, breaker: BreakerConfig) -> ApprovalsService {
    let config = every_service(
        RuntimeConfig::builder()
            .frontend_url("https://hr.example.com/app")
            .breaker(breaker),
        |service| format!("http://{service}.test"),
    );
    ApprovalsService::new(fakes.clients(config).unwrap(), |_| {})
}

fn request() -> LeaveRequest {
    LeaveRequest {
        id: 42,
        employee_id: "emp-7".to_owned(),
        approver: APPROVER.parse().unwrap(),
        days: 2.0,
    }
}

fn insufficient_balance() -> DebitLeaveError {
    DebitLeaveError::Conflict(ErrorDetail {
        detail: "insufficient balance".to_owned(),
    })
}

#[tokio::test(start_paused = true)]
async fn the_happy_path_without_a_socket() {
    let before = sockets();
    let fakes = healthy();
    let approval = service(&fakes, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap();
    assert!(approval.soft_failures.is_empty());
    assert_eq!(
        approval.link.as_deref(),
        Some("https://hr.example.com/app/approvals/42")
    );
    let debit = &fakes.leaves_wallet.debit_leave_calls()[0];
    assert_eq!(
        (debit.employee_id.as_str(), debit.body.days),
        ("emp-7", 2.0)
    );
    assert_eq!(debit.idempotency_key, "leave-approval-42");
    let notification = &fakes.notification.send_notification_calls()[0];
    assert_eq!(
        notification.body.action_url.value().map(String::as_str),
        Some("https://hr.example.com/app/approvals/42"),
        "the link was resolved against FRONTEND_URL before it was sent"
    );
    assert_eq!(
        fakes.auth.get_user_calls()[0].user_id,
        APPROVER,
        "the approver was looked up"
    );
    // Credentials are no operation's arguments: the raw request has them.
    let raw = fakes.upstream().calls();
    assert_eq!(
        raw.iter()
            .find(|call| call.operation == "debitLeave")
            .and_then(|call| call.header("authorization")),
        Some("Bearer t0ken")
    );
    assert_eq!(
        raw.iter()
            .find(|call| call.operation == "writeAuditEvent")
            .and_then(|call| call.header("x-audit-key")),
        Some("k3y")
    );
    assert_eq!(sockets(), before, "no socket was opened");
}

#[tokio::test(start_paused = true)]
async fn soft_failures_of_notification_and_audit_keep_the_approval() {
    let before = sockets();
    let fakes = healthy();
    // The notification service never answers: its attempts time out on
    // the paused clock, which runs them at once.
    fakes
        .notification
        .script_send_notification([Answer::hang()]);
    fakes.audit.script_write_audit_event([Answer::status(500)]);
    let approval = service(&fakes, BreakerConfig::default())
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
    assert_eq!(
        fakes.notification.send_notification_calls().len(),
        1,
        "a POST without an idempotency key is not sent again after it timed out"
    );
    assert_eq!(sockets(), before, "no socket was opened");
}

#[tokio::test(start_paused = true)]
async fn hard_failures_of_auth_and_the_wallet_stop_the_approval() {
    let before = sockets();
    let fakes = healthy();
    fakes
        .auth
        .script_get_user([Answer::refuse(), Answer::refuse(), Answer::refuse()]);
    let error = service(&fakes, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap_err();
    let ApprovalError::Auth(MicroserviceError::Unavailable(unavailable)) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(unavailable.reason(), UnavailableReason::Connect);
    assert!(fakes.leaves_wallet.debit_leave_calls().is_empty());

    let fakes = healthy();
    fakes
        .leaves_wallet
        .script_debit_leave([Answer::error(insufficient_balance())]);
    let error = service(&fakes, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap_err();
    let ApprovalError::Wallet(error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(error.status(), Some(409));
    assert_eq!(
        error.body::<ErrorDetail>().map(|body| body.detail.as_str()),
        Some("insufficient balance"),
        "the declared error's typed body reached the caller"
    );
    assert!(fakes.notification.send_notification_calls().is_empty());
    assert_eq!(sockets(), before, "no socket was opened");
}

#[tokio::test(start_paused = true)]
async fn a_retried_503_keeps_one_idempotency_key_and_an_open_breaker_fails_fast() {
    let before = sockets();
    let fakes = healthy();
    fakes
        .leaves_wallet
        .script_debit_leave([Answer::status(503).header("retry-after", "2")]);
    service(&fakes, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap();
    let debits = fakes.leaves_wallet.debit_leave_calls();
    assert_eq!(debits.len(), 2);
    assert_eq!(debits[0].idempotency_key, debits[1].idempotency_key);

    let fakes = healthy();
    fakes
        .notification
        .on_send_notification(|_| Answer::status(503));
    let breaker = BreakerConfig {
        minimum_calls: 2,
        open_duration: Duration::from_secs(30),
        ..BreakerConfig::default()
    };
    let approvals = service(&fakes, breaker);
    for _ in 0..3 {
        approvals.approve(&request()).await.unwrap();
    }
    let sent = fakes.notification.send_notification_calls().len();
    let approval = approvals.approve(&request()).await.unwrap();
    let SoftFailure::Notification(MicroserviceError::Unavailable(unavailable)) =
        &approval.soft_failures[0]
    else {
        panic!("{:?}", approval.soft_failures)
    };
    assert_eq!(unavailable.reason(), UnavailableReason::CircuitOpen);
    assert_eq!(
        fakes.notification.send_notification_calls().len(),
        sent,
        "the open breaker sent nothing"
    );
    assert_eq!(sockets(), before, "no socket was opened");
}

#[tokio::test(start_paused = true)]
async fn an_operation_without_a_handler_answers_with_its_name() {
    let fakes = Fakes::new();
    let error = service(&fakes, BreakerConfig::default())
        .approve(&request())
        .await
        .unwrap_err();
    let ApprovalError::Auth(error) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(error.status(), Some(501));
    let excerpt = error.body_excerpt().unwrap();
    assert!(
        excerpt.contains("no handler for operation `getUser` of service `auth`"),
        "{excerpt}"
    );
}
