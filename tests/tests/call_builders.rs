//! The generated call builders: optional parameters as setters, this
//! call's own settings (deadline, attempt timeout, retry policy, headers,
//! idempotency key) that leave the handle alone, and the typed body with
//! its response's metadata. Over an upstream in memory, on tokio's paused
//! clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::IntoFuture;
use std::time::Duration;

use clientgen_runtime::error::UnavailableReason;
use clientgen_runtime::transport::{FakeReply, FakeUpstream};
use clientgen_runtime::{CallOptions, MicroserviceError, RetryPolicy, RuntimeConfig, Session};
use clientgen_tests::fixtures::every_service;
use serde_json::json;
use service_clients::Clients;
use service_clients::leaves_wallet::LeaveTransactionRequest;

fn clients(upstream: &FakeUpstream) -> Clients {
    let config = every_service(RuntimeConfig::builder(), |service| {
        format!("http://{service}.test")
    });
    let session = Session::with_transport(config.build().unwrap(), upstream.clone());
    Clients::from_session(&session).unwrap()
}

fn balance() -> serde_json::Value {
    json!({
        "employee_id": "emp-1", "available_days": 20.0, "pending_days": 0.0,
        "year": 2026, "updated_at": "2026-12-01T00:00:00Z",
    })
}

fn transaction() -> serde_json::Value {
    json!({
        "id": "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b", "employee_id": "emp-1",
        "kind": "debit", "days": 2.0, "balance_after": 18.0,
        "created_at": "2026-11-26T12:00:00Z",
    })
}

fn debit() -> LeaveTransactionRequest {
    serde_json::from_value(json!({"days": 2.0, "reason": "dentist"})).unwrap()
}

#[tokio::test(start_paused = true)]
async fn optional_parameters_are_setters_sent_once_with_their_last_value() {
    let upstream = FakeUpstream::new();
    upstream.on("listAuditEvents", |_| {
        FakeReply::json(200, &json!({"events": []}))
    });
    let clients = clients(&upstream);
    let types = vec!["leave.approved".to_owned()];

    clients.audit.list_audit_events().await.unwrap();
    clients
        .audit
        .list_audit_events()
        .limit(5)
        .types(&types)
        .limit(25)
        .await
        .unwrap();

    let calls = upstream.calls_to("listAuditEvents");
    assert_eq!(calls[0].url.query(), None, "nothing set, nothing sent");
    let pairs: Vec<(String, String)> = calls[1]
        .url
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("types".to_owned(), "leave.approved".to_owned()),
            ("limit".to_owned(), "25".to_owned()),
        ],
        "in the spec's order, the last value of a setter called twice"
    );
}

