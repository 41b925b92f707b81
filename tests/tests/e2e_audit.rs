//! The generated audit client (`specs/audit.yaml`) against a real local
//! server: what every operation puts on the wire (`X-Audit-Key`,
//! `X-Request-ID`, the discriminated actor, exploded `types` and an RFC 3339
//! `since`), what it decodes, every documented error status with its typed
//! body (the unkeyed POST sent exactly once), and calls without credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::types::Nullable;
use std::collections::BTreeMap;
use std::fmt::Debug;

use clientgen_runtime::error::InvalidRequestReason;
use clientgen_runtime::{
    CallOptions, Credentials, ErrorCategory, MicroserviceError, RetryPolicy, RuntimeConfigBuilder,
    Session,
};
use clientgen_tests::fixtures::{fast_config, only_request, wire};
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::{Value, json};
use service_clients::audit::{
    Actor, AuditClient, AuditEvent, AuditEventInput, AuditEventList, AuditTarget, Error,
    ServiceActor, UserActor,
};

/// A configuration pointing `audit` at `url`, with fast retries and no credentials.
fn anonymous_config(url: &str) -> RuntimeConfigBuilder {
    fast_config("audit", url)
}

/// An audit client for `url` authenticating with the key `aud1t-k3y`.
fn client(url: &str) -> AuditClient {
    let config = anonymous_config(url)
        .credentials("audit", Credentials::api_key("aud1t-k3y"))
        .build()
        .unwrap();
    AuditClient::new(&Session::new(config).unwrap()).unwrap()
}

/// Asserts the key travels in `X-Audit-Key`, and nothing else authenticates.
fn assert_audit_key(seen: &RecordedRequest) {
    assert_eq!(seen.header("x-audit-key"), Some("aud1t-k3y"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("cookie"), None);
}

fn error_body(code: &str, message: &str) -> Error {
    Error {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The spec's example event, with every optional field set.
fn approval_input() -> AuditEventInput {
    AuditEventInput {
        action: "leave.request.approved".to_owned(),
        occurred_at: wire("2025-01-21T14:02:10Z"),
        actor: Actor::User(UserActor {
            user_id: "usr_1b2c3d4e".to_owned(),
            ip_address: Some("203.0.113.7".to_owned()),
        }),
        target: Nullable::Value(AuditTarget {
            kind: "leave_request".to_owned(),
            id: "42".to_owned(),
        }),
        details: Some(BTreeMap::from([
            ("comment".to_owned(), json!("Enjoy the break")),
            ("days".to_owned(), json!(3)),
        ])),
    }
}

fn approval_json() -> Value {
    json!({
        "action": "leave.request.approved",
        "occurred_at": "2025-01-21T14:02:10Z",
        "actor": {"type": "user", "user_id": "usr_1b2c3d4e", "ip_address": "203.0.113.7"},
        "target": {"kind": "leave_request", "id": "42"},
        "details": {"days": 3, "comment": "Enjoy the break"}
    })
}

/// A service-initiated event with only the required fields.
fn credit_input() -> AuditEventInput {
    AuditEventInput {
        action: "expense.account.credited".to_owned(),
        occurred_at: wire("2025-01-21T14:04:59Z"),
        actor: Actor::Service(ServiceActor {
            service_name: "payroll-sync".to_owned(),
        }),
        target: Nullable::Absent,
        details: None,
    }
}

/// The event the service answers for `input`: it writes `target` even when
/// the input left it out (as `null`).
fn recorded(input: AuditEventInput, id: &str, recorded_at: &str) -> AuditEvent {
    AuditEvent {
        action: input.action,
        occurred_at: input.occurred_at,
        actor: input.actor,
        target: match input.target {
            Nullable::Absent => Nullable::Null,
            target => target,
        },
        details: input.details,
        id: wire(id),
        recorded_at: wire(recorded_at),
    }
}

/// Answers every request with `reply`, makes one call through a fresh client
/// (with `options`, if any) and returns its error and the server's log.
async fn failing_call<T: Debug>(
    reply: Reply,
    options: Option<CallOptions>,
    call: impl AsyncFnOnce(AuditClient) -> Result<T, MicroserviceError>,
) -> (MicroserviceError, Vec<RecordedRequest>) {
    let server = TestServer::start(move |_| reply.clone()).await;
    let mut audit = client(&server.url());
    if let Some(options) = options {
        audit = audit.with_options(options);
    }
    let error = call(audit).await.expect_err("the call must fail");
    (error, server.requests())
}

/// Checks 400 and 401, answered once with their typed bodies.
async fn check_400_and_401<T: Debug>(
    operation: &str,
    call: impl AsyncFn(AuditClient) -> Result<T, MicroserviceError>,
) {
    for (status, category, code, message) in [
        (
            400,
            ErrorCategory::Response,
            "bad_request",
            "occurred_at must be an RFC 3339 date-time",
        ),
        (
            401,
            ErrorCategory::Unauthorized,
            "unauthorized",
            "Missing or invalid X-Audit-Key",
        ),
    ] {
        let (error, seen) = failing_call(
            Reply::json(status, json!({"code": code, "message": message})),
            None,
            &call,
        )
        .await;
        assert_eq!(
            error.category(),
            category,
            "{operation} {status}: {error:?}"
        );
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body::<Error>(), Some(&error_body(code, message)));
        assert_eq!(error.context().operation(), operation);
        assert_eq!(error.attempts(), 1, "{operation} {status} is not retried");
        assert_eq!(seen.len(), 1, "{operation} {status} is not retried");
    }
}

fn unavailable() -> Reply {
    Reply::json(
        503,
        json!({"code": "unavailable", "message": "Audit store is unavailable, retry later"}),
    )
    .header("Retry-After", "0")
}

#[tokio::test]
async fn write_audit_event_sends_headers_and_the_tagged_actor_and_decodes_the_event() {
    let server = TestServer::start(|_| {
        let mut event = approval_json();
        event["id"] = json!("5e7a9c1b-3d2f-4b8e-a6c4-9f0e1d2c3b4a");
        event["recorded_at"] = json!("2025-01-21T14:02:10.512Z");
        Reply::json(201, event)
    })
    .await;
    let event = client(&server.url())
        .write_audit_event(&approval_input())
        .x_request_id("req-7f3a9c21")
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/events");
    assert_eq!(seen.query, None);
    assert_audit_key(&seen);
    assert_eq!(seen.header("x-request-id"), Some("req-7f3a9c21"));
    assert_eq!(seen.header("idempotency-key"), None);
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.json(), approval_json());
    assert_eq!(
        event,
        recorded(
            approval_input(),
            "5e7a9c1b-3d2f-4b8e-a6c4-9f0e1d2c3b4a",
            "2025-01-21T14:02:10.512Z"
        )
    );
}

#[tokio::test]
async fn write_audit_event_leaves_unset_optional_fields_and_headers_out() {
    let server = TestServer::start(|_| {
        Reply::json(
            201,
            json!({
                "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                "recorded_at": "2025-01-21T14:05:00.004Z",
                "action": "expense.account.credited",
                "occurred_at": "2025-01-21T14:04:59Z",
                "actor": {"type": "service", "service_name": "payroll-sync"},
                "target": null
            }),
        )
    })
    .await;
    let event = client(&server.url())
        .write_audit_event(&credit_input())
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.header("x-request-id"), None);
    assert_eq!(
        seen.json(),
        json!({
            "action": "expense.account.credited",
            "occurred_at": "2025-01-21T14:04:59Z",
            "actor": {"type": "service", "service_name": "payroll-sync"}
        })
    );
    assert_eq!(
        event,
        recorded(
            credit_input(),
            "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
            "2025-01-21T14:05:00.004Z"
        )
    );
}

