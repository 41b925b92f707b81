//! Every operation of the six specs, called through the generated clients
//! against Stoplight Prism (`prism mock --errors`), an implementation of the
//! specs we did not write: Prism rejects any request that violates the spec,
//! and its example responses must decode into the generated types.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::types::Nullable;
use std::time::Duration;

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::types::{DateTime, Uuid};
use clientgen_runtime::{Credentials, RetryPolicy, RuntimeConfig, Session};
use clientgen_tests::prism::PrismMock;
use serde_json::json;
use service_clients::{CallOptions, MicroserviceError};
use service_clients::{audit, auth, config, expensive_wallet, leaves_wallet, notification};

/// A session whose `service` points at `prism`, with credentials of the
/// kind its spec declares.
fn session(service: &str, prism: &PrismMock, credentials: Credentials) -> Session {
    let config = RuntimeConfig::builder()
        .service_url(service, prism.url())
        .credentials(service, credentials)
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Session::new(config).unwrap()
}

/// Fails with Prism's verdict when a call was rejected.
fn accepted<T>(prism: &PrismMock, what: &str, result: Result<T, MicroserviceError>) -> T {
    result.unwrap_or_else(|error| {
        panic!(
            "{what}: {error}\nbody: {:?}\nprism log:\n{}",
            error.body_excerpt(),
            prism.log()
        )
    })
}

fn no_retry<C>(with: impl Fn(CallOptions) -> C) -> C {
    with(CallOptions::new().retry(RetryPolicy::never()))
}

