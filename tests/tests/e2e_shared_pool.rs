//! All six generated clients built with `service_clients::Clients` over one
//! session, every service pointed at the same local server: rounds of
//! sequential calls through every operation share one keep-alive connection,
//! and each service's calls carry that service's credentials only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::types::Nullable;
use std::time::Duration;

use clientgen_runtime::{Credentials, RuntimeConfig};
use clientgen_tests::fixtures::wire;
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::json;
use service_clients::Clients;
use service_clients::audit::{Actor, AuditEventInput, ServiceActor};
use service_clients::auth::TokenValidationRequest;
use service_clients::expensive_wallet::{Currency, ExpenseTransactionRequest};
use service_clients::leaves_wallet::LeaveTransactionRequest;
use service_clients::notification::{Channel, DeliveryStatus, NotificationRequest};

const ROUNDS: usize = 5;
const OPERATIONS: usize = 16;
const NOTIFICATION_ID: &str = "3f8b2c1e-9d4a-4e6f-8a7b-1c2d3e4f5a6b";
const RECIPIENT_ID: &str = "9a1b7c3d-2e4f-4a5b-8c6d-7e8f9a0b1c2d";

/// Answers every operation of the six services, as their specs describe.
fn answer(request: &RecordedRequest) -> Reply {
    let user = json!({
        "id": "usr_7f3a9c21",
        "email": "ada.lovelace@example.com",
        "display_name": "Ada Lovelace",
        "roles": ["employee"],
        "manager_id": null,
        "created_at": "2023-02-14T09:30:00Z"
    });
    let config_value = json!({
        "namespace": "leaves",
        "key": "max_carry_over_days",
        "value": 5,
        "version": 12,
        "updated_at": "2025-01-10T16:20:00Z"
    });
    let leave_transaction = |kind: &str| {
        json!({
            "id": "6b0f9e2a-31c4-4d8e-9f7a-5e2b1c0d3a47",
            "employee_id": "emp_4821",
            "kind": kind,
            "days": 1.0,
            "balance_after": 16.5,
            "created_at": "2025-01-21T14:02:11Z"
        })
    };
    let expense_transaction = |kind: &str| {
        json!({
            "id": "2d9c4e7a-8b1f-4a63-9e05-7f3b6c2a1d84",
            "kind": kind,
            "amount_cents": 4250,
            "balance_after_cents": 120750,
            "created_at": "2025-02-03T11:26:45Z"
        })
    };
    let audit_event = json!({
        "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        "recorded_at": "2025-01-21T14:05:00.004Z",
        "action": "expense.account.credited",
        "occurred_at": "2025-01-21T14:04:59Z",
        "actor": {"type": "service", "service_name": "payroll-sync"},
        "target": null
    });
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/users/me" | "/users/usr_7f3a9c21") => Reply::json(200, user),
        ("POST", "/tokens/validate") => Reply::json(
            200,
            json!({"valid": true, "user_id": "usr_7f3a9c21", "scopes": [], "expires_at": null}),
        ),
        ("GET", "/namespaces/leaves/keys") => {
            Reply::json(200, json!({"items": [config_value], "next_cursor": null}))
        }
        ("GET", "/namespaces/leaves/keys/max_carry_over_days") => Reply::json(200, config_value),
        ("GET", "/services/leaves-api/settings") => Reply::json(
            200,
            json!({
                "service": "leaves-api",
                "settings": {"default_timezone": "Europe/Paris"},
                "feature_flags": {"half_day_leaves": true}
            }),
        ),
        ("POST", "/notifications") => Reply::json(
            202,
            json!({"id": NOTIFICATION_ID, "status": "queued", "queued_at": "2025-01-15T10:42:07Z"}),
        ),
        ("GET", path) if path == format!("/notifications/{NOTIFICATION_ID}") => Reply::json(
            200,
            json!({
                "id": NOTIFICATION_ID,
                "recipient_id": RECIPIENT_ID,
                "channel": "push",
                "title": "Leave approved",
                "action_url": null,
                "status": "sent",
                "created_at": "2025-01-15T10:42:07Z"
            }),
        ),
        ("GET", "/wallets/emp_4821/balance") => Reply::json(
            200,
            json!({
                "employee_id": "emp_4821",
                "available_days": 17.5,
                "pending_days": 2.0,
                "year": 2025,
                "updated_at": "2025-01-20T08:15:30Z"
            }),
        ),
        ("POST", "/wallets/emp_4821/debits") => Reply::json(201, leave_transaction("debit")),
        ("POST", "/wallets/emp_4821/credits") => Reply::json(201, leave_transaction("credit")),
        ("GET", "/accounts/emp_4821/balance") => Reply::json(
            200,
            json!({
                "employee_id": "emp_4821",
                "currency": "EUR",
                "available_cents": 125000,
                "reserved_cents": 8950
            }),
        ),
        ("POST", "/accounts/emp_4821/debits") => Reply::json(201, expense_transaction("debit")),
        ("POST", "/accounts/emp_4821/credits") => Reply::json(201, expense_transaction("credit")),
        ("POST", "/events") => Reply::json(201, audit_event),
        ("GET", "/events") => Reply::json(200, json!({"events": [audit_event]})),
        (method, path) => Reply::text(404, format!("no route for {method} {path}")),
    }
}

/// The credentials header a request must carry, given its path.
fn expected_credentials(path: &str) -> (&'static str, &'static str) {
    if path.starts_with("/namespaces/") || path.starts_with("/services/") {
        ("x-api-key", "c0nfig-k3y")
    } else if path == "/events" {
        ("x-audit-key", "aud1t-k3y")
    } else {
        ("authorization", "Bearer t0ken")
    }
}