#[tokio::test]
async fn list_audit_events_sends_every_filter_and_decodes_the_events() {
    let server = TestServer::start(|_| {
        let mut approval = approval_json();
        approval["id"] = json!("5e7a9c1b-3d2f-4b8e-a6c4-9f0e1d2c3b4a");
        approval["recorded_at"] = json!("2025-01-21T14:02:10.512Z");
        Reply::json(
            200,
            json!({
                "events": [
                    approval,
                    {
                        "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                        "recorded_at": "2025-01-21T14:05:00.004Z",
                        "action": "expense.account.credited",
                        "occurred_at": "2025-01-21T14:04:59Z",
                        "actor": {"type": "service", "service_name": "payroll-sync"},
                        "target": null
                    }
                ]
            }),
        )
    })
    .await;
    let types = [
        "leave.request.approved".to_owned(),
        "expense.account.credited".to_owned(),
        "a&b=c d".to_owned(),
    ];
    let list = client(&server.url())
        .list_audit_events()
        .types(&types)
        .since(wire("2025-01-21T14:00:00.250Z"))
        .limit(25)
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/events");
    assert_eq!(
        seen.query.as_deref(),
        Some(
            "types=leave.request.approved&types=expense.account.credited&types=a%26b%3Dc%20d\
             &since=2025-01-21T14%3A00%3A00.250Z&limit=25"
        )
    );
    assert_eq!(
        seen.query_pairs(),
        [
            ("types", "leave.request.approved"),
            ("types", "expense.account.credited"),
            ("types", "a&b=c d"),
            ("since", "2025-01-21T14:00:00.250Z"),
            ("limit", "25"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
    );
    assert_audit_key(&seen);
    assert_eq!(seen.header("content-type"), None);
    assert!(seen.body.is_empty());
    assert_eq!(
        list,
        AuditEventList {
            events: vec![
                recorded(
                    approval_input(),
                    "5e7a9c1b-3d2f-4b8e-a6c4-9f0e1d2c3b4a",
                    "2025-01-21T14:02:10.512Z"
                ),
                recorded(
                    credit_input(),
                    "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                    "2025-01-21T14:05:00.004Z"
                ),
            ],
        }
    );
}

#[tokio::test]
async fn list_audit_events_without_filters_sends_no_query() {
    let server = TestServer::start(|_| Reply::json(200, json!({"events": []}))).await;
    let list = client(&server.url()).list_audit_events().await.unwrap();
    let seen = only_request(&server);
    assert_eq!(seen.path, "/events");
    assert_eq!(seen.query, None);
    assert_eq!(list, AuditEventList { events: Vec::new() });
}

#[tokio::test]
async fn list_audit_events_decodes_an_actor_type_it_does_not_know() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "events": [{
                    "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                    "recorded_at": "2025-01-21T14:05:00.004Z",
                    "action": "config.value.changed",
                    "occurred_at": "2025-01-21T14:04:59Z",
                    "actor": {"type": "robot", "serial": "R2-D2"}
                }]
            }),
        )
    })
    .await;
    let list = client(&server.url())
        .list_audit_events()
        .limit(1)
        .await
        .unwrap();
    assert_eq!(list.events.len(), 1);
    assert_eq!(list.events[0].actor, Actor::Unknown);
    assert_eq!(list.events[0].target, Nullable::Absent);
    assert_eq!(list.events[0].details, None);
}

