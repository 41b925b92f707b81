//! The generated notification client (`specs/notification.yaml`) against a
//! real local server: what every operation puts on the wire, `action_url`
//! resolved against `FRONTEND_URL` (and hostile links refused before
//! sending), what it decodes, every documented error status with its typed
//! body (an unkeyed POST sent exactly once), and calls without credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clientgen_runtime::types::Nullable;
use std::collections::BTreeMap;
use std::fmt::Debug;

use clientgen_runtime::error::InvalidRequestReason;
use clientgen_runtime::{
    CallOptions, Credentials, ErrorCategory, LinkError, MicroserviceError, RetryPolicy,
    RuntimeConfigBuilder, Session,
};
use clientgen_tests::fixtures::{fast_config, only_request, wire};
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::{Value, json};
use service_clients::notification::{
    Channel, DeliveryStatus, ErrorDetail, HttpValidationError, Notification, NotificationAccepted,
    NotificationClient, NotificationRequest, ValidationError, ValidationErrorLocItem,
};

const NOTIFICATION_ID: &str = "3f8b2c1e-9d4a-4e6f-8a7b-1c2d3e4f5a6b";
const RECIPIENT_ID: &str = "9a1b7c3d-2e4f-4a5b-8c6d-7e8f9a0b1c2d";

/// A configuration pointing `notification` at `url`, with fast retries and no credentials.
fn anonymous_config(url: &str) -> RuntimeConfigBuilder {
    fast_config("notification", url)
}

/// `builder` with the bearer token `t0ken`, as a notification client.
fn client_from(builder: RuntimeConfigBuilder) -> NotificationClient {
    let config = builder
        .credentials("notification", Credentials::bearer("t0ken"))
        .build()
        .unwrap();
    NotificationClient::new(&Session::new(config).unwrap()).unwrap()
}

/// A notification client for `url` with the default `FRONTEND_URL`.
fn client(url: &str) -> NotificationClient {
    client_from(anonymous_config(url))
}

fn detail(text: &str) -> ErrorDetail {
    ErrorDetail {
        detail: text.to_owned(),
    }
}

fn accepted_reply() -> Reply {
    Reply::json(
        202,
        json!({"id": NOTIFICATION_ID, "status": "queued", "queued_at": "2025-01-15T10:42:07Z"}),
    )
}

/// A request with only the required fields set.
fn minimal_request() -> NotificationRequest {
    NotificationRequest {
        recipient_id: wire(RECIPIENT_ID),
        channel: Channel::Sms,
        title: "Leave approved".to_owned(),
        body: "Your leave from 3 to 5 March was approved.".to_owned(),
        action_url: Nullable::Absent,
        metadata: None,
        scheduled_at: Nullable::Absent,
    }
}

/// A request with every optional field set.
fn full_request(action_url: &str) -> NotificationRequest {
    NotificationRequest {
        recipient_id: wire(RECIPIENT_ID),
        channel: Channel::Email,
        title: "Your leave request was approved".to_owned(),
        body: "Grace approved 3 days from 3 March.".to_owned(),
        action_url: Nullable::Value(action_url.to_owned()),
        metadata: Some(BTreeMap::from([
            ("leave_request_id".to_owned(), "42".to_owned()),
            ("source".to_owned(), "leaves-api".to_owned()),
        ])),
        scheduled_at: Nullable::Value(wire("2025-01-15T11:00:00Z")),
    }
}

/// The JSON `full_request` must arrive as, with `action_url` already resolved.
fn full_request_json(action_url: &str) -> Value {
    json!({
        "recipient_id": RECIPIENT_ID,
        "channel": "email",
        "title": "Your leave request was approved",
        "body": "Grace approved 3 days from 3 March.",
        "action_url": action_url,
        "metadata": {"leave_request_id": "42", "source": "leaves-api"},
        "scheduled_at": "2025-01-15T11:00:00Z"
    })
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

/// Answers every request with `reply`, makes one call through `client` and
/// returns its error and the server's log.
async fn failing_call<T: Debug>(
    reply: Reply,
    options: Option<CallOptions>,
    call: impl AsyncFnOnce(NotificationClient) -> Result<T, MicroserviceError>,
) -> (MicroserviceError, Vec<RecordedRequest>) {
    let server = TestServer::start(move |_| reply.clone()).await;
    let mut notification = client(&server.url());
    if let Some(options) = options {
        notification = notification.with_options(options);
    }
    let error = call(notification).await.expect_err("the call must fail");
    (error, server.requests())
}

/// The link error behind a refused request.
fn link_error(error: &MicroserviceError) -> &LinkError {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<LinkError>())
        .unwrap_or_else(|| panic!("no link error behind {error:?}"))
}

