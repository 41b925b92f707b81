//! Credentials, frontend links and secrets, against a real local server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clientgen_runtime::auth::{ApiKeyLocation, AuthScheme, TokenFuture};
use clientgen_runtime::codegen::{Method, Operation, Request, Security};
use clientgen_runtime::error::{InvalidRequestReason, UnavailableReason};
use clientgen_runtime::{
    Credentials, MicroserviceError, RuntimeConfigBuilder, Secret, ServiceClient, TokenProvider,
};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};
use serde_json::json;

const BEARER: Security = Security {
    requirements: &[&[AuthScheme::Bearer]],
    optional: false,
};
const KEY_IN_QUERY: Security = Security {
    requirements: &[&[AuthScheme::ApiKey {
        location: ApiKeyLocation::Query,
        name: "api_key",
    }]],
    optional: false,
};

static ME: Operation = Operation::new("getCurrentUser", Method::Get, "/me").security(BEARER);
static EVENTS: Operation =
    Operation::new("listEvents", Method::Get, "/events").security(KEY_IN_QUERY);
static NOTIFY: Operation = Operation::new("sendNotification", Method::Post, "/notifications")
    .link_fields(&["/action_url", "/actions/*/url"]);

#[tokio::test]
async fn a_bearer_token_is_sent_as_authorization() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| {
        config.credentials("svc", Credentials::bearer("tok-1"))
    });
    svc.execute(Request::new(&ME)).await.unwrap();
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer tok-1")
    );
}

#[tokio::test]
async fn an_api_key_goes_where_the_spec_says_and_never_into_errors() {
    let server = TestServer::start(|_| Reply::json(500, json!({"detail": "boom"}))).await;
    let svc = client(&server.url(), |config| {
        config
            .max_attempts(1)
            .credentials("svc", Credentials::api_key("key-hunter2"))
    });
    let error = svc.execute(Request::new(&EVENTS)).await.unwrap_err();
    let seen = &server.requests()[0];
    assert!(
        seen.query_pairs()
            .contains(&("api_key".to_owned(), "key-hunter2".to_owned()))
    );
    assert!(seen.header("authorization").is_none());
    let shown = format!("{error} {error:?} {:?}", std::error::Error::source(&error));
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// Every value a request carries under `name`.
fn values_of<'a>(
    request: &'a clientgen_tests::server::RecordedRequest,
    name: &str,
) -> Vec<&'a str> {
    request
        .headers
        .iter()
        .filter(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
        .collect()
}

/// A credential header goes out once: beside no header of the caller's, it
/// replaces a caller's header of the same name, and it replaces the body's
/// content type if a spec names its key `Content-Type`. The body's content
/// type replaces a caller's.
#[tokio::test]
async fn a_credential_header_goes_out_once_and_replaces_the_callers() {
    const KEY_IN_HEADER: Security = Security {
        requirements: &[&[AuthScheme::ApiKey {
            location: ApiKeyLocation::Header,
            name: "X-API-Key",
        }]],
        optional: false,
    };
    const KEY_AS_CONTENT_TYPE: Security = Security {
        requirements: &[&[AuthScheme::ApiKey {
            location: ApiKeyLocation::Header,
            name: "Content-Type",
        }]],
        optional: false,
    };
    static READ: Operation = Operation::new("read", Method::Get, "/read").security(KEY_IN_HEADER);
    static WRITE: Operation =
        Operation::new("write", Method::Post, "/write").security(KEY_IN_HEADER);
    static ODD: Operation =
        Operation::new("odd", Method::Post, "/odd").security(KEY_AS_CONTENT_TYPE);
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| {
        config.credentials("svc", Credentials::api_key("key-1"))
    });
    svc.execute(Request::new(&READ)).await.unwrap();
    svc.execute(Request::new(&READ).header("X-API-Key", "the-callers"))
        .await
        .unwrap();
    svc.execute(Request::new(&WRITE).json(&json!({"a": 1})))
        .await
        .unwrap();
    svc.execute(Request::new(&ODD).json(&json!({"a": 1})))
        .await
        .unwrap();
    let typed = Request::new(&WRITE).header("Content-Type", "text/plain");
    svc.execute(typed.json(&json!({"a": 1}))).await.unwrap();
    let traced = Request::new(&ODD).header("X-Trace", "t");
    svc.execute(traced.json(&json!({"a": 1}))).await.unwrap();
    let seen = server.requests();
    assert_eq!(values_of(&seen[0], "x-api-key"), ["key-1"]);
    assert_eq!(values_of(&seen[1], "x-api-key"), ["key-1"]);
    assert_eq!(values_of(&seen[2], "x-api-key"), ["key-1"]);
    assert_eq!(values_of(&seen[2], "content-type"), ["application/json"]);
    assert_eq!(values_of(&seen[3], "content-type"), ["key-1"]);
    assert_eq!(values_of(&seen[4], "content-type"), ["application/json"]);
    assert_eq!(values_of(&seen[4], "x-api-key"), ["key-1"]);
    assert_eq!(values_of(&seen[5], "content-type"), ["key-1"]);
}

