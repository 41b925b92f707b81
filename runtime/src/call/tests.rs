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