#[tokio::test]
async fn write_audit_event_400_and_401_decode_the_error_body() {
    check_400_and_401("writeAuditEvent", async |audit| {
        audit
            .write_audit_event(&approval_input())
            .x_request_id("req-1")
            .await
    })
    .await;
}

#[tokio::test]
async fn write_audit_event_503_is_sent_exactly_once() {
    let (error, seen) = failing_call(unavailable(), None, async |audit| {
        audit
            .write_audit_event(&approval_input())
            .x_request_id("req-1")
            .await
    })
    .await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(503));
    assert!(error.is_retryable(), "the caller may decide to retry");
    assert_eq!(
        error.body::<Error>(),
        Some(&error_body(
            "unavailable",
            "Audit store is unavailable, retry later"
        ))
    );
    assert_eq!(error.attempts(), 1, "an unkeyed POST is never replayed");
    assert_eq!(seen.len(), 1, "an unkeyed POST is never replayed");
    assert_eq!(seen[0].header("idempotency-key"), None);
}

#[tokio::test]
async fn list_audit_events_400_and_401_decode_the_error_body() {
    check_400_and_401("listAuditEvents", async |audit| {
        let types = ["leave.request.approved".to_owned()];
        audit.list_audit_events().types(&types).limit(10).await
    })
    .await;
}

#[tokio::test]
async fn list_audit_events_503_is_retried_then_returned() {
    let typed = error_body("unavailable", "Audit store is unavailable, retry later");
    let (error, seen) = failing_call(unavailable(), None, async |audit| {
        audit.list_audit_events().limit(10).await
    })
    .await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.body::<Error>(), Some(&typed));
    assert_eq!(error.attempts(), 3, "a GET is retried");
    assert_eq!(seen.len(), 3, "a GET is retried");
    assert!(
        seen.iter()
            .all(|request| request.query.as_deref() == Some("limit=10"))
    );

    let (error, seen) = failing_call(
        unavailable(),
        Some(CallOptions::new().retry(RetryPolicy::never())),
        async |audit| audit.list_audit_events().limit(10).await,
    )
    .await;
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.body::<Error>(), Some(&typed));
    assert_eq!(error.attempts(), 1);
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn calls_without_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let config = anonymous_config(&server.url()).build().unwrap();
    let audit = AuditClient::new(&Session::new(config).unwrap()).unwrap();
    let errors = [
        audit
            .write_audit_event(&approval_input())
            .x_request_id("req-1")
            .await
            .unwrap_err(),
        audit.list_audit_events().await.unwrap_err(),
    ];
    for error in &errors {
        assert!(error.is_invalid_request(), "{error:?}");
        let MicroserviceError::InvalidRequest(invalid) = error else {
            panic!("expected an invalid request, got {error:?}");
        };
        assert_eq!(
            invalid.reason(),
            &InvalidRequestReason::MissingCredentials {
                accepted: "an API key".to_owned(),
                hint: "AUDIT_SERVICE_API_KEY".to_owned(),
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}
