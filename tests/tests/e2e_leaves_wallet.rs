//! The generated leaves wallet client (`specs/leaves_wallet.yaml`) against a
//! real local server: what every operation puts on the wire (encoded
//! employee id, `Idempotency-Key`, JSON body), what it decodes, every
//! documented error status with its typed body (a 503 retried with the same
//! key), and calls without credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::types::Nullable;
use std::fmt::Debug;

use clientgen_runtime::error::InvalidRequestReason;
use clientgen_runtime::{
    CallOptions, Credentials, ErrorCategory, MicroserviceError, RetryPolicy, RuntimeConfigBuilder,
    Session,
};
use clientgen_tests::fixtures::{fast_config, only_request, wire};
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::{Value, json};
use service_clients::leaves_wallet::{
    ErrorDetail, HttpValidationError, LeaveBalance, LeaveTransaction, LeaveTransactionRequest,
    LeavesWalletClient, TransactionKind, ValidationError, ValidationErrorLocItem,
};

const EMPLOYEE: &str = "emp 4821/eu";
const EMPLOYEE_ENCODED: &str = "emp%204821%2Feu";

/// A configuration pointing `leaves_wallet` at `url`, with fast retries and no credentials.
fn anonymous_config(url: &str) -> RuntimeConfigBuilder {
    fast_config("leaves_wallet", url)
}

/// A leaves wallet client for `url` authenticating with the bearer token `t0ken`.
fn client(url: &str) -> LeavesWalletClient {
    let config = anonymous_config(url)
        .credentials("leaves_wallet", Credentials::bearer("t0ken"))
        .build()
        .unwrap();
    LeavesWalletClient::new(&Session::new(config).unwrap()).unwrap()
}

fn detail(text: &str) -> ErrorDetail {
    ErrorDetail {
        detail: text.to_owned(),
    }
}

/// The 422 body of the spec, and its typed form.
fn validation_body(
    location: &str,
    field: &str,
    msg: &str,
    kind: &str,
) -> (Value, HttpValidationError) {
    let body = json!({"detail": [{"loc": [location, field], "msg": msg, "type": kind}]});
    let typed = HttpValidationError {
        detail: Some(vec![ValidationError {
            loc: vec![
                ValidationErrorLocItem::String(location.to_owned()),
                ValidationErrorLocItem::String(field.to_owned()),
            ],
            msg: msg.to_owned(),
            r#type: kind.to_owned(),
        }]),
    };
    (body, typed)
}

fn full_request() -> LeaveTransactionRequest {
    LeaveTransactionRequest {
        days: 3.0,
        reason: "Ski trip, 3-5 March".to_owned(),
        request_id: Nullable::Value("lr_42".to_owned()),
    }
}

fn minimal_request() -> LeaveTransactionRequest {
    LeaveTransactionRequest {
        days: 1.5,
        reason: "Overtime compensation".to_owned(),
        request_id: Nullable::Absent,
    }
}

/// Answers every request with `reply`, makes one call through a fresh client
/// (with `options`, if any) and returns its error and the server's log.
async fn failing_call<T: Debug>(
    reply: Reply,
    options: Option<CallOptions>,
    call: impl AsyncFnOnce(LeavesWalletClient) -> Result<T, MicroserviceError>,
) -> (MicroserviceError, Vec<RecordedRequest>) {
    let server = TestServer::start(move |_| reply.clone()).await;
    let mut wallet = client(&server.url());
    if let Some(options) = options {
        wallet = wallet.with_options(options);
    }
    let error = call(wallet).await.expect_err("the call must fail");
    (error, server.requests())
}

/// Checks one answered, non-retried error with an `ErrorDetail` body.
fn assert_detail_error(
    error: &MicroserviceError,
    seen: &[RecordedRequest],
    status: u16,
    text: &str,
) {
    let category = if status == 401 {
        ErrorCategory::Unauthorized
    } else {
        ErrorCategory::Response
    };
    assert_eq!(error.category(), category, "{status}: {error:?}");
    assert_eq!(error.status(), Some(status));
    assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
    assert_eq!(error.body::<HttpValidationError>(), None);
    assert_eq!(error.attempts(), 1, "{status} is not retried");
    assert_eq!(seen.len(), 1, "{status} is not retried");
}

