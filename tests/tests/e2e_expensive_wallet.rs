//! The generated expense wallet client (`specs/expensive_wallet.yaml`)
//! against a real local server: what every operation puts on the wire
//! (encoded employee id, `Idempotency-Key`, JSON body in integer cents), what
//! it decodes, every documented error status with its RFC 9457 problem body
//! (a 503 retried with the same key), and calls without credentials.
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
use service_clients::expensive_wallet::{
    Currency, ExpenseBalance, ExpenseTransaction, ExpenseTransactionRequest, ExpensiveWalletClient,
    Problem, TransactionKind,
};

const EMPLOYEE: &str = "emp 4821/fr";
const EMPLOYEE_ENCODED: &str = "emp%204821%2Ffr";

/// A configuration pointing `expensive_wallet` at `url`, with fast retries and no credentials.
fn anonymous_config(url: &str) -> RuntimeConfigBuilder {
    fast_config("expensive_wallet", url)
}

/// An expense wallet client for `url` authenticating with the bearer token `t0ken`.
fn client(url: &str) -> ExpensiveWalletClient {
    let config = anonymous_config(url)
        .credentials("expensive_wallet", Credentials::bearer("t0ken"))
        .build()
        .unwrap();
    ExpensiveWalletClient::new(&Session::new(config).unwrap()).unwrap()
}

