//! The call path on tokio's paused clock, over a scripted transport: every
//! timeout, backoff, `Retry-After` and cool-down runs without real waiting.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::breaker::{BreakerConfig, BreakerState};
use crate::error::{MicroserviceError, UnavailableReason};
use crate::request::{Method, Operation, Request};
use crate::transport::{
    Headers, HttpRequest, HttpResponse, ResponseBody, Transport, TransportError,
    TransportErrorKind, TransportFuture,
};
use crate::{CallOptions, RuntimeConfig, ServiceClient, Session};

static GET: Operation = Operation::new("getThing", Method::Get, "/things/{id}");
static CREATE: Operation =
    Operation::new("createThing", Method::Post, "/things").idempotency_header("Idempotency-Key");

/// What the scripted upstream does with one request.
#[derive(Clone, Debug)]
enum Step {
    /// Answers with a status and headers.
    Answer(u16, &'static [(&'static str, &'static str)]),
    /// Never answers.
    Hang,
    /// Refuses the connection.
    Refuse,
}

/// A request the scripted upstream received, and when.
#[derive(Debug)]
struct Received {
    at: Instant,
    headers: Headers,
}

/// An upstream that follows a script, then answers `after` forever.
#[derive(Clone, Debug)]
struct Scripted {
    script: Arc<Mutex<VecDeque<Step>>>,
    after: Step,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Scripted {
    fn new(script: impl IntoIterator<Item = Step>, after: Step) -> Self {
        Self {
            script: Arc::new(Mutex::new(script.into_iter().collect())),
            after,
            received: Arc::default(),
        }
    }

    fn received(&self) -> std::sync::MutexGuard<'_, Vec<Received>> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Transport for Scripted {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        self.received().push(Received {
            at: Instant::now(),
            headers: request.headers,
        });
        let step = self
            .script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            .unwrap_or_else(|| self.after.clone());
        Box::pin(async move {
            match step {
                Step::Answer(status, pairs) => {
                    let mut headers = Headers::new();
                    for (name, value) in pairs {
                        headers.append(name, value).unwrap();
                    }
                    Ok(HttpResponse::new(
                        status,
                        headers,
                        ResponseBody::from_bytes("{}"),
                    ))
                }
                Step::Hang => std::future::pending().await,
                Step::Refuse => Err(TransportError::of_kind(TransportErrorKind::Connect)),
            }
        })
    }
}

fn client(
    upstream: &Scripted,
    configure: impl FnOnce(crate::RuntimeConfigBuilder) -> crate::RuntimeConfigBuilder,
) -> ServiceClient {
    let builder = RuntimeConfig::builder().service_url("svc", "http://upstream.test");
    let config = configure(builder).build().unwrap();
    Session::with_transport(config, upstream.clone())
        .service("svc")
        .unwrap()
}

async fn get(client: &ServiceClient) -> Result<crate::response::Response, MicroserviceError> {
    client.execute(Request::new(&GET).path_param("id", 7)).await
}