/// Checks every documented error status of `debitLeave` or `creditLeave`.
async fn check_transaction_errors(
    operation: &str,
    path: &str,
    call: impl AsyncFn(LeavesWalletClient) -> Result<LeaveTransaction, MicroserviceError>,
) {
    for (status, text) in [
        (401, "Not authenticated"),
        (404, "Wallet not found"),
        (409, "Insufficient leave balance"),
    ] {
        let (error, seen) =
            failing_call(Reply::json(status, json!({"detail": text})), None, &call).await;
        assert_detail_error(&error, &seen, status, text);
        assert_eq!(error.context().operation(), operation);
        assert_eq!(seen[0].path, path);
        assert_eq!(seen[0].header("idempotency-key"), Some("key-0001"));
    }

    let (body, typed) = validation_body(
        "body",
        "days",
        "Input should be greater than 0",
        "greater_than",
    );
    let (error, seen) = failing_call(Reply::json(422, body), None, &call).await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.body::<HttpValidationError>(), Some(&typed));
    assert_eq!(error.body::<ErrorDetail>(), None);
    assert_eq!(seen.len(), 1);

    // A keyed POST may be replayed: 503 is retried, with the same key each time.
    let unavailable =
        Reply::json(503, json!({"detail": "Ledger unavailable"})).header("Retry-After", "0");
    let (error, seen) = failing_call(unavailable.clone(), None, &call).await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        error.body::<ErrorDetail>(),
        Some(&detail("Ledger unavailable"))
    );
    assert_eq!(error.attempts(), 3, "{operation}: a keyed POST is retried");
    assert_eq!(seen.len(), 3, "{operation}: a keyed POST is retried");
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, path);
        assert_eq!(request.header("idempotency-key"), Some("key-0001"));
        assert_eq!(request.json(), seen[0].json());
    }

    let (error, seen) = failing_call(
        unavailable,
        Some(CallOptions::new().retry(RetryPolicy::never())),
        &call,
    )
    .await;
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        error.body::<ErrorDetail>(),
        Some(&detail("Ledger unavailable"))
    );
    assert_eq!(error.attempts(), 1);
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn get_leave_balance_encodes_the_employee_id_and_decodes_the_balance() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "employee_id": EMPLOYEE,
                "available_days": 17.5,
                "pending_days": 2.0,
                "year": 2025,
                "updated_at": "2025-01-20T08:15:30Z"
            }),
        )
    })
    .await;
    let balance = client(&server.url())
        .get_leave_balance(EMPLOYEE)
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, format!("/wallets/{EMPLOYEE_ENCODED}/balance"));
    assert_eq!(seen.path_segments(), ["wallets", EMPLOYEE, "balance"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("idempotency-key"), None);
    assert!(seen.body.is_empty());
    assert_eq!(
        balance,
        LeaveBalance {
            employee_id: EMPLOYEE.to_owned(),
            available_days: 17.5,
            pending_days: 2.0,
            year: 2025,
            updated_at: wire("2025-01-20T08:15:30Z"),
        }
    );
}