/// The spec's problem body for `status`, as JSON and typed.
fn problem(status: u16) -> (Value, Problem) {
    let (kind, title, detail) = match status {
        401 => (
            "unauthorized",
            "Unauthorized",
            Some("Bearer token is missing or expired."),
        ),
        // `detail` is optional: this one leaves it out.
        403 => ("forbidden", "Forbidden", None),
        404 => (
            "not-found",
            "Account not found",
            Some("No expense account for employee emp_4821."),
        ),
        409 => (
            "insufficient-funds",
            "Insufficient funds",
            Some("Debit of 4250 cents exceeds the available 1200 cents."),
        ),
        422 => (
            "validation",
            "Invalid request",
            Some("amount_cents must be at least 1."),
        ),
        503 => (
            "unavailable",
            "Service unavailable",
            Some("Ledger is under maintenance."),
        ),
        _ => panic!("no problem example for {status}"),
    };
    let r#type = format!("https://errors.example.com/{kind}");
    let mut body = json!({"type": r#type, "title": title, "status": status});
    if let Some(detail) = detail {
        body["detail"] = json!(detail);
    }
    let typed = Problem {
        r#type,
        title: title.to_owned(),
        status: i64::from(status),
        detail: detail.map(str::to_owned),
    };
    (body, typed)
}

fn full_request() -> ExpenseTransactionRequest {
    ExpenseTransactionRequest {
        amount_cents: 4250,
        currency: Currency::Eur,
        description: "Train Paris -> Lyon, client visit".to_owned(),
        receipt_id: Nullable::Value("rcpt_9f2e1d".to_owned()),
    }
}

fn minimal_request() -> ExpenseTransactionRequest {
    ExpenseTransactionRequest {
        amount_cents: 50000,
        currency: Currency::Gbp,
        description: "Monthly allowance".to_owned(),
        receipt_id: Nullable::Absent,
    }
}

/// Answers every request with `reply`, makes one call through a fresh client
/// (with `options`, if any) and returns its error and the server's log.
async fn failing_call<T: Debug>(
    reply: Reply,
    options: Option<CallOptions>,
    call: impl AsyncFnOnce(ExpensiveWalletClient) -> Result<T, MicroserviceError>,
) -> (MicroserviceError, Vec<RecordedRequest>) {
    let server = TestServer::start(move |_| reply.clone()).await;
    let mut wallet = client(&server.url());
    if let Some(options) = options {
        wallet = wallet.with_options(options);
    }
    let error = call(wallet).await.expect_err("the call must fail");
    (error, server.requests())
}

/// Checks every documented error status of one operation: `statuses` are
/// answered once each; 503 is retried (the operation is a GET or a keyed
/// POST) and, with retries switched off, answered once.
async fn check_documented_errors<T: Debug>(
    operation: &str,
    path: &str,
    statuses: &[u16],
    idempotency_key: Option<&str>,
    call: impl AsyncFn(ExpensiveWalletClient) -> Result<T, MicroserviceError>,
) {
    for &status in statuses {
        let (body, typed) = problem(status);
        let (error, seen) = failing_call(Reply::json(status, body), None, &call).await;
        let category = if matches!(status, 401 | 403) {
            ErrorCategory::Unauthorized
        } else {
            ErrorCategory::Response
        };
        assert_eq!(
            error.category(),
            category,
            "{operation} {status}: {error:?}"
        );
        assert_eq!(error.status(), Some(status));
        assert_eq!(
            error.body::<Problem>(),
            Some(&typed),
            "{operation} {status}"
        );
        assert_eq!(error.context().operation(), operation);
        assert_eq!(error.attempts(), 1, "{operation} {status} is not retried");
        assert_eq!(seen.len(), 1, "{operation} {status} is not retried");
        assert_eq!(seen[0].path, path);
        assert_eq!(seen[0].header("idempotency-key"), idempotency_key);
    }

    let (body, typed) = problem(503);
    let unavailable = Reply::json(503, body).header("Retry-After", "0");
    let (error, seen) = failing_call(unavailable.clone(), None, &call).await;
    assert_eq!(error.category(), ErrorCategory::Response, "{operation} 503");
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.body::<Problem>(), Some(&typed));
    assert_eq!(error.attempts(), 3, "{operation}: 503 is retried");
    assert_eq!(seen.len(), 3, "{operation}: 503 is retried");
    for request in &seen {
        assert_eq!(request.path, path);
        assert_eq!(request.header("idempotency-key"), idempotency_key);
        assert_eq!(request.body, seen[0].body);
    }

    let (error, seen) = failing_call(
        unavailable,
        Some(CallOptions::new().retry(RetryPolicy::never())),
        &call,
    )
    .await;
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.body::<Problem>(), Some(&typed));
    assert_eq!(error.attempts(), 1);
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn get_expense_balance_encodes_the_employee_id_and_decodes_the_balance() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "employee_id": EMPLOYEE,
                "currency": "EUR",
                "available_cents": 125000,
                "reserved_cents": 8950
            }),
        )
    })
    .await;
    let balance = client(&server.url())
        .get_expense_balance(EMPLOYEE)
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, format!("/accounts/{EMPLOYEE_ENCODED}/balance"));
    assert_eq!(seen.path_segments(), ["accounts", EMPLOYEE, "balance"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("idempotency-key"), None);
    assert!(seen.body.is_empty());
    assert_eq!(
        balance,
        ExpenseBalance {
            employee_id: EMPLOYEE.to_owned(),
            currency: Currency::Eur,
            available_cents: 125000,
            reserved_cents: 8950,
        }
    );
}