/// An API key satisfies both of these schemes; each operation sends it the
/// way it prefers, whichever operation was called first and however often.
#[tokio::test]
async fn each_operation_places_a_shared_key_by_its_own_preference() {
    const HEADER_FIRST: Security = Security {
        requirements: &[
            &[AuthScheme::ApiKey {
                location: ApiKeyLocation::Header,
                name: "X-Api-Key",
            }],
            &[AuthScheme::ApiKey {
                location: ApiKeyLocation::Query,
                name: "api_key",
            }],
        ],
        optional: false,
    };
    static BY_HEADER: Operation =
        Operation::new("byHeader", Method::Get, "/by-header").security(HEADER_FIRST);
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| {
        config.credentials("svc", Credentials::api_key("key-1"))
    });
    for operation in [&EVENTS, &BY_HEADER, &EVENTS, &BY_HEADER] {
        svc.execute(Request::new(operation)).await.unwrap();
    }
    let seen = server.requests();
    assert_eq!(seen.len(), 4);
    for (index, request) in seen.iter().enumerate() {
        let in_query = request
            .query_pairs()
            .contains(&("api_key".to_owned(), "key-1".to_owned()));
        let in_header = request.header("x-api-key") == Some("key-1");
        let by_query = index % 2 == 0;
        assert_eq!((in_query, in_header), (by_query, !by_query), "call {index}");
    }
}

#[tokio::test]
async fn missing_credentials_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config);
    let error = svc.execute(Request::new(&ME)).await.unwrap_err();
    let MicroserviceError::InvalidRequest(invalid) = &error else {
        panic!("expected an invalid request, got {error:?}");
    };
    assert_eq!(
        invalid.reason(),
        &InvalidRequestReason::MissingCredentials {
            accepted: "a bearer token".to_owned(),
            hint: "SVC_SERVICE_TOKEN".to_owned(),
        }
    );
    assert_eq!(server.request_count(), 0);
}

/// A handle on `server` whose credentials come from `provider`, with
/// `tweak` applied.
fn provider_client<P: TokenProvider + 'static>(
    server: &TestServer,
    provider: &Arc<P>,
    tweak: impl FnOnce(RuntimeConfigBuilder) -> RuntimeConfigBuilder,
) -> ServiceClient {
    let credentials = Credentials::Provider(provider.clone());
    client(&server.url(), |config| {
        tweak(config.credentials("svc", credentials))
    })
}

/// Hands out `old` until refreshed, then `new`.
struct Rotating {
    refreshed: AtomicUsize,
}

impl TokenProvider for Rotating {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async { Ok(Secret::new("old")) })
    }

    fn refresh(&self) -> Option<TokenFuture<'_>> {
        self.refreshed.fetch_add(1, Ordering::SeqCst);
        Some(Box::pin(async { Ok(Secret::new("new")) }))
    }
}

