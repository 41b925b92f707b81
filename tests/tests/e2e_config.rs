//! The generated config client (`specs/config.yaml`) against a real local
//! server: what every operation puts on the wire (API key header, encoded
//! path parameters, exploded array query), what it decodes, every documented
//! error status with its typed body (429 retried as a GET), and calls without
//! credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Debug;

use clientgen_runtime::error::InvalidRequestReason;
use clientgen_runtime::{
    CallOptions, Credentials, ErrorCategory, MicroserviceError, RetryPolicy, RuntimeConfigBuilder,
    Session,
};
use clientgen_tests::fixtures::{fast_config, only_request, wire};
use clientgen_tests::server::{RecordedRequest, Reply, TestServer};
use serde_json::json;
use service_clients::config::{ConfigClient, ConfigValue, ConfigValueList, Error, ServiceSettings};

/// A configuration pointing `config` at `url`, with fast retries and no credentials.
fn anonymous_config(url: &str) -> RuntimeConfigBuilder {
    fast_config("config", url)
}

/// A config client for `url` authenticating with the API key `k3y-c0nfig`.
fn client(url: &str) -> ConfigClient {
    let config = anonymous_config(url)
        .credentials("config", Credentials::api_key("k3y-c0nfig"))
        .build()
        .unwrap();
    ConfigClient::new(&Session::new(config).unwrap()).unwrap()
}

/// Asserts the API key travels in `X-API-Key`, and nothing else authenticates.
fn assert_api_key(seen: &RecordedRequest) {
    assert_eq!(seen.header("x-api-key"), Some("k3y-c0nfig"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("cookie"), None);
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn error_body(code: &str, message: &str) -> Error {
    Error {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// Checks every documented error status of one operation (401, 403, 404,
/// 429), each against a fresh server and client.
async fn check_documented_errors<T: Debug>(
    operation: &str,
    path: &str,
    call: impl AsyncFn(ConfigClient) -> Result<T, MicroserviceError>,
) {
    for (status, code, message) in [
        (401, "unauthorized", "Missing or invalid API key"),
        (
            403,
            "forbidden",
            "API key has no access to namespace payroll",
        ),
        (
            404,
            "not_found",
            "Key approval_chain not found in namespace leaves",
        ),
    ] {
        let server = TestServer::start(move |_| {
            Reply::json(status, json!({"code": code, "message": message}))
        })
        .await;
        let error = call(client(&server.url())).await.unwrap_err();
        let category = if status == 404 {
            ErrorCategory::Response
        } else {
            ErrorCategory::Unauthorized
        };
        assert_eq!(
            error.category(),
            category,
            "{operation} {status}: {error:?}"
        );
        assert_eq!(error.status(), Some(status));
        assert_eq!(
            error.body::<Error>(),
            Some(&error_body(code, message)),
            "{operation} {status}"
        );
        assert_eq!(error.context().operation(), operation);
        assert_eq!(error.attempts(), 1, "{operation} {status} is not retried");
        assert_eq!(
            server.request_count(),
            1,
            "{operation} {status} is not retried"
        );
        assert_eq!(server.requests()[0].path, path);
    }

    // 429 is transient and the operation is a GET: every attempt is made,
    // each answered 429, and the last answer is returned.
    let server = TestServer::start(|_| {
        Reply::json(
            429,
            json!({"code": "rate_limited", "message": "Too many requests, retry later"}),
        )
        .header("Retry-After", "0")
    })
    .await;
    let error = call(client(&server.url())).await.unwrap_err();
    assert_eq!(error.category(), ErrorCategory::Response, "{operation} 429");
    assert_eq!(error.status(), Some(429));
    assert!(error.is_retryable());
    assert_eq!(
        error.body::<Error>(),
        Some(&error_body(
            "rate_limited",
            "Too many requests, retry later"
        ))
    );
    assert_eq!(error.attempts(), 3, "{operation} 429 is retried");
    assert_eq!(server.request_count(), 3, "{operation} 429 is retried");
    assert!(server.requests().iter().all(|seen| seen.path == path));

    // The same with retries switched off for the call: one attempt only.
    let server = TestServer::start(|_| {
        Reply::json(
            429,
            json!({"code": "rate_limited", "message": "Too many requests, retry later"}),
        )
        .header("Retry-After", "0")
    })
    .await;
    let once = client(&server.url()).with_options(CallOptions::new().retry(RetryPolicy::never()));
    let error = call(once).await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(
        error.body::<Error>(),
        Some(&error_body(
            "rate_limited",
            "Too many requests, retry later"
        ))
    );
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn list_config_values_sends_every_parameter_and_decodes_the_page() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "items": [
                    {
                        "namespace": "leaves/eu west",
                        "key": "max_carry_over_days",
                        "value": 5,
                        "version": 12,
                        "updated_at": "2025-01-10T16:20:00Z"
                    },
                    {
                        "namespace": "leaves/eu west",
                        "key": "approval chain",
                        "value": {"levels": ["manager", "hr_admin"], "auto_approve_below_days": 1},
                        "version": 3,
                        "updated_at": "2024-11-02T09:05:44Z"
                    }
                ],
                "next_cursor": "Y3Vyc29yOjI="
            }),
        )
    })
    .await;
    let keys = [
        "max_carry_over_days".to_owned(),
        "approval chain".to_owned(),
        "a&b=c".to_owned(),
    ];
    let page = client(&server.url())
        .list_config_values("leaves/eu west")
        .keys(&keys)
        .limit(50)
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/namespaces/leaves%2Feu%20west/keys");
    assert_eq!(
        seen.path_segments(),
        ["namespaces", "leaves/eu west", "keys"]
    );
    assert_eq!(
        seen.query.as_deref(),
        Some("keys=max_carry_over_days&keys=approval%20chain&keys=a%26b%3Dc&limit=50")
    );
    assert_eq!(
        seen.query_pairs(),
        pairs(&[
            ("keys", "max_carry_over_days"),
            ("keys", "approval chain"),
            ("keys", "a&b=c"),
            ("limit", "50"),
        ])
    );
    assert_api_key(&seen);
    assert!(seen.body.is_empty());
    assert_eq!(
        page,
        ConfigValueList {
            items: vec![
                ConfigValue {
                    namespace: "leaves/eu west".to_owned(),
                    key: "max_carry_over_days".to_owned(),
                    value: json!(5),
                    version: 12,
                    updated_at: wire("2025-01-10T16:20:00Z"),
                },
                ConfigValue {
                    namespace: "leaves/eu west".to_owned(),
                    key: "approval chain".to_owned(),
                    value: json!({"levels": ["manager", "hr_admin"], "auto_approve_below_days": 1}),
                    version: 3,
                    updated_at: wire("2024-11-02T09:05:44Z"),
                },
            ],
            next_cursor: Some("Y3Vyc29yOjI=".to_owned()),
        }
    );
}