#[tokio::test]
async fn debit_expense_sends_key_and_body_and_decodes_the_transaction() {
    let server = TestServer::start(|_| {
        Reply::json(
            201,
            json!({
                "id": "2d9c4e7a-8b1f-4a63-9e05-7f3b6c2a1d84",
                "kind": "debit",
                "amount_cents": 4250,
                "balance_after_cents": 120750,
                "created_at": "2025-02-03T11:26:45Z"
            }),
        )
    })
    .await;
    let transaction = client(&server.url())
        .debit_expense(EMPLOYEE, "exp-2025-02-03-train", &full_request())
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, format!("/accounts/{EMPLOYEE_ENCODED}/debits"));
    assert_eq!(seen.path_segments(), ["accounts", EMPLOYEE, "debits"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("idempotency-key"), Some("exp-2025-02-03-train"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({
            "amount_cents": 4250,
            "currency": "EUR",
            "description": "Train Paris -> Lyon, client visit",
            "receipt_id": "rcpt_9f2e1d"
        })
    );
    assert_eq!(
        transaction,
        ExpenseTransaction {
            id: wire("2d9c4e7a-8b1f-4a63-9e05-7f3b6c2a1d84"),
            kind: TransactionKind::Debit,
            amount_cents: 4250,
            balance_after_cents: 120750,
            created_at: wire("2025-02-03T11:26:45Z"),
        }
    );
}

#[tokio::test]
async fn credit_expense_sends_key_and_body_without_the_unset_receipt() {
    let server = TestServer::start(|_| {
        Reply::json(
            201,
            json!({
                "id": "8a4f1c3e-6d2b-4e9a-b7c5-0e1d2f3a4b5c",
                "kind": "credit",
                "amount_cents": 50000,
                "balance_after_cents": 175000,
                "created_at": "2025-02-01T00:00:00Z"
            }),
        )
    })
    .await;
    let transaction = client(&server.url())
        .credit_expense(EMPLOYEE, "allowance-2025-02", &minimal_request())
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, format!("/accounts/{EMPLOYEE_ENCODED}/credits"));
    assert_eq!(seen.path_segments(), ["accounts", EMPLOYEE, "credits"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("idempotency-key"), Some("allowance-2025-02"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({"amount_cents": 50000, "currency": "GBP", "description": "Monthly allowance"})
    );
    assert_eq!(
        transaction,
        ExpenseTransaction {
            id: wire("8a4f1c3e-6d2b-4e9a-b7c5-0e1d2f3a4b5c"),
            kind: TransactionKind::Credit,
            amount_cents: 50000,
            balance_after_cents: 175000,
            created_at: wire("2025-02-01T00:00:00Z"),
        }
    );
}

#[tokio::test]
async fn get_expense_balance_documented_errors() {
    check_documented_errors(
        "getExpenseBalance",
        "/accounts/emp_4821/balance",
        &[401, 403, 404, 422],
        None,
        async |wallet| wallet.get_expense_balance("emp_4821").await,
    )
    .await;
}

#[tokio::test]
async fn debit_expense_documented_errors() {
    check_documented_errors(
        "debitExpense",
        "/accounts/emp_4821/debits",
        &[401, 403, 404, 409, 422],
        Some("key-0001"),
        async |wallet| {
            wallet
                .debit_expense("emp_4821", "key-0001", &full_request())
                .await
        },
    )
    .await;
}

#[tokio::test]
async fn credit_expense_documented_errors() {
    check_documented_errors(
        "creditExpense",
        "/accounts/emp_4821/credits",
        &[401, 403, 404, 409, 422],
        Some("key-0002"),
        async |wallet| {
            wallet
                .credit_expense("emp_4821", "key-0002", &minimal_request())
                .await
        },
    )
    .await;
}

#[tokio::test]
async fn the_calls_idempotency_key_wins_over_a_handle_header() {
    let server = TestServer::start(|_| {
        Reply::json(
            201,
            json!({
                "id": "2d9c4e7a-8b1f-4a63-9e05-7f3b6c2a1d84",
                "kind": "debit",
                "amount_cents": 4250,
                "balance_after_cents": 120750,
                "created_at": "2025-02-03T11:26:45Z"
            }),
        )
    })
    .await;
    client(&server.url())
        .with_options(CallOptions::new().header("Idempotency-Key", "from-options"))
        .debit_expense("emp_4821", "from-parameter", &full_request())
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).header("idempotency-key"),
        Some("from-parameter")
    );
}

#[tokio::test]
async fn calls_without_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let config = anonymous_config(&server.url()).build().unwrap();
    let wallet = ExpensiveWalletClient::new(&Session::new(config).unwrap()).unwrap();
    let errors = [
        wallet.get_expense_balance("emp_4821").await.unwrap_err(),
        wallet
            .debit_expense("emp_4821", "key-0001", &full_request())
            .await
            .unwrap_err(),
        wallet
            .credit_expense("emp_4821", "key-0002", &minimal_request())
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
                hint: "EXPENSIVE_WALLET_SERVICE_TOKEN".to_owned(),
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}