#[tokio::test]
async fn send_notification_posts_every_field_and_decodes_the_acknowledgement() {
    let server = TestServer::start(|_| accepted_reply()).await;
    let accepted = client(&server.url())
        .send_notification(&full_request("/approvals/42"))
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/notifications");
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("idempotency-key"), None);
    assert_eq!(
        seen.json(),
        full_request_json("http://localhost:3000/approvals/42")
    );
    assert_eq!(
        accepted,
        NotificationAccepted {
            id: wire(NOTIFICATION_ID),
            status: DeliveryStatus::Queued,
            queued_at: wire("2025-01-15T10:42:07Z"),
        }
    );
}

#[tokio::test]
async fn send_notification_leaves_unset_optional_fields_out() {
    let server = TestServer::start(|_| accepted_reply()).await;
    client(&server.url())
        .send_notification(&minimal_request())
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).json(),
        json!({
            "recipient_id": RECIPIENT_ID,
            "channel": "sms",
            "title": "Leave approved",
            "body": "Your leave from 3 to 5 March was approved."
        })
    );
}

#[tokio::test]
async fn action_url_is_resolved_against_a_frontend_url_with_a_path() {
    let server = TestServer::start(|_| accepted_reply()).await;
    let notification =
        client_from(anonymous_config(&server.url()).frontend_url("https://hr.example.com/app"));
    notification
        .send_notification(&full_request("/approvals/42"))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).json(),
        full_request_json("https://hr.example.com/app/approvals/42")
    );
}

#[tokio::test]
async fn hostile_action_urls_are_refused_before_sending() {
    let server = TestServer::start(|_| accepted_reply()).await;
    let notification = client(&server.url());
    for (link, reason) in [
        ("//evil.example/x", LinkError::SchemeRelative),
        (
            "https://evil.example/approvals/42",
            LinkError::ForeignOrigin,
        ),
        ("/\\evil.example", LinkError::Backslash),
        ("javascript:alert(1)", LinkError::DisallowedScheme),
    ] {
        let error = notification
            .send_notification(&full_request(link))
            .await
            .unwrap_err();
        assert!(error.is_invalid_request(), "{link}: {error:?}");
        assert_eq!(error.attempts(), 0);
        let MicroserviceError::InvalidRequest(invalid) = &error else {
            panic!("{link}: expected an invalid request, got {error:?}");
        };
        assert_eq!(
            invalid.reason(),
            &InvalidRequestReason::Link {
                field: "/action_url".to_owned()
            },
            "{link}"
        );
        assert_eq!(link_error(&error), &reason, "{link}");
        assert!(
            !error.to_string().contains(link),
            "{link} leaks into {error}"
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn get_notification_sends_the_uuid_in_the_path_and_decodes_the_notification() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "id": NOTIFICATION_ID,
                "recipient_id": RECIPIENT_ID,
                "channel": "email",
                "title": "Your leave request was approved",
                "action_url": "/leaves/requests/42",
                "status": "sent",
                "created_at": "2025-01-15T10:42:07Z"
            }),
        )
    })
    .await;
    let notification = client(&server.url())
        .get_notification(wire(NOTIFICATION_ID))
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, format!("/notifications/{NOTIFICATION_ID}"));
    assert_eq!(seen.path_segments(), ["notifications", NOTIFICATION_ID]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("content-type"), None);
    assert!(seen.body.is_empty());
    assert_eq!(
        notification,
        Notification {
            id: wire(NOTIFICATION_ID),
            recipient_id: wire(RECIPIENT_ID),
            channel: Channel::Email,
            title: "Your leave request was approved".to_owned(),
            action_url: Some("/leaves/requests/42".to_owned()),
            status: DeliveryStatus::Sent,
            created_at: wire("2025-01-15T10:42:07Z"),
        }
    );
}

#[tokio::test]
async fn get_notification_decodes_a_null_action_url_and_unknown_enum_values() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "id": NOTIFICATION_ID,
                "recipient_id": RECIPIENT_ID,
                "channel": "webhook",
                "title": "Expense refunded",
                "action_url": null,
                "status": "bounced",
                "created_at": "2025-01-16T08:00:00Z"
            }),
        )
    })
    .await;
    let notification = client(&server.url())
        .get_notification(wire(NOTIFICATION_ID))
        .await
        .unwrap();
    assert_eq!(notification.action_url, None);
    assert_eq!(notification.channel, Channel::Unknown("webhook".to_owned()));
    assert_eq!(
        notification.status,
        DeliveryStatus::Unknown("bounced".to_owned())
    );
}