#[tokio::test]
async fn list_config_values_without_optional_parameters_sends_no_query() {
    let server =
        TestServer::start(|_| Reply::json(200, json!({"items": [], "next_cursor": null}))).await;
    let page = client(&server.url())
        .list_config_values("leaves")
        .await
        .unwrap();
    let seen = only_request(&server);
    assert_eq!(seen.path, "/namespaces/leaves/keys");
    assert_eq!(seen.query, None);
    assert_eq!(
        page,
        ConfigValueList {
            items: Vec::new(),
            next_cursor: None,
        }
    );
}

#[tokio::test]
async fn get_config_value_encodes_both_path_parameters_and_decodes_the_value() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "namespace": "leaves",
                "key": "approval/chain v2",
                "value": {"levels": ["manager", "hr_admin"], "auto_approve_below_days": 1},
                "version": 3,
                "updated_at": "2024-11-02T09:05:44Z"
            }),
        )
    })
    .await;
    let value = client(&server.url())
        .get_config_value("leaves", "approval/chain v2")
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/namespaces/leaves/keys/approval%2Fchain%20v2");
    assert_eq!(
        seen.path_segments(),
        ["namespaces", "leaves", "keys", "approval/chain v2"]
    );
    assert_eq!(seen.query, None);
    assert_api_key(&seen);
    assert!(seen.body.is_empty());
    assert_eq!(
        value,
        ConfigValue {
            namespace: "leaves".to_owned(),
            key: "approval/chain v2".to_owned(),
            value: json!({"levels": ["manager", "hr_admin"], "auto_approve_below_days": 1}),
            version: 3,
            updated_at: wire("2024-11-02T09:05:44Z"),
        }
    );
}

