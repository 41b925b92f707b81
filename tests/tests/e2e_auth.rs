//! The generated auth client (`specs/auth.yaml`) against a real local server:
//! what every operation puts on the wire, what it decodes, every documented
//! error status with its typed body, and calls without credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Debug;

use clientgen_runtime::error::InvalidRequestReason;
use clientgen_runtime::{
    Credentials, ErrorCategory, MicroserviceError, RuntimeConfigBuilder, Session,
};
use clientgen_tests::fixtures::{fast_config, only_request, wire};
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::{Value, json};
use service_clients::auth::{
    AuthClient, ErrorDetail, HttpValidationError, Role, TokenValidation, TokenValidationRequest,
    User, ValidationError, ValidationErrorLocItem,
};

/// A configuration pointing `auth` at `url`, with fast retries and no credentials.
fn anonymous_config(url: &str) -> RuntimeConfigBuilder {
    fast_config("auth", url)
}

/// An auth client for `url` authenticating with the bearer token `t0ken`.
fn client(url: &str) -> AuthClient {
    let config = anonymous_config(url)
        .credentials("auth", Credentials::bearer("t0ken"))
        .build()
        .unwrap();
    AuthClient::new(&Session::new(config).unwrap()).unwrap()
}

/// Answers every request with `reply`, makes one call through a fresh client
/// (fresh breaker and retry budget) and returns its error and the server's log.
async fn failing_call<T: Debug>(
    reply: Reply,
    call: impl AsyncFnOnce(AuthClient) -> Result<T, MicroserviceError>,
) -> (MicroserviceError, Vec<RecordedRequest>) {
    let server = TestServer::start(move |_| reply.clone()).await;
    let error = call(client(&server.url()))
        .await
        .expect_err("the call must fail");
    (error, server.requests())
}

/// Asserts an answered error: category, status, one attempt and one request.
fn assert_answered_once(
    error: &MicroserviceError,
    seen: &[RecordedRequest],
    status: u16,
    category: ErrorCategory,
) {
    assert_eq!(error.category(), category, "{status}: {error:?}");
    assert_eq!(error.status(), Some(status));
    assert_eq!(error.attempts(), 1, "{status} is not retried");
    assert_eq!(seen.len(), 1, "{status} is not retried");
}

/// The category the runtime gives an error status.
fn category_of(status: u16) -> ErrorCategory {
    if matches!(status, 401 | 403) {
        ErrorCategory::Unauthorized
    } else {
        ErrorCategory::Response
    }
}

/// The FastAPI validation error body of the spec's 422 example.
fn validation_body(location: &str, field: &str) -> (Value, HttpValidationError) {
    let body = json!({
        "detail": [{"loc": [location, field, 0], "msg": "Field required", "type": "missing"}]
    });
    let typed = HttpValidationError {
        detail: Some(vec![ValidationError {
            loc: vec![
                ValidationErrorLocItem::String(location.to_owned()),
                ValidationErrorLocItem::String(field.to_owned()),
                ValidationErrorLocItem::Integer(0),
            ],
            msg: "Field required".to_owned(),
            r#type: "missing".to_owned(),
        }]),
    };
    (body, typed)
}

fn detail(text: &str) -> ErrorDetail {
    ErrorDetail {
        detail: text.to_owned(),
    }
}

#[tokio::test]
async fn get_current_user_sends_the_bearer_token_and_decodes_the_user() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "id": "usr_7f3a9c21",
                "email": "ada.lovelace@example.com",
                "display_name": "Ada Lovelace",
                "roles": ["employee", "manager"],
                "manager_id": "usr_1b2c3d4e",
                "created_at": "2023-02-14T09:30:00Z"
            }),
        )
    })
    .await;
    let user = client(&server.url()).get_current_user().await.unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/users/me");
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("content-type"), None);
    assert!(seen.body.is_empty());
    assert_eq!(
        user,
        User {
            id: "usr_7f3a9c21".to_owned(),
            email: "ada.lovelace@example.com".to_owned(),
            display_name: "Ada Lovelace".to_owned(),
            roles: vec![Role::Employee, Role::Manager],
            manager_id: Some("usr_1b2c3d4e".to_owned()),
            created_at: wire("2023-02-14T09:30:00Z"),
        }
    );
}

#[tokio::test]
async fn get_user_sends_the_id_as_one_encoded_segment_and_decodes_a_null_manager() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "id": "usr 1b2c/3d4e",
                "email": "grace.hopper@example.com",
                "display_name": "Grace Hopper",
                "roles": ["manager", "hr_admin", "auditor"],
                "manager_id": null,
                "created_at": "2021-06-01T08:00:00Z"
            }),
        )
    })
    .await;
    let user = client(&server.url())
        .get_user("usr 1b2c/3d4e")
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/users/usr%201b2c%2F3d4e");
    assert_eq!(seen.path_segments(), ["users", "usr 1b2c/3d4e"]);
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert!(seen.body.is_empty());
    assert_eq!(
        user,
        User {
            id: "usr 1b2c/3d4e".to_owned(),
            email: "grace.hopper@example.com".to_owned(),
            display_name: "Grace Hopper".to_owned(),
            roles: vec![
                Role::Manager,
                Role::HrAdmin,
                Role::Unknown("auditor".to_owned())
            ],
            manager_id: None,
            created_at: wire("2021-06-01T08:00:00Z"),
        }
    );
}