#[tokio::test]
async fn every_operation_of_every_service_shares_one_connection() {
    let server = TestServer::start(answer).await;
    let url = server.url();
    let mut builder = RuntimeConfig::builder()
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .credentials("config", Credentials::api_key("c0nfig-k3y"))
        .credentials("audit", Credentials::api_key("aud1t-k3y"));
    for service in [
        "auth",
        "config",
        "notification",
        "leaves_wallet",
        "expensive_wallet",
        "audit",
    ] {
        builder = builder.service_url(service, url.as_str());
    }
    for service in ["auth", "notification", "leaves_wallet", "expensive_wallet"] {
        builder = builder.credentials(service, Credentials::bearer("t0ken"));
    }
    let clients = Clients::new(builder.build().unwrap()).unwrap();

    let notification = NotificationRequest {
        recipient_id: wire(RECIPIENT_ID),
        channel: Channel::Push,
        title: "Leave approved".to_owned(),
        body: "Your leave was approved.".to_owned(),
        action_url: Nullable::Value("/approvals/42".to_owned()),
        metadata: None,
        scheduled_at: Nullable::Absent,
    };
    let leave = LeaveTransactionRequest {
        days: 1.0,
        reason: "Half day twice".to_owned(),
        request_id: Nullable::Absent,
    };
    let expense = ExpenseTransactionRequest {
        amount_cents: 4250,
        currency: Currency::Eur,
        description: "Train ticket".to_owned(),
        receipt_id: Nullable::Absent,
    };
    let event = AuditEventInput {
        action: "expense.account.credited".to_owned(),
        occurred_at: wire("2025-01-21T14:04:59Z"),
        actor: Actor::Service(ServiceActor {
            service_name: "payroll-sync".to_owned(),
        }),
        target: Nullable::Absent,
        details: None,
    };
    let keys = ["max_carry_over_days".to_owned()];
    let types = ["expense.account.credited".to_owned()];

    for round in 0..ROUNDS {
        let user = clients.auth.get_current_user().await.unwrap();
        assert_eq!(user.id, "usr_7f3a9c21");
        let user = clients.auth.get_user("usr_7f3a9c21").await.unwrap();
        assert_eq!(user.display_name, "Ada Lovelace");
        let validation = clients
            .auth
            .validate_token(&TokenValidationRequest {
                token: format!("token-{round}"),
            })
            .await
            .unwrap();
        assert!(validation.valid);

        let page = clients
            .config
            .list_config_values("leaves")
            .keys(&keys)
            .limit(1)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let value = clients
            .config
            .get_config_value("leaves", "max_carry_over_days")
            .await
            .unwrap();
        assert_eq!(value.value, json!(5));
        let settings = clients
            .config
            .get_service_settings("leaves-api")
            .await
            .unwrap();
        assert_eq!(settings.feature_flags.get("half_day_leaves"), Some(&true));

        let accepted = clients
            .notification
            .send_notification(&notification)
            .await
            .unwrap();
        assert_eq!(accepted.status, DeliveryStatus::Queued);
        let sent = clients
            .notification
            .get_notification(wire(NOTIFICATION_ID))
            .await
            .unwrap();
        assert_eq!(sent.status, DeliveryStatus::Sent);

        let balance = clients
            .leaves_wallet
            .get_leave_balance("emp_4821")
            .await
            .unwrap();
        assert_eq!(balance.available_days, 17.5);
        let debit = clients
            .leaves_wallet
            .debit_leave("emp_4821", &format!("leave-debit-{round}"), &leave)
            .await
            .unwrap();
        assert_eq!(debit.balance_after, 16.5);
        let credit = clients
            .leaves_wallet
            .credit_leave("emp_4821", &format!("leave-credit-{round}"), &leave)
            .await
            .unwrap();
        assert_eq!(credit.days, 1.0);

        let balance = clients
            .expensive_wallet
            .get_expense_balance("emp_4821")
            .await
            .unwrap();
        assert_eq!(balance.available_cents, 125000);
        let debit = clients
            .expensive_wallet
            .debit_expense("emp_4821", &format!("expense-debit-{round}"), &expense)
            .await
            .unwrap();
        assert_eq!(debit.balance_after_cents, 120750);
        let credit = clients
            .expensive_wallet
            .credit_expense("emp_4821", &format!("expense-credit-{round}"), &expense)
            .await
            .unwrap();
        assert_eq!(credit.amount_cents, 4250);

        let recorded = clients
            .audit
            .write_audit_event(&event)
            .x_request_id(&format!("req-{round}"))
            .await
            .unwrap();
        assert_eq!(recorded.action, "expense.account.credited");
        let list = clients
            .audit
            .list_audit_events()
            .types(&types)
            .limit(1)
            .await
            .unwrap();
        assert_eq!(list.events.len(), 1);
    }

    assert_eq!(server.request_count(), ROUNDS * OPERATIONS);
    assert_eq!(server.accepted_connections(), 1);
    let seen = server.requests();
    assert_eq!(seen.len(), ROUNDS * OPERATIONS);
    for request in &seen {
        assert_eq!(request.connection, 0, "{} {}", request.method, request.path);
        let (header, value) = expected_credentials(&request.path);
        assert_eq!(
            request.header(header),
            Some(value),
            "{} {}",
            request.method,
            request.path
        );
        let credential_headers = ["authorization", "x-api-key", "x-audit-key"]
            .iter()
            .filter(|name| request.header(name).is_some())
            .count();
        assert_eq!(
            credential_headers, 1,
            "{} {} carries another service's credentials",
            request.method, request.path
        );
    }
    let notification = seen
        .iter()
        .find(|request| request.method == "POST" && request.path == "/notifications")
        .unwrap();
    assert_eq!(
        notification.json()["action_url"],
        json!("http://localhost:3000/approvals/42")
    );
}