#[tokio::test]
async fn get_service_settings_encodes_the_service_and_decodes_settings_and_flags() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({
                "service": "leaves api",
                "settings": {"default_timezone": "Europe/Paris", "max_request_days": "30"},
                "feature_flags": {"half_day_leaves": true, "expense_receipts_ocr": false}
            }),
        )
    })
    .await;
    let settings = client(&server.url())
        .get_service_settings("leaves api")
        .await
        .unwrap();

    let seen = only_request(&server);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/services/leaves%20api/settings");
    assert_eq!(seen.path_segments(), ["services", "leaves api", "settings"]);
    assert_eq!(seen.query, None);
    assert_api_key(&seen);
    assert_eq!(
        settings,
        ServiceSettings {
            service: "leaves api".to_owned(),
            settings: BTreeMap::from([
                ("default_timezone".to_owned(), "Europe/Paris".to_owned()),
                ("max_request_days".to_owned(), "30".to_owned()),
            ]),
            feature_flags: BTreeMap::from([
                ("expense_receipts_ocr".to_owned(), false),
                ("half_day_leaves".to_owned(), true),
            ]),
        }
    );
}

#[tokio::test]
async fn list_config_values_documented_errors() {
    check_documented_errors(
        "listConfigValues",
        "/namespaces/leaves/keys",
        async |config| {
            let keys = ["approval_chain".to_owned()];
            config
                .list_config_values("leaves")
                .keys(&keys)
                .limit(10)
                .await
        },
    )
    .await;
}

#[tokio::test]
async fn get_config_value_documented_errors() {
    check_documented_errors(
        "getConfigValue",
        "/namespaces/leaves/keys/approval_chain",
        async |config| config.get_config_value("leaves", "approval_chain").await,
    )
    .await;
}

#[tokio::test]
async fn get_service_settings_documented_errors() {
    check_documented_errors(
        "getServiceSettings",
        "/services/leaves-api/settings",
        async |config| config.get_service_settings("leaves-api").await,
    )
    .await;
}

#[tokio::test]
async fn a_429_then_a_200_succeeds_on_the_second_attempt() {
    let server = TestServer::scripted(vec![
        Reply::json(
            429,
            json!({"code": "rate_limited", "message": "Too many requests, retry later"}),
        )
        .header("Retry-After", "0"),
        Reply::json(
            200,
            json!({"service": "audit", "settings": {}, "feature_flags": {}}),
        ),
    ])
    .await;
    let settings = client(&server.url())
        .get_service_settings("audit")
        .await
        .unwrap();
    assert_eq!(settings.service, "audit");
    assert!(settings.settings.is_empty());
    assert!(settings.feature_flags.is_empty());
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|request| request.header("x-api-key") == Some("k3y-c0nfig"))
    );
}

#[tokio::test]
async fn calls_without_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let config = anonymous_config(&server.url()).build().unwrap();
    let client = ConfigClient::new(&Session::new(config).unwrap()).unwrap();

    let errors = [
        client.list_config_values("leaves").await.unwrap_err(),
        client
            .get_config_value("leaves", "approval_chain")
            .await
            .unwrap_err(),
        client.get_service_settings("leaves-api").await.unwrap_err(),
    ];
    for error in &errors {
        assert!(error.is_invalid_request(), "{error:?}");
        assert_eq!(error.attempts(), 0);
        let MicroserviceError::InvalidRequest(invalid) = error else {
            panic!("expected an invalid request, got {error:?}");
        };
        assert_eq!(
            invalid.reason(),
            &InvalidRequestReason::MissingCredentials {
                accepted: "an API key".to_owned(),
                hint: "CONFIG_SERVICE_API_KEY".to_owned(),
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_bearer_token_does_not_satisfy_the_api_key_requirement() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let config = anonymous_config(&server.url())
        .credentials("config", Credentials::bearer("t0ken"))
        .build()
        .unwrap();
    let client = ConfigClient::new(&Session::new(config).unwrap()).unwrap();
    let error = client.get_service_settings("leaves-api").await.unwrap_err();
    assert!(error.is_invalid_request(), "{error:?}");
    assert_eq!(server.request_count(), 0);
}