#[tokio::test]
async fn validate_token_posts_the_token_as_json_and_decodes_the_validation() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "valid": true,
                "user_id": "usr_7f3a9c21",
                "scopes": ["leaves:read", "leaves:write"],
                "expires_at": "2025-03-01T12:00:00Z"
            }),
        )
    })
    .await;
    let validation = client(&server.url())
        .validate_token(&TokenValidationRequest {
            token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfN2YzYTljMjEifQ.c2ln".to_owned(),
        })
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/tokens/validate");
    assert_eq!(seen.query, None);
    assert_eq!(seen.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfN2YzYTljMjEifQ.c2ln"})
    );
    assert_eq!(
        validation,
        TokenValidation {
            valid: true,
            user_id: Some("usr_7f3a9c21".to_owned()),
            scopes: vec!["leaves:read".to_owned(), "leaves:write".to_owned()],
            expires_at: Some(wire("2025-03-01T12:00:00Z")),
        }
    );
}

#[tokio::test]
async fn validate_token_decodes_an_invalid_token_with_null_owner_and_expiry() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"valid": false, "user_id": null, "scopes": [], "expires_at": null}),
        )
    })
    .await;
    let validation = client(&server.url())
        .validate_token(&TokenValidationRequest {
            token: "expired".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!(
        validation,
        TokenValidation {
            valid: false,
            user_id: None,
            scopes: Vec::new(),
            expires_at: None,
        }
    );
    assert_eq!(only_request(&server).json(), json!({"token": "expired"}));
}

#[tokio::test]
async fn validate_token_is_declared_idempotent_so_a_503_is_retried() {
    let server = TestServer::scripted(vec![
        Reply::json(503, json!({"detail": "Token store unavailable"})).header("Retry-After", "0"),
        Reply::json(
            200,
            json!({"valid": true, "user_id": "usr_7f3a9c21", "scopes": [], "expires_at": null}),
        ),
    ])
    .await;
    let validation = client(&server.url())
        .validate_token(&TokenValidationRequest {
            token: "t-1".to_owned(),
        })
        .await
        .unwrap();
    assert!(validation.valid);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|request| request.json() == json!({"token": "t-1"}))
    );
}

#[tokio::test]
async fn get_current_user_error_statuses_decode_error_detail() {
    for (status, text) in [(401, "Not authenticated"), (403, "Not enough permissions")] {
        let (error, seen) =
            failing_call(Reply::json(status, json!({"detail": text})), async |auth| {
                auth.get_current_user().await
            })
            .await;
        assert_answered_once(&error, &seen, status, ErrorCategory::Unauthorized);
        assert!(error.is_unauthorized());
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
        assert_eq!(error.context().operation(), "getCurrentUser");
    }
}

#[tokio::test]
async fn get_user_error_statuses_decode_their_declared_bodies() {
    for (status, text) in [
        (401, "Not authenticated"),
        (403, "Not enough permissions"),
        (404, "User not found"),
    ] {
        let (error, seen) =
            failing_call(Reply::json(status, json!({"detail": text})), async |auth| {
                auth.get_user("usr_missing").await
            })
            .await;
        assert_answered_once(&error, &seen, status, category_of(status));
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
        assert_eq!(error.body::<HttpValidationError>(), None);
        assert_eq!(seen[0].path, "/users/usr_missing");
    }

    let (body, typed) = validation_body("path", "user_id");
    let (error, seen) = failing_call(Reply::json(422, body), async |auth| {
        auth.get_user("usr_1").await
    })
    .await;
    assert_answered_once(&error, &seen, 422, ErrorCategory::Response);
    assert_eq!(error.body::<HttpValidationError>(), Some(&typed));
    assert_eq!(error.body::<ErrorDetail>(), None);
}

#[tokio::test]
async fn validate_token_error_statuses_decode_their_declared_bodies() {
    let request = TokenValidationRequest {
        token: "t-1".to_owned(),
    };
    for (status, text) in [(401, "Not authenticated"), (403, "Not enough permissions")] {
        let (error, seen) =
            failing_call(Reply::json(status, json!({"detail": text})), async |auth| {
                auth.validate_token(&request).await
            })
            .await;
        assert_answered_once(&error, &seen, status, ErrorCategory::Unauthorized);
        assert_eq!(error.body::<ErrorDetail>(), Some(&detail(text)), "{status}");
    }

    let (body, typed) = validation_body("body", "token");
    let (error, seen) = failing_call(Reply::json(422, body), async |auth| {
        auth.validate_token(&request).await
    })
    .await;
    assert_answered_once(&error, &seen, 422, ErrorCategory::Response);
    assert_eq!(error.body::<HttpValidationError>(), Some(&typed));
}

#[tokio::test]
async fn calls_without_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let config = anonymous_config(&server.url()).build().unwrap();
    let auth = AuthClient::new(&Session::new(config).unwrap()).unwrap();

    let errors = [
        auth.get_current_user().await.unwrap_err(),
        auth.get_user("usr_1").await.unwrap_err(),
        auth.validate_token(&TokenValidationRequest {
            token: "t-1".to_owned(),
        })
        .await
        .unwrap_err(),
    ];
    for error in &errors {
        assert!(error.is_invalid_request(), "{error:?}");
        assert_eq!(error.attempts(), 0);
        assert_eq!(error.status(), None);
        let MicroserviceError::InvalidRequest(invalid) = error else {
            panic!("expected an invalid request, got {error:?}");
        };
        assert_eq!(
            invalid.reason(),
            &InvalidRequestReason::MissingCredentials {
                accepted: "a bearer token".to_owned(),
                hint: "AUTH_SERVICE_TOKEN".to_owned(),
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}