#[tokio::test]
async fn send_notification_401_and_422_decode_their_declared_bodies() {
    let (error, seen) = failing_call(
        Reply::json(401, json!({"detail": "Not authenticated"})),
        None,
        async |client| client.send_notification(&minimal_request()).await,
    )
    .await;
    assert_eq!(error.category(), ErrorCategory::Unauthorized);
    assert_eq!(error.status(), Some(401));
    assert_eq!(
        error.body::<ErrorDetail>(),
        Some(&detail("Not authenticated"))
    );
    assert_eq!(seen.len(), 1);

    let (body, typed) = validation_body(
        "body",
        "title",
        "String should have at most 200 characters",
        "string_too_long",
    );
    let (error, seen) = failing_call(Reply::json(422, body), None, async |client| {
        client.send_notification(&minimal_request()).await
    })
    .await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.body::<HttpValidationError>(), Some(&typed));
    assert_eq!(error.body::<ErrorDetail>(), None);
    assert_eq!(error.attempts(), 1);
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn send_notification_429_and_503_are_sent_exactly_once() {
    for (status, text) in [
        (429, "Rate limit exceeded, retry later"),
        (503, "Delivery backend unavailable"),
    ] {
        let (error, seen) = failing_call(
            Reply::json(status, json!({"detail": text})).header("Retry-After", "0"),
            None,
            async |client| {
                client
                    .send_notification(&full_request("/approvals/42"))
                    .await
            },
        )
        .await;
        assert_eq!(error.category(), ErrorCategory::Response, "{status}");
        assert_eq!(error.status(), Some(status));
        assert!(error.is_retryable(), "the caller may decide to retry");
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
        assert_eq!(
            error.attempts(),
            1,
            "{status}: an unkeyed POST is never replayed"
        );
        assert_eq!(seen.len(), 1, "{status}: an unkeyed POST is never replayed");
        assert_eq!(seen[0].header("idempotency-key"), None);
    }
}

#[tokio::test]
async fn get_notification_401_404_and_422_decode_their_declared_bodies() {
    for (status, text) in [(401, "Not authenticated"), (404, "Notification not found")] {
        let (error, seen) = failing_call(
            Reply::json(status, json!({"detail": text})),
            None,
            async |client| client.get_notification(wire(NOTIFICATION_ID)).await,
        )
        .await;
        let category = if status == 401 {
            ErrorCategory::Unauthorized
        } else {
            ErrorCategory::Response
        };
        assert_eq!(error.category(), category, "{status}");
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
        assert_eq!(error.attempts(), 1);
        assert_eq!(seen.len(), 1);
    }

    let (body, typed) = validation_body(
        "path",
        "notification_id",
        "Input should be a valid UUID",
        "uuid_parsing",
    );
    let (error, seen) = failing_call(Reply::json(422, body), None, async |client| {
        client.get_notification(wire(NOTIFICATION_ID)).await
    })
    .await;
    assert_eq!(error.category(), ErrorCategory::Response);
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.body::<HttpValidationError>(), Some(&typed));
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn get_notification_429_and_503_are_retried_then_returned() {
    for (status, text) in [
        (429, "Rate limit exceeded, retry later"),
        (503, "Delivery backend unavailable"),
    ] {
        let reply = Reply::json(status, json!({"detail": text})).header("Retry-After", "0");
        let (error, seen) = failing_call(reply.clone(), None, async |client| {
            client.get_notification(wire(NOTIFICATION_ID)).await
        })
        .await;
        assert_eq!(error.category(), ErrorCategory::Response, "{status}");
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
        assert_eq!(error.attempts(), 3, "{status}: a GET is retried");
        assert_eq!(seen.len(), 3, "{status}: a GET is retried");

        let (error, seen) = failing_call(
            reply,
            Some(CallOptions::new().retry(RetryPolicy::never())),
            async |client| client.get_notification(wire(NOTIFICATION_ID)).await,
        )
        .await;
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
        assert_eq!(error.attempts(), 1, "{status}: retries switched off");
        assert_eq!(seen.len(), 1, "{status}: retries switched off");
    }
}

#[tokio::test]
async fn calls_without_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| accepted_reply()).await;
    let config = anonymous_config(&server.url()).build().unwrap();
    let notification = NotificationClient::new(&Session::new(config).unwrap()).unwrap();
    let errors = [
        notification
            .send_notification(&minimal_request())
            .await
            .unwrap_err(),
        notification
            .get_notification(wire(NOTIFICATION_ID))
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
                hint: "NOTIFICATION_SERVICE_TOKEN".to_owned(),
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}