#[tokio::test(start_paused = true)]
async fn a_calls_deadline_and_retry_policy_are_its_own() {
    let upstream = FakeUpstream::new();
    upstream.on("getLeaveBalance", |_| FakeReply::json(200, &balance()));
    let clients = clients(&upstream);

    // An answer slower than this call's deadline, but not the default's.
    upstream.script(
        "getLeaveBalance",
        [FakeReply::json(200, &balance()).after(Duration::from_millis(300))],
    );
    let error = clients
        .leaves_wallet
        .get_leave_balance("emp-1")
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    let MicroserviceError::Unavailable(unavailable) = &error else {
        panic!("expected the deadline, got {error:?}");
    };
    assert_eq!(unavailable.reason(), UnavailableReason::DeadlineExceeded);
    upstream.script(
        "getLeaveBalance",
        [FakeReply::json(200, &balance()).after(Duration::from_millis(300))],
    );
    let slow = clients.leaves_wallet.get_leave_balance("emp-1").await;
    assert!(slow.is_ok(), "the next call has the default deadline");

    // A 503 is retried by default; this call asked for no retries.
    upstream.script("getLeaveBalance", [FakeReply::status(503)]);
    let error = clients
        .leaves_wallet
        .get_leave_balance("emp-1")
        .retry(RetryPolicy::never())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(upstream.calls_to("getLeaveBalance").len(), 3);

    // An attempt timeout shorter than the answer, then a retry that is fast.
    upstream.script(
        "getLeaveBalance",
        [FakeReply::json(200, &balance()).after(Duration::from_millis(300))],
    );
    let reply = clients
        .leaves_wallet
        .get_leave_balance("emp-1")
        .attempt_timeout(Duration::from_millis(100))
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(reply.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_calls_headers_override_the_handles_and_leave_it_unchanged() {
    let upstream = FakeUpstream::new();
    upstream.on("getLeaveBalance", |_| FakeReply::json(200, &balance()));
    let clients = clients(&upstream);
    let traced = service_clients::leaves_wallet::LeavesWalletClient::from_service(
        clients.leaves_wallet.service().with_options(
            CallOptions::new()
                .header("X-Trace", "from-handle")
                .header("X-Tenant", "acme"),
        ),
    );

    traced
        .get_leave_balance("emp-1")
        .header("X-Trace", "from-call")
        .header("Authorization", "Bearer stolen")
        .await
        .unwrap();
    traced.get_leave_balance("emp-1").await.unwrap();

    let calls = upstream.calls_to("getLeaveBalance");
    assert_eq!(calls[0].header("x-trace"), Some("from-call"));
    assert_eq!(
        calls[0].header("x-tenant"),
        Some("acme"),
        "the handle's other headers stay"
    );
    assert_eq!(
        calls[0].header("authorization"),
        Some("Bearer t0ken"),
        "credentials win over a call's header"
    );
    assert_eq!(calls[1].header("x-trace"), Some("from-handle"));
}

#[tokio::test(start_paused = true)]
async fn a_calls_idempotency_key_goes_on_every_attempt_and_only_on_that_call() {
    let upstream = FakeUpstream::new();
    upstream
        .script("writeAuditEvent", [FakeReply::status(503)])
        .on("writeAuditEvent", |call| {
            let mut event: serde_json::Value = call.json().unwrap_or_default();
            event["id"] = json!("1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9");
            event["recorded_at"] = json!("2026-11-26T12:00:02Z");
            FakeReply::json(201, &event)
        });
    let clients = clients(&upstream);
    let event = serde_json::from_value(json!({
        "action": "leave.request.approved", "occurred_at": "2025-01-21T14:02:10Z",
        "actor": {"type": "user", "user_id": "usr_1"},
    }))
    .unwrap();

    let reply = clients
        .audit
        .write_audit_event(&event)
        .idempotency_key("audit-42")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(
        (reply.status(), reply.attempts()),
        (201, 2),
        "keyed: retried"
    );
    // Unkeyed, a 503 on a POST is not retried.
    upstream.script("writeAuditEvent", [FakeReply::status(503)]);
    let error = clients.audit.write_audit_event(&event).await.unwrap_err();
    assert_eq!(error.status(), Some(503));

    let calls = upstream.calls_to("writeAuditEvent");
    let keys: Vec<Option<&str>> = calls
        .iter()
        .map(|call| call.header("idempotency-key"))
        .collect();
    assert_eq!(keys, [Some("audit-42"), Some("audit-42"), None]);
}

#[tokio::test(start_paused = true)]
async fn the_typed_body_comes_with_status_headers_and_attempts() {
    let upstream = FakeUpstream::new();
    upstream
        .script("debitLeave", [FakeReply::status(503)])
        .on("debitLeave", |_| {
            FakeReply::json(201, &transaction())
                .header("Location", "/wallets/emp-1/debits/6f1d")
                .header("X-RateLimit-Remaining", "41")
        });
    let clients = clients(&upstream);

    let reply = clients
        .leaves_wallet
        .debit_leave("emp-1", "leave-approval-42", &debit())
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    assert_eq!(reply.header("location"), Some("/wallets/emp-1/debits/6f1d"));
    assert_eq!(reply.headers().get("x-ratelimit-remaining"), Some("41"));
    assert_eq!(reply.attempts(), 2);
    assert_eq!(reply.body().balance_after, 18.0);
    assert_eq!(reply.into_body().days, 2.0);
    let keys: Vec<Option<String>> = upstream
        .calls_to("debitLeave")
        .iter()
        .map(|call| call.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(
        keys,
        [
            Some("leave-approval-42".to_owned()),
            Some("leave-approval-42".to_owned())
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_builder_can_be_kept_and_awaited_later_or_dropped_without_a_request() {
    let upstream = FakeUpstream::new();
    upstream.on("getLeaveBalance", |_| FakeReply::json(200, &balance()));
    let clients = clients(&upstream);

    let dropped = clients.leaves_wallet.get_leave_balance("emp-1");
    drop(dropped);
    assert!(upstream.calls().is_empty(), "a builder alone sends nothing");

    let call = clients
        .leaves_wallet
        .get_leave_balance("emp-1")
        .timeout(Duration::from_secs(1));
    let future = IntoFuture::into_future(call);
    assert!(upstream.calls().is_empty(), "nothing happens before a poll");
    let balance = future.await.unwrap();
    assert_eq!(balance.available_days, 20.0);
    assert_eq!(upstream.calls().len(), 1);
}

/// A model several specs define identically is one type: a 422 from the
/// auth service decodes as the notification module's `HttpValidationError`
/// too, since both modules re-export the shared one.
#[tokio::test(start_paused = true)]
async fn a_shared_error_body_decodes_the_same_from_any_service() {
    use service_clients::{auth, notification, shared_types};
    let upstream = FakeUpstream::new();
    upstream.on("getUser", |_| {
        FakeReply::json(
            422,
            &json!({"detail": [{"loc": ["path", "user_id"], "msg": "not a user id", "type": "value_error"}]}),
        )
    });
    let clients = clients(&upstream);
    let error = clients.auth.get_user("???").await.unwrap_err();
    assert_eq!(error.status(), Some(422));
    let from_notification = error
        .body::<notification::HttpValidationError>()
        .expect("the shared type decodes auth's 422");
    let from_auth: &auth::HttpValidationError = from_notification;
    let shared: &shared_types::HttpValidationError = from_auth;
    let detail = shared.detail.as_ref().unwrap();
    assert_eq!(detail[0].msg, "not a user id");
}