fn reason(error: &MicroserviceError) -> Option<UnavailableReason> {
    match error {
        MicroserviceError::Unavailable(unavailable) => Some(unavailable.reason()),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn attempt_timeouts_and_backoff_run_on_the_paused_clock() {
    let upstream = Scripted::new([], Step::Hang);
    let client = client(&upstream, |config| {
        config
            .attempt_timeout(Duration::from_secs(4))
            .deadline(Duration::from_secs(60))
            .max_attempts(3)
            .backoff(Duration::from_secs(1), Duration::from_secs(1))
    });
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert_eq!(reason(&error), Some(UnavailableReason::AttemptTimeout));
    assert_eq!(error.attempts(), 3);
    let received = upstream.received();
    assert_eq!(received.len(), 3);
    // Each attempt waited out its 4 s; the backoffs between them lasted at
    // most their 1 s ceiling (full jitter).
    for pair in received.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_secs(4) && gap <= Duration::from_secs(5),
            "{gap:?}"
        );
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(12) && elapsed <= Duration::from_secs(14),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_cuts_the_last_attempt_short() {
    let upstream = Scripted::new([], Step::Hang);
    let client = client(&upstream, |config| {
        config
            .attempt_timeout(Duration::from_secs(4))
            .deadline(Duration::from_secs(6))
            .backoff(Duration::from_millis(1), Duration::from_millis(1))
    });
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert_eq!(reason(&error), Some(UnavailableReason::DeadlineExceeded));
    assert_eq!(error.attempts(), 2);
    assert_eq!(started.elapsed(), Duration::from_secs(6));
    // The caller's own deadline says nothing about the upstream.
    assert_eq!(client.breaker_state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_out_on_the_paused_clock() {
    let upstream = Scripted::new(
        [Step::Answer(503, &[("retry-after", "3")])],
        Step::Answer(200, &[]),
    );
    let client = client(&upstream, |config| config);
    let response = get(&client).await.unwrap();
    assert_eq!(response.attempts(), 2);
    let received = upstream.received();
    assert_eq!(received[1].at - received[0].at, Duration::from_secs(3));
}

/// A blip that one retry fixes is a healthy call: twenty such calls with
/// the default settings succeed as far as the retry budget allows (10 + 20%
/// of the calls), and the breaker refuses none of them.
#[tokio::test(start_paused = true)]
async fn the_breaker_trusts_calls_that_retries_saved() {
    let blips = (0..40).map(|i| {
        if i % 2 == 0 {
            Step::Answer(503, &[])
        } else {
            Step::Answer(200, &[])
        }
    });
    let upstream = Scripted::new(blips, Step::Answer(200, &[]));
    let client = client(&upstream, |config| config);
    let mut succeeded = 0;
    for _ in 0..20 {
        match get(&client).await {
            Ok(_) => succeeded += 1,
            Err(error) => assert_ne!(reason(&error), Some(UnavailableReason::CircuitOpen)),
        }
    }
    assert!(succeeded >= 14, "{succeeded}/20 succeeded");
    assert_eq!(client.breaker_state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_hard_down_upstream_opens_the_breaker_until_a_probe_succeeds() {
    let upstream = Scripted::new(
        std::iter::repeat_n(Step::Refuse, 100),
        Step::Answer(200, &[]),
    );
    let open_for = Duration::from_secs(5);
    let client = client(&upstream, |config| {
        config.breaker(BreakerConfig {
            minimum_calls: 4,
            open_duration: open_for,
            half_open_probes: 1,
            ..BreakerConfig::default()
        })
    });
    for _ in 0..4 {
        let error = get(&client).await.unwrap_err();
        assert_eq!(reason(&error), Some(UnavailableReason::Connect));
    }
    assert_eq!(client.breaker_state(), BreakerState::Open);
    let sent = upstream.received().len();
    let error = get(&client).await.unwrap_err();
    assert_eq!(reason(&error), Some(UnavailableReason::CircuitOpen));
    assert_eq!(error.attempts(), 0);
    assert_eq!(
        upstream.received().len(),
        sent,
        "an open breaker sends nothing"
    );

    upstream.script.lock().unwrap().clear();
    tokio::time::advance(open_for).await;
    assert_eq!(client.breaker_state(), BreakerState::HalfOpen);
    get(&client).await.unwrap();
    assert_eq!(client.breaker_state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn each_call_has_its_own_idempotency_key_and_its_attempts_share_it() {
    let upstream = Scripted::new([Step::Answer(503, &[])], Step::Answer(201, &[]));
    let client = client(&upstream, |config| config);
    for _ in 0..2 {
        client
            .execute(Request::new(&CREATE).json(&1))
            .await
            .unwrap();
    }
    let received = upstream.received();
    let keys: Vec<&str> = received
        .iter()
        .map(|received| received.headers.get("idempotency-key").unwrap())
        .collect();
    assert_eq!(keys.len(), 3, "the first call retried once");
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
}

#[tokio::test(start_paused = true)]
async fn a_header_set_twice_is_sent_once_with_the_operations_value() {
    let upstream = Scripted::new([], Step::Answer(200, &[]));
    let client = client(&upstream, |config| config).with_options(
        CallOptions::new()
            .header("X-Trace", "from-options")
            .header("X-Tenant", "t-1")
            .header("content-type", "text/plain"),
    );
    let request = Request::new(&CREATE)
        .header("x-trace", "from-parameter")
        .json(&1);
    client.execute(request).await.unwrap();
    let received = upstream.received();
    let headers = &received[0].headers;
    assert_eq!(
        headers.get_all("x-trace").collect::<Vec<_>>(),
        ["from-parameter"]
    );
    assert_eq!(
        headers.get_all("content-type").collect::<Vec<_>>(),
        ["application/json"]
    );
    assert_eq!(headers.get("x-tenant"), Some("t-1"));
}

/// A call's future can move between threads: generated methods await it,
/// and callers spawn those on multi-thread runtimes.
#[test]
fn the_call_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let upstream = Scripted::new([], Step::Answer(200, &[]));
    let client = client(&upstream, |config| config);
    let call = client.execute(Request::new(&GET).path_param("id", 7));
    assert_send(&call);
}

/// An upstream that accepts and never answers opens the breaker with the
/// default timeouts: the last attempt, which the deadline cuts short,
/// keeps the verdict of the attempts that timed out before it.
#[tokio::test(start_paused = true)]
async fn a_hung_upstream_opens_the_breaker_with_default_timeouts() {
    let upstream = Scripted::new([], Step::Hang);
    let client = client(&upstream, |config| {
        config.breaker(BreakerConfig {
            minimum_calls: 2,
            ..BreakerConfig::default()
        })
    });
    for _ in 0..2 {
        let error = get(&client).await.unwrap_err();
        assert!(error.is_unavailable(), "{error}");
    }
    assert_eq!(client.breaker_state(), BreakerState::Open);
}

/// A retry whose backoff would leave no time for it is not made: the call
/// ends with the upstream's answer, not with a deadline error.
#[tokio::test(start_paused = true)]
async fn a_retry_with_no_time_left_for_it_is_not_made() {
    let upstream = Scripted::new(
        [Step::Answer(503, &[("retry-after", "3")])],
        Step::Answer(200, &[]),
    );
    let client = client(&upstream, |config| {
        config.deadline(Duration::from_millis(3_020))
    });
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(upstream.received().len(), 1);
}

/// A breaker that opens while a call waits out its backoff stops the retry.
#[tokio::test(start_paused = true)]
async fn a_breaker_opened_during_the_backoff_stops_the_retry() {
    let upstream = Scripted::new(
        [Step::Answer(503, &[("retry-after", "3")])],
        Step::Answer(200, &[]),
    );
    let client = client(&upstream, |config| {
        config.breaker(BreakerConfig {
            minimum_calls: 1,
            ..BreakerConfig::default()
        })
    });
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { get(&client).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let breaker = &client.state.breaker;
    let permit = breaker.try_acquire(crate::session::now()).unwrap();
    breaker.record(
        permit,
        crate::breaker::CallVerdict::Failed,
        crate::session::now(),
    );
    assert_eq!(client.breaker_state(), BreakerState::Open);
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(upstream.received().len(), 1, "the retry never went out");
}

/// A handle's `Idempotency-Key` header never goes out, on an operation
/// without an idempotency header too: two calls would share one key.
#[tokio::test(start_paused = true)]
async fn a_handle_never_sends_an_idempotency_key() {
    static PLAIN: Operation = Operation::new("createNote", Method::Post, "/notes");
    let upstream = Scripted::new([], Step::Answer(201, &[]));
    let client = client(&upstream, |config| config)
        .with_options(CallOptions::new().header("Idempotency-Key", "shared"));
    client.execute(Request::new(&PLAIN).json(&1)).await.unwrap();
    assert!(!upstream.received()[0].headers.contains("idempotency-key"));
}

/// Counts refreshes; hands out one token.
#[derive(Debug, Default)]
struct Refreshing {
    refreshes: std::sync::atomic::AtomicUsize,
}

impl crate::TokenProvider for Refreshing {
    fn token(&self) -> crate::auth::TokenFuture<'_> {
        Box::pin(async { Ok(crate::Secret::new("t-1")) })
    }

    fn refresh(&self) -> Option<crate::auth::TokenFuture<'_>> {
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(Box::pin(async { Ok(crate::Secret::new("t-2")) }))
    }
}

/// A 401 to a call that sent no token (its operation needs none) is not
/// answered with a refreshed one.
#[tokio::test(start_paused = true)]
async fn a_401_to_an_anonymous_call_refreshes_nothing() {
    let upstream = Scripted::new([], Step::Answer(401, &[]));
    let provider = Arc::new(Refreshing::default());
    let credentials = crate::Credentials::Provider(provider.clone());
    let client = client(&upstream, |config| config.credentials("svc", credentials));
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(
        provider.refreshes.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert!(!upstream.received()[0].headers.contains("authorization"));
}

/// A cookie credential that is not one cookie value is refused, not sent
/// as several cookies.
#[tokio::test(start_paused = true)]
async fn a_cookie_credential_cannot_add_cookies() {
    static PROFILE: Operation =
        Operation::new("profile", Method::Get, "/profile").security(crate::request::Security {
            requirements: &[&[crate::auth::AuthScheme::ApiKey {
                location: crate::auth::ApiKeyLocation::Cookie,
                name: "session",
            }]],
            optional: false,
        });
    let upstream = Scripted::new([], Step::Answer(200, &[]));
    let client = client(&upstream, |config| {
        config.credentials("svc", crate::Credentials::api_key("abc; admin=1"))
    });
    let error = client.execute(Request::new(&PROFILE)).await.unwrap_err();
    assert!(error.is_invalid_request(), "{error}");
    assert!(!format!("{error:?}").contains("admin"), "{error:?}");
    assert!(upstream.received().is_empty());
}

/// A request's description leaves the query out: it may hold an API key.
#[test]
fn a_requests_description_leaves_the_query_out() {
    let url = url::Url::parse("https://api.test/things?api_key=s3cret").unwrap();
    let shown = format!("{:?}", HttpRequest::new(Method::Get, url));
    assert!(
        shown.contains("https://api.test") && shown.contains("/things"),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}