#[tokio::test]
async fn a_refreshable_provider_gets_one_refresh_on_401() {
    let server = TestServer::start(|request| match request.header("authorization") {
        Some("Bearer new") => Reply::status(200),
        _ => Reply::status(401),
    })
    .await;
    let provider = Arc::new(Rotating {
        refreshed: AtomicUsize::new(0),
    });
    let svc = provider_client(&server, &provider, |config| config);
    svc.execute(Request::new(&ME)).await.unwrap();
    assert_eq!(server.request_count(), 2);
    assert_eq!(provider.refreshed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_after_refresh_is_unauthorized() {
    let server = TestServer::start(|_| Reply::status(401)).await;
    let provider = Arc::new(Rotating {
        refreshed: AtomicUsize::new(0),
    });
    let svc = provider_client(&server, &provider, |config| config);
    let error = svc.execute(Request::new(&ME)).await.unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(server.request_count(), 2);
    assert_eq!(provider.refreshed.load(Ordering::SeqCst), 1);
}

/// Counts the tokens it hands out; fails from the second on.
struct OneToken {
    handed: AtomicUsize,
}

impl TokenProvider for OneToken {
    fn token(&self) -> TokenFuture<'_> {
        let first = self.handed.fetch_add(1, Ordering::SeqCst) == 0;
        Box::pin(async move {
            if first {
                Ok(Secret::new("t"))
            } else {
                Err("token service down".into())
            }
        })
    }
}

/// A call the breaker refuses fetches no token: the permit comes first.
#[tokio::test]
async fn a_refused_call_fetches_no_token() {
    let server = TestServer::start(|_| Reply::status(503)).await;
    let provider = Arc::new(OneToken {
        handed: AtomicUsize::new(0),
    });
    let svc = provider_client(&server, &provider, |config| {
        config
            .breaker(clientgen_runtime::BreakerConfig {
                failure_ratio: 0.5,
                minimum_calls: 1,
                window: Duration::from_secs(60),
                open_duration: Duration::from_secs(60),
                half_open_probes: 1,
            })
            .max_attempts(1)
    });
    let error = svc.execute(Request::new(&ME)).await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(error.attempts(), 1);
    let refused = svc.execute(Request::new(&ME)).await.unwrap_err();
    assert_eq!(refused.attempts(), 0);
    assert!(refused.is_unavailable(), "{refused}");
    assert_eq!(provider.handed.load(Ordering::SeqCst), 1);
    assert_eq!(server.request_count(), 1);
}

/// Takes `delay` to hand out a token and `delay` again to refresh it.
struct Slow {
    delay: Duration,
}

impl TokenProvider for Slow {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async {
            tokio::time::sleep(self.delay).await;
            Ok(Secret::new("old"))
        })
    }

    fn refresh(&self) -> Option<TokenFuture<'_>> {
        Some(Box::pin(async {
            tokio::time::sleep(self.delay).await;
            Ok(Secret::new("new"))
        }))
    }
}

/// Calls `server` with a [`Slow`] provider taking `delay`, a `deadline`
/// and a much longer attempt timeout; asserts the call ended because the
/// deadline passed, and within `bound`.
async fn slow_credentials_call(
    server: &TestServer,
    deadline: Duration,
    delay: Duration,
    bound: Duration,
) {
    let svc = client(&server.url(), |config| {
        config
            .deadline(deadline)
            .attempt_timeout(Duration::from_secs(30))
            .credentials("svc", Credentials::provider(Slow { delay }))
    });
    let started = Instant::now();
    let error = svc.execute(Request::new(&ME)).await.unwrap_err();
    let elapsed = started.elapsed();
    let MicroserviceError::Unavailable(unavailable) = &error else {
        panic!("expected unavailable, got {error:?}");
    };
    assert_eq!(unavailable.reason(), UnavailableReason::DeadlineExceeded);
    assert!(elapsed < bound, "{elapsed:?}");
}

/// The time a slow token fetch took counts against the call's deadline: the
/// attempt after it gets only what is left (here, about 0.8 s of 2 s, where
/// the full 2 s would end the call after 3.2 s).
#[tokio::test]
async fn a_slow_token_fetch_counts_against_the_deadline() {
    let server = TestServer::start(|_| Reply::status(200).delay(Duration::from_secs(10))).await;
    let (deadline, delay) = (Duration::from_secs(2), Duration::from_millis(1200));
    slow_credentials_call(&server, deadline, delay, Duration::from_millis(2700)).await;
}