fn at(text: &str) -> DateTime {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_operations_pass_prism_validation() {
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/auth.yaml"))
        .await
        .unwrap();
    let session = session("auth", &prism, Credentials::bearer("t0ken"));
    let client = no_retry(|o| auth::AuthClient::new(&session).unwrap().with_options(o));
    let user = accepted(&prism, "getUser", client.get_user("u-1001").await);
    assert!(!user.id.is_empty());
    let me = accepted(&prism, "getCurrentUser", client.get_current_user().await);
    assert!(!me.roles.is_empty());
    let request = auth::TokenValidationRequest {
        token: "eyJhbGciOi.payload.sig".to_owned(),
    };
    let validation = accepted(
        &prism,
        "validateToken",
        client.validate_token(&request).await,
    );
    assert!(validation.valid || validation.user_id.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_operations_pass_prism_validation() {
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/config.yaml"))
        .await
        .unwrap();
    let session = session("config", &prism, Credentials::api_key("cfg-key"));
    let client = no_retry(|o| config::ConfigClient::new(&session).unwrap().with_options(o));
    let keys = ["feature.approvals".to_owned(), "limits.max_days".to_owned()];
    let list = accepted(
        &prism,
        "listConfigValues",
        client.list_config_values("hr").keys(&keys).limit(50).await,
    );
    assert!(!list.items.is_empty());
    let value = accepted(
        &prism,
        "getConfigValue",
        client.get_config_value("hr", "limits.max_days").await,
    );
    assert!(!value.key.is_empty());
    let settings = accepted(
        &prism,
        "getServiceSettings",
        client.get_service_settings("leaves-wallet").await,
    );
    assert!(!settings.service.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_operations_pass_prism_validation() {
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/notification.yaml"))
        .await
        .unwrap();
    let session = session("notification", &prism, Credentials::bearer("t0ken"));
    let client = no_retry(|o| {
        notification::NotificationClient::new(&session)
            .unwrap()
            .with_options(o)
    });
    let request = notification::NotificationRequest {
        recipient_id: "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10"
            .parse::<Uuid>()
            .unwrap(),
        channel: notification::Channel::Email,
        title: "Leave request approved".to_owned(),
        body: "Your leave request was approved.".to_owned(),
        action_url: Nullable::Value("/approvals/42".to_owned()),
        metadata: Some([("approval_id".to_owned(), "42".to_owned())].into()),
        scheduled_at: Nullable::Value(at("2026-12-01T09:00:00Z")),
    };
    let accepted_notification = accepted(
        &prism,
        "sendNotification",
        client.send_notification(&request).await,
    );
    let notification = accepted(
        &prism,
        "getNotification",
        client.get_notification(accepted_notification.id).await,
    );
    assert!(!notification.title.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaves_wallet_operations_pass_prism_validation() {
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/leaves_wallet.yaml"))
        .await
        .unwrap();
    let session = session("leaves_wallet", &prism, Credentials::bearer("t0ken"));
    let client = no_retry(|o| {
        leaves_wallet::LeavesWalletClient::new(&session)
            .unwrap()
            .with_options(o)
    });
    let balance = accepted(
        &prism,
        "getLeaveBalance",
        client.get_leave_balance("emp-7").await,
    );
    assert!(balance.available_days >= 0.0);
    let request = leaves_wallet::LeaveTransactionRequest {
        days: 2.0,
        reason: "Approved leave request 42".to_owned(),
        request_id: Nullable::Value("42".to_owned()),
    };
    accepted(
        &prism,
        "debitLeave",
        client.debit_leave("emp-7", "approval-42", &request).await,
    );
    accepted(
        &prism,
        "creditLeave",
        client.credit_leave("emp-7", "cancel-42", &request).await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expensive_wallet_operations_pass_prism_validation() {
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/expensive_wallet.yaml"))
        .await
        .unwrap();
    let session = session("expensive_wallet", &prism, Credentials::bearer("t0ken"));
    let client = no_retry(|o| {
        expensive_wallet::ExpensiveWalletClient::new(&session)
            .unwrap()
            .with_options(o)
    });
    let balance = accepted(
        &prism,
        "getExpenseBalance",
        client.get_expense_balance("emp-7").await,
    );
    assert!(balance.available_cents >= 0);
    let request = expensive_wallet::ExpenseTransactionRequest {
        amount_cents: 12_50,
        currency: expensive_wallet::Currency::Eur,
        description: "Train ticket".to_owned(),
        receipt_id: Nullable::Absent,
    };
    accepted(
        &prism,
        "debitExpense",
        client.debit_expense("emp-7", "expense-1", &request).await,
    );
    accepted(
        &prism,
        "creditExpense",
        client.credit_expense("emp-7", "refund-1", &request).await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_operations_pass_prism_validation() {
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/audit.yaml"))
        .await
        .unwrap();
    let session = session("audit", &prism, Credentials::api_key("audit-key"));
    let client = no_retry(|o| audit::AuditClient::new(&session).unwrap().with_options(o));
    for actor in [
        audit::Actor::User(audit::UserActor {
            user_id: "u-1001".to_owned(),
            ip_address: Some("10.0.0.7".to_owned()),
        }),
        audit::Actor::Service(audit::ServiceActor {
            service_name: "approvals".to_owned(),
        }),
    ] {
        let event = audit::AuditEventInput {
            action: "leave.approved".to_owned(),
            occurred_at: at("2026-11-26T12:00:00Z"),
            actor,
            target: Nullable::Value(audit::AuditTarget {
                kind: "leave_request".to_owned(),
                id: "42".to_owned(),
            }),
            details: Some([("days".to_owned(), json!(2))].into()),
        };
        accepted(
            &prism,
            "writeAuditEvent",
            client.write_audit_event(&event).x_request_id("req-1").await,
        );
    }
    let types = ["leave.approved".to_owned(), "leave.rejected".to_owned()];
    let events = accepted(
        &prism,
        "listAuditEvents",
        client
            .list_audit_events()
            .types(&types)
            .since(at("2026-11-01T00:00:00Z"))
            .limit(20)
            .await,
    );
    assert!(!events.events.is_empty());
}

/// The check can fail: a request built by hand that violates the spec
/// (negative days, a string where a number belongs, no idempotency key) is
/// rejected by Prism, and the generated client surfaces that as an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_rejects_a_request_that_violates_the_spec() {
    static DEBIT: Operation =
        Operation::new("debitLeave", Method::Post, "/wallets/{employee_id}/debits");
    let prism = tokio::task::spawn_blocking(|| PrismMock::start("specs/leaves_wallet.yaml"))
        .await
        .unwrap();
    let session = session("leaves_wallet", &prism, Credentials::bearer("t0ken"));
    let service = session
        .service("leaves_wallet")
        .unwrap()
        .with_options(CallOptions::new().retry(RetryPolicy::never()));
    let error = service
        .execute(
            Request::new(&DEBIT)
                .path_param("employee_id", "emp-7")
                .header("Authorization", "Bearer t0ken")
                .json(&json!({"days": "two", "reason": 7})),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error.status(), Some(400 | 422)),
        "Prism must refuse an invalid request, got {error:?}"
    );
    assert!(
        error.body_excerpt().unwrap_or_default().contains("days")
            || error
                .body_excerpt()
                .unwrap_or_default()
                .contains("dempotency"),
        "the violation names the offending field: {:?}",
        error.body_excerpt()
    );
}
