//! Real FastAPI apps (`tests/fastapi/apps/`, FastAPI's defaults throughout)
//! under uvicorn, called through the clients generated from the documents
//! they emit. Each test first checks that the running app still serves the
//! committed document the client was generated from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::types::Nullable;
use clientgen_tests::fastapi::FastApiApp;
use clientgen_tests::features::fastapi::leaves::{
    DebitRequest, HttpValidationError, LeaveType, LeavesClient,
};
use clientgen_tests::features::fastapi::notifications::{
    Channel, NotificationCreate, NotificationsClient,
};
use clientgen_tests::fixtures::client;
use clientgen_tests::process::workspace;

static OPENAPI: Operation = Operation::new("openapi", Method::Get, "/openapi.json");

/// Starts the app `name` and checks it serves `tests/fastapi/specs/<name>.json`.
async fn start(name: &'static str) -> FastApiApp {
    let app = tokio::task::spawn_blocking(move || FastApiApp::start(name))
        .await
        .unwrap();
    let served: serde_json::Value = client(&app.url(), |config| config)
        .execute(Request::new(&OPENAPI))
        .await
        .unwrap()
        .json()
        .unwrap();
    let path = workspace().join(format!("tests/fastapi/specs/{name}.json"));
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        served == committed,
        "{name} serves another document than {}: run `tests/fastapi/.venv/bin/python \
         tests/fastapi/export.py` and regenerate",
        path.display()
    );
    app
}

#[tokio::test]
async fn the_leave_wallet_through_its_generated_client() {
    let app = start("leaves").await;
    let wallets = LeavesClient::from_service(client(&app.url(), |config| config));

    // An optional query parameter left out takes the server's default.
    let annual = wallets.get_leave_balance("emp-1").await.unwrap();
    assert_eq!((annual.leave_type, annual.days), (LeaveType::Annual, 20.0));
    let sick = wallets
        .get_leave_balance("emp-1")
        .leave_type(&LeaveType::Sick)
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(sick.body().days, 5.0);
    assert_eq!(sick.header("etag"), Some("\"emp-1-sick-5.0\""));
    let missing = wallets.get_leave_balance("emp-9").await.unwrap_err();
    assert_eq!(missing.status(), Some(404));

    // Pydantic's validation error decodes into the typed 422 body.
    let refused = DebitRequest::new(0.0);
    assert_eq!(
        (refused.leave_type.clone(), refused.approved_by.len()),
        (LeaveType::Annual, 0),
        "the constructor starts from the spec's defaults"
    );
    let error = wallets.debit_leave("emp-1", &refused).await.unwrap_err();
    assert_eq!(error.status(), Some(422));
    let validation = error
        .body::<HttpValidationError>()
        .expect("a typed 422 body");
    let detail = validation.detail.as_ref().unwrap();
    assert_eq!(detail[0].r#type, "greater_than");

    let debit = DebitRequest {
        reason: Nullable::Value("dentist".to_owned()),
        approved_by: vec!["mgr-1".to_owned()],
        ..DebitRequest::new(2.0)
    };
    let done = wallets
        .debit_leave("emp-1", &debit)
        .x_request_id("req-7")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(done.status(), 201);
    assert_eq!(done.header("x-request-id"), Some("req-7"));
    assert_eq!(
        done.header("location"),
        Some("/leave-wallets/emp-1/debits/d-emp-1-1")
    );
    assert_eq!(done.attempts(), 1);
    let done = done.into_body();
    assert_eq!(done.balance_after, 18.0);
    // A per-call header reaches the app like the typed parameter does.
    let echoed = wallets
        .debit_leave(
            "emp-1",
            &DebitRequest {
                days: 1.0,
                ..debit.clone()
            },
        )
        .header("X-Request-Id", "req-8")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(echoed.header("x-request-id"), Some("req-8"));
    assert_eq!(echoed.body().balance_after, 17.0);
    let overdrawn = DebitRequest {
        days: 30.0,
        ..debit
    };
    let error = wallets.debit_leave("emp-1", &overdrawn).await.unwrap_err();
    assert_eq!(error.status(), Some(409));

    let page = wallets
        .list_leave_wallets()
        .limit(1)
        .leave_type(&LeaveType::Sick)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].leave_type, LeaveType::Sick);

    // `limit`/`offset` is recognised as offset paging: one wallet a page.
    let everything = wallets.list_leave_wallets().limit(100).await.unwrap();
    assert!(everything.len() >= 2);
    let mut paged = Vec::new();
    let mut items = wallets.list_leave_wallets().limit(1).items();
    while let Some(wallet) = items.next().await {
        paged.push(wallet.unwrap());
    }
    assert_eq!(paged, everything);
}

#[tokio::test]
async fn notifications_through_their_generated_client() {
    let app = start("notifications").await;
    let notifications = NotificationsClient::from_service(client(&app.url(), |config| config));
    let sent = notifications
        .send_notification(&NotificationCreate {
            action_url: Nullable::Value("/approvals/42".to_owned()),
            ..NotificationCreate::new("Approved", "u-1")
        })
        .await
        .unwrap();
    assert_eq!(sent.channel, Channel::Email, "the model's default");
    let listed = notifications
        .list_notifications("u-1")
        .unread_only(true)
        .limit(10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let by_sms = notifications
        .list_notifications("u-1")
        .channel(&Channel::Sms)
        .await
        .unwrap();
    assert!(by_sms.is_empty());
    notifications.delete_notification(sent.id).await.unwrap();
    let again = notifications
        .delete_notification(sent.id)
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(404));
}

/// A property's `default` is the field's value when it is absent, and the
/// constructor takes the required fields and starts the others at their
/// defaults (or absent).
#[test]
fn spec_defaults_fill_absent_fields_and_constructors_take_the_required_ones() {
    use clientgen_tests::features::fastapi::leaves::Balance;
    let created = serde_json::to_value(NotificationCreate::new("Approved", "u-1")).unwrap();
    assert_eq!(
        created,
        serde_json::json!({"message": "Approved", "user_id": "u-1", "channel": "email", "tags": []}),
        "an absent optional is not sent; a default is"
    );
    let debit: DebitRequest = serde_json::from_value(serde_json::json!({"days": 1.5})).unwrap();
    assert_eq!(debit.leave_type, LeaveType::Annual);
    assert!(debit.approved_by.is_empty());
    assert!(debit.reason.is_absent());
    let balance: Balance = serde_json::from_value(serde_json::json!({
        "employee_id": "emp-1", "leave_type": "sick", "days": 5.0,
    }))
    .unwrap();
    assert_eq!(balance.carried_over, 0.0);
}