/// Likewise after a 401: the first attempt and the refresh both count, so
/// the second attempt ends at the deadline, not a whole deadline later.
#[tokio::test]
async fn a_slow_refresh_after_401_counts_against_the_deadline() {
    let server = TestServer::start(|request| match request.header("authorization") {
        Some("Bearer new") => Reply::status(200).delay(Duration::from_secs(10)),
        _ => Reply::status(401),
    })
    .await;
    let (deadline, delay) = (Duration::from_secs(3), Duration::from_millis(900));
    slow_credentials_call(&server, deadline, delay, Duration::from_millis(3700)).await;
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn link_fields_are_made_absolute_against_frontend_url_with_its_base_path() {
    let server = TestServer::start(|_| Reply::status(202)).await;
    let svc = client(&server.url(), |config| {
        config.frontend_url("https://hr.example.com/app")
    });
    svc.execute(Request::new(&NOTIFY).json(&json!({
        "recipient": "u-1",
        "action_url": "/approvals/42",
        "actions": [{"url": "/approvals/42/reject"}, {"url": null}],
    })))
    .await
    .unwrap();
    assert_eq!(
        server.requests()[0].json(),
        json!({
            "recipient": "u-1",
            "action_url": "https://hr.example.com/app/approvals/42",
            "actions": [{"url": "https://hr.example.com/app/approvals/42/reject"}, {"url": null}],
        })
    );
}

#[tokio::test]
async fn a_hostile_link_is_refused_before_any_request() {
    let server = TestServer::start(|_| Reply::status(202)).await;
    let svc = client(&server.url(), |config| config);
    for link in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/approvals/42",
        "javascript:alert(1)",
        "/%2F/evil.example",
    ] {
        let error = svc
            .execute(Request::new(&NOTIFY).json(&json!({"action_url": link})))
            .await
            .unwrap_err();
        let MicroserviceError::InvalidRequest(invalid) = &error else {
            panic!("{link}: expected an invalid request, got {error:?}");
        };
        assert_eq!(
            invalid.reason(),
            &InvalidRequestReason::Link {
                field: "/action_url".to_owned()
            }
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_credential_that_cannot_be_a_header_fails_instead_of_going_out_bare() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| {
        config.credentials("svc", Credentials::bearer("tok\r\nX-Injected: 1"))
    });
    let error = svc.execute(Request::new(&ME)).await.unwrap_err();
    assert!(error.is_invalid_request(), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("X-Injected"));
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn cookie_values_cannot_add_cookies() {
    static PROFILE: Operation = Operation::new("getProfile", Method::Get, "/profile");
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config);
    svc.execute(Request::new(&PROFILE).cookie("session", "abc; role=admin"))
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].header("cookie"),
        Some("session=abc%3B%20role%3Dadmin")
    );
}

#[test]
fn debug_output_shows_header_names_not_values() {
    let options = clientgen_runtime::CallOptions::new().header("Authorization", "Bearer hunter2");
    let request = Request::new(&ME)
        .header("X-Api-Key", "hunter2")
        .idempotency_key("key-hunter2")
        .query("token", "hunter2");
    let shown = format!("{options:?} {request:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("Authorization") && shown.contains("X-Api-Key"),
        "{shown}"
    );
}

/// A form body's link fields and a body that is itself a link are resolved
/// like a JSON body's fields, through the generated client; what would be
/// an open redirect never reaches the upstream.
#[tokio::test]
async fn links_in_form_bodies_and_whole_bodies_are_resolved_or_refused() {
    use clientgen_tests::features::links::{LinksClient, SendInvitationBody};

    let server = TestServer::start(|_| Reply::status(202)).await;
    let svc = client(&server.url(), |config| {
        config.frontend_url("https://hr.example.com/app")
    });
    let links = LinksClient::from_service(svc);
    let invitation = |accept_url: &str| SendInvitationBody {
        email: "ada@example.com".to_owned(),
        accept_url: accept_url.to_owned(),
    };
    links
        .send_invitation(&invitation("/invites/7"))
        .await
        .unwrap();
    links
        .set_redirect(&"/approvals/42".to_owned())
        .await
        .unwrap();
    for hostile in [
        "//evil.example",
        "https://evil.example/phish",
        "javascript:alert(1)",
    ] {
        let error = links
            .send_invitation(&invitation(hostile))
            .await
            .unwrap_err();
        assert!(error.is_invalid_request(), "{hostile}: {error}");
        let error = links.set_redirect(&hostile.to_owned()).await.unwrap_err();
        assert!(error.is_invalid_request(), "{hostile}: {error}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "no hostile link reached the upstream");
    assert_eq!(
        std::str::from_utf8(&requests[0].body).unwrap(),
        "email=ada%40example.com&accept_url=https%3A%2F%2Fhr.example.com%2Fapp%2Finvites%2F7"
    );
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        requests[1].json(),
        json!("https://hr.example.com/app/approvals/42")
    );
}

/// A connection that cannot be made leaves the URL, query credential
/// included, out of the error and of every error in its source chain.
#[tokio::test]
async fn a_transport_error_never_holds_the_url_or_a_query_key() {
    let port = clientgen_tests::server::unused_local_port().await;
    let svc = client(&format!("http://127.0.0.1:{port}"), |config| {
        config.credentials("svc", Credentials::api_key("k3y-in-qu3ry"))
    });
    let error = svc
        .execute(Request::new(&EVENTS).query("employee", "emp-secret-7"))
        .await
        .unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        shown.push_str(&format!(" | {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains("k3y-in-qu3ry"), "{shown}");
    assert!(!shown.contains("emp-secret-7"), "{shown}");
}