#[tokio::test]
async fn debit_leave_sends_key_and_body_and_decodes_the_transaction() {
    let server = TestServer::start(|_| {
        Reply::json(
            201,
            json!({
                "id": "6b0f9e2a-31c4-4d8e-9f7a-5e2b1c0d3a47",
                "employee_id": EMPLOYEE,
                "kind": "debit",
                "days": 3.0,
                "balance_after": 14.5,
                "created_at": "2025-01-21T14:02:11Z"
            }),
        )
    })
    .await;
    let transaction = client(&server.url())
        .debit_leave(EMPLOYEE, "debit-lr_42-v1", &full_request())
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, format!("/wallets/{EMPLOYEE_ENCODED}/debits"));
    assert_eq!(seen.path_segments(), ["wallets", EMPLOYEE, "debits"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("idempotency-key"), Some("debit-lr_42-v1"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({"days": 3.0, "reason": "Ski trip, 3-5 March", "request_id": "lr_42"})
    );
    assert_eq!(
        transaction,
        LeaveTransaction {
            id: wire("6b0f9e2a-31c4-4d8e-9f7a-5e2b1c0d3a47"),
            employee_id: EMPLOYEE.to_owned(),
            kind: TransactionKind::Debit,
            days: 3.0,
            balance_after: 14.5,
            created_at: wire("2025-01-21T14:02:11Z"),
        }
    );
}

#[tokio::test]
async fn credit_leave_sends_key_and_body_without_the_unset_request_id() {
    let server = TestServer::start(|_| {
        Reply::json(
            201,
            json!({
                "id": "0c7d4b8e-5a21-4f3b-b6e9-8d2a7c1f4e90",
                "employee_id": EMPLOYEE,
                "kind": "credit",
                "days": 1.5,
                "balance_after": 19.0,
                "created_at": "2025-01-22T09:00:00Z"
            }),
        )
    })
    .await;
    let transaction = client(&server.url())
        .credit_leave(EMPLOYEE, "credit-overtime-2025-01", &minimal_request())
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, format!("/wallets/{EMPLOYEE_ENCODED}/credits"));
    assert_eq!(seen.path_segments(), ["wallets", EMPLOYEE, "credits"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(
        seen.header("idempotency-key"),
        Some("credit-overtime-2025-01")
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({"days": 1.5, "reason": "Overtime compensation"})
    );
    assert_eq!(
        transaction,
        LeaveTransaction {
            id: wire("0c7d4b8e-5a21-4f3b-b6e9-8d2a7c1f4e90"),
            employee_id: EMPLOYEE.to_owned(),
            kind: TransactionKind::Credit,
            days: 1.5,
            balance_after: 19.0,
            created_at: wire("2025-01-22T09:00:00Z"),
        }
    );
}

#[tokio::test]
async fn get_leave_balance_documented_errors() {
    for (status, text) in [(401, "Not authenticated"), (404, "Wallet not found")] {
        let (error, seen) = failing_call(
            Reply::json(status, json!({"detail": text})),
            None,
            async |wallet| wallet.get_leave_balance("emp_4821").await,
        )
        .await;
        assert_detail_error(&error, &seen, status, text);
        assert_eq!(seen[0].path, "/wallets/emp_4821/balance");
    }

    let (body, typed) = validation_body("path", "employee_id", "Field required", "missing");
    let (error, seen) = failing_call(Reply::json(422, body), None, async |wallet| {
        wallet.get_leave_balance("emp_4821").await
    })
    .await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.body::<HttpValidationError>(), Some(&typed));
    assert_eq!(seen.len(), 1);

    let unavailable =
        Reply::json(503, json!({"detail": "Ledger unavailable"})).header("Retry-After", "0");
    let (error, seen) = failing_call(unavailable.clone(), None, async |wallet| {
        wallet.get_leave_balance("emp_4821").await
    })
    .await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        error.body::<ErrorDetail>(),
        Some(&detail("Ledger unavailable"))
    );
    assert_eq!(error.attempts(), 3, "a GET is retried");
    assert_eq!(seen.len(), 3, "a GET is retried");

    let (error, seen) = failing_call(
        unavailable,
        Some(CallOptions::new().retry(RetryPolicy::never())),
        async |wallet| wallet.get_leave_balance("emp_4821").await,
    )
    .await;
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.attempts(), 1);
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn debit_leave_documented_errors() {
    check_transaction_errors("debitLeave", "/wallets/emp_4821/debits", async |wallet| {
        wallet
            .debit_leave("emp_4821", "key-0001", &full_request())
            .await
    })
    .await;
}

#[tokio::test]
async fn credit_leave_documented_errors() {
    check_transaction_errors("creditLeave", "/wallets/emp_4821/credits", async |wallet| {
        wallet
            .credit_leave("emp_4821", "key-0001", &minimal_request())
            .await
    })
    .await;
}

#[tokio::test]
async fn a_503_then_a_201_replays_the_debit_with_the_same_key_and_body() {
    let server = TestServer::scripted(vec![
        Reply::json(503, json!({"detail": "Ledger unavailable"})).header("Retry-After", "0"),
        Reply::json(
            201,
            json!({
                "id": "6b0f9e2a-31c4-4d8e-9f7a-5e2b1c0d3a47",
                "employee_id": "emp_4821",
                "kind": "debit",
                "days": 3.0,
                "balance_after": 14.5,
                "created_at": "2025-01-21T14:02:11Z"
            }),
        ),
    ])
    .await;
    let transaction = client(&server.url())
        .debit_leave("emp_4821", "debit-lr_42-v1", &full_request())
        .await
        .unwrap();
    assert_eq!(transaction.balance_after, 14.5);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.header("idempotency-key"), Some("debit-lr_42-v1"));
        assert_eq!(
            request.json(),
            json!({"days": 3.0, "reason": "Ski trip, 3-5 March", "request_id": "lr_42"})
        );
    }
}

#[tokio::test]
async fn calls_without_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let config = anonymous_config(&server.url()).build().unwrap();
    let wallet = LeavesWalletClient::new(&Session::new(config).unwrap()).unwrap();
    let errors = [
        wallet.get_leave_balance("emp_4821").await.unwrap_err(),
        wallet
            .debit_leave("emp_4821", "key-0001", &full_request())
            .await
            .unwrap_err(),
        wallet
            .credit_leave("emp_4821", "key-0002", &minimal_request())
            .await
            .unwrap_err(),
    ];
    for error in &errors {
        assert!(error.is_invalid_request(), "{error:?}");
        let MicroserviceError::InvalidRequest(invalid) = error else {
            panic!("expected an invalid request, got {error:?}");
        };
        assert_eq!(
            invalid.reason(),
            &InvalidRequestReason::MissingCredentials {
                accepted: "a bearer token".to_owned(),
                hint: "LEAVES_WALLET_SERVICE_TOKEN".to_owned(),
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}
