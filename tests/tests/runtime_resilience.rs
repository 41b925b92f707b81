//! Retries, idempotency, `Retry-After`, the retry budget and the circuit
//! breaker, against a real local server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::error::UnavailableReason;
use clientgen_runtime::{
    BreakerConfig, BreakerState, BudgetConfig, CallOptions, MicroserviceError,
};
use clientgen_tests::fixtures::client;
use clientgen_tests::server::{Reply, TestServer};
use serde_json::json;

static GET_BALANCE: Operation = Operation::new("getBalance", Method::Get, "/balance");
static CREATE_EVENT: Operation = Operation::new("createEvent", Method::Post, "/events");
static DEBIT: Operation =
    Operation::new("debit", Method::Post, "/debits").idempotency_header("Idempotency-Key");
static REBUILD: Operation = Operation::new("rebuild", Method::Post, "/rebuild").idempotent();

/// A breaker that never opens, to observe retries alone.
fn patient_breaker() -> BreakerConfig {
    BreakerConfig {
        minimum_calls: u32::MAX,
        ..BreakerConfig::default()
    }
}

#[tokio::test]
async fn a_503_then_200_is_retried_and_succeeds() {
    let server = TestServer::scripted(vec![
        Reply::status(503),
        Reply::json(200, json!({"days": 12})),
    ])
    .await;
    let svc = client(&server.url(), |config| config);
    let response = svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.attempts(), 2);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn each_retryable_status_is_retried_for_get() {
    for status in [429, 502, 503, 504] {
        let server = TestServer::scripted(vec![Reply::status(status), Reply::status(200)]).await;
        let svc = client(&server.url(), |config| config);
        svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
        assert_eq!(server.request_count(), 2, "{status}");
    }
}

#[tokio::test]
async fn a_post_without_key_is_sent_exactly_once_even_on_503() {
    let server = TestServer::scripted(vec![Reply::status(503), Reply::status(201)]).await;
    let svc = client(&server.url(), |config| config);
    let error = svc
        .execute(Request::new(&CREATE_EVENT).json(&json!({"kind": "approved"})))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert!(error.is_retryable(), "the caller may decide to retry");
    assert_eq!(server.request_count(), 1);
    assert!(server.requests()[0].header("idempotency-key").is_none());
}

#[tokio::test]
async fn a_keyed_post_is_retried_with_the_same_key() {
    let server = TestServer::scripted(vec![
        Reply::status(503),
        Reply::status(502),
        Reply::json(201, json!({"ok": true})),
    ])
    .await;
    let svc = client(&server.url(), |config| config);
    svc.execute(
        Request::new(&CREATE_EVENT)
            .json(&json!({"kind": "approved"}))
            .idempotency_key("evt-42"),
    )
    .await
    .unwrap();
    let keys: Vec<_> = server
        .requests()
        .iter()
        .map(|request| request.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(keys, vec![Some("evt-42".to_owned()); 3]);
    for request in server.requests() {
        assert_eq!(request.json(), json!({"kind": "approved"}));
    }
}

#[tokio::test]
async fn an_operation_with_a_key_header_gets_a_generated_key_kept_across_attempts() {
    let server = TestServer::scripted(vec![Reply::status(503), Reply::status(200)]).await;
    let svc = client(&server.url(), |config| config);
    svc.execute(Request::new(&DEBIT).json(&json!({"days": 2})))
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = requests[0].header("idempotency-key").unwrap().to_owned();
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_eq!(requests[1].header("idempotency-key"), Some(first.as_str()));
    // A new call gets a new key.
    svc.execute(Request::new(&DEBIT).json(&json!({"days": 2})))
        .await
        .unwrap();
    assert_ne!(
        server.requests()[2].header("idempotency-key"),
        Some(first.as_str())
    );
}

#[tokio::test]
async fn a_key_given_to_the_call_goes_out_on_every_attempt() {
    let server = TestServer::scripted(vec![Reply::status(503), Reply::status(200)]).await;
    let svc = client(&server.url(), |config| config);
    svc.execute(Request::new(&DEBIT).idempotency_key("from-param"))
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.header("idempotency-key"), Some("from-param"));
    }
}

#[tokio::test]
async fn a_post_declared_idempotent_is_retried() {
    let server = TestServer::scripted(vec![Reply::status(504), Reply::status(200)]).await;
    let svc = client(&server.url(), |config| config);
    svc.execute(Request::new(&REBUILD)).await.unwrap();
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = TestServer::scripted(vec![
        Reply::status(429).header("retry-after", "1"),
        Reply::status(200),
    ])
    .await;
    let svc = client(&server.url(), |config| config);
    let started = Instant::now();
    svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let date = httpdate_in(Duration::from_secs(2));
    let server = TestServer::scripted(vec![
        Reply::status(503).header("retry-after", &date),
        Reply::status(200),
    ])
    .await;
    let svc = client(&server.url(), |config| config);
    let started = Instant::now();
    svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
    // HTTP dates have one-second resolution: the wait is between 1 and 2 s.
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_ends_the_call_with_the_answer() {
    let server = TestServer::scripted(vec![
        Reply::status(503).header("retry-after", "3600"),
        Reply::status(200),
    ])
    .await;
    let svc = client(&server.url(), |config| config);
    let started = Instant::now();
    let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let MicroserviceError::Response(response) = &error else {
        panic!("expected a response error, got {error:?}");
    };
    assert_eq!(response.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.request_count(), 1);
}

fn httpdate_in(delay: Duration) -> String {
    // RFC 7231 IMF-fixdate, formatted by hand to keep the test independent
    // of the parser it checks.
    let secs = (SystemTime::now() + delay)
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = secs / 86_400;
    let (hour, minute, second) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday}, {day:02} {month_name} {year} {hour:02}:{minute:02}:{second:02} GMT")
}

#[tokio::test]
async fn the_budget_caps_amplification_when_every_call_fails() {
    let server = TestServer::start(|_| Reply::status(503)).await;
    let svc = client(&server.url(), |config| {
        config
            .max_attempts(3)
            .backoff(Duration::from_micros(100), Duration::from_micros(200))
            .breaker(patient_breaker())
            .retry_budget(BudgetConfig::default())
    });
    let calls = 1_000;
    for _ in 0..calls {
        let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
        assert_eq!(error.status(), Some(503));
    }
    let upstream = server.request_count();
    let amplification = upstream as f64 / calls as f64;
    // 20% of the calls plus the floor (1/s over a 10 s window).
    assert!(
        upstream <= calls * 12 / 10 + 10,
        "amplification {amplification:.3} ({upstream} requests for {calls} calls)"
    );
    assert!(
        amplification > 1.1,
        "retries still happen: {amplification:.3}"
    );
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_then_half_opens_and_closes() {
    let healthy = Arc::new(AtomicBool::new(false));
    let state = Arc::clone(&healthy);
    let server = TestServer::start(move |_| {
        if state.load(Ordering::SeqCst) {
            Reply::status(200)
        } else {
            Reply::status(500)
        }
    })
    .await;
    let svc = client(&server.url(), |config| {
        config.breaker(BreakerConfig {
            failure_ratio: 0.5,
            minimum_calls: 5,
            window: Duration::from_secs(10),
            open_duration: Duration::from_millis(300),
            half_open_probes: 2,
        })
    });
    for _ in 0..5 {
        let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
        assert_eq!(error.status(), Some(500));
    }
    assert_eq!(svc.breaker_state(), BreakerState::Open);
    let seen = server.request_count();

    let started = Instant::now();
    for _ in 0..100 {
        let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
        let MicroserviceError::Unavailable(unavailable) = &error else {
            panic!("expected unavailable, got {error:?}");
        };
        assert_eq!(unavailable.reason(), UnavailableReason::CircuitOpen);
        assert_eq!(unavailable.attempts(), 0);
    }
    assert!(started.elapsed() < Duration::from_millis(250), "fails fast");
    assert_eq!(server.request_count(), seen, "no request while open");

    healthy.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(svc.breaker_state(), BreakerState::HalfOpen);
    svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
    assert_eq!(svc.breaker_state(), BreakerState::HalfOpen);
    svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
    assert_eq!(svc.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn four_xx_answers_never_open_the_breaker() {
    let server = TestServer::start(|_| Reply::status(404)).await;
    let svc = client(&server.url(), |config| {
        config.breaker(BreakerConfig {
            minimum_calls: 3,
            ..BreakerConfig::default()
        })
    });
    for _ in 0..20 {
        svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
    }
    assert_eq!(svc.breaker_state(), BreakerState::Closed);
    assert_eq!(server.request_count(), 20);
}

#[tokio::test]
async fn a_failed_probe_reopens_the_breaker() {
    let server = TestServer::start(|_| Reply::status(502)).await;
    let svc = client(&server.url(), |config| {
        config.max_attempts(1).breaker(BreakerConfig {
            failure_ratio: 0.5,
            minimum_calls: 2,
            window: Duration::from_secs(10),
            open_duration: Duration::from_millis(100),
            half_open_probes: 1,
        })
    });
    for _ in 0..2 {
        svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
    }
    assert_eq!(svc.breaker_state(), BreakerState::Open);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
    assert_eq!(error.status(), Some(502), "the probe went through");
    assert_eq!(svc.breaker_state(), BreakerState::Open);
    assert_eq!(server.request_count(), 3);
}

/// A key on a handle would make the upstream take distinct calls for one:
/// each call of an operation with an idempotency header gets its own, even
/// when the handle's options name that header.
#[tokio::test]
async fn a_handle_never_holds_one_key_for_all_its_calls() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config)
        .with_options(CallOptions::new().header("Idempotency-Key", "handle-key"));
    for _ in 0..2 {
        svc.execute(Request::new(&DEBIT).json(&json!({"days": 1})))
            .await
            .unwrap();
    }
    let requests = server.requests();
    let keys: Vec<_> = requests
        .iter()
        .map(|request| request.header("idempotency-key").unwrap())
        .collect();
    assert_ne!(keys[0], keys[1]);
    assert!(!keys.contains(&"handle-key"), "{keys:?}");
}

#[tokio::test]
async fn a_plain_post_is_not_retried() {
    let server = TestServer::scripted(vec![Reply::status(503), Reply::status(201)]).await;
    let svc = client(&server.url(), |config| config);
    let error = svc
        .execute(Request::new(&CREATE_EVENT).json(&json!({"kind": "approved"})))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.request_count(), 1, "not retried");
    assert!(server.requests()[0].header("idempotency-key").is_none());
}

#[tokio::test]
async fn timeouts_of_the_callers_own_deadline_do_not_open_the_breaker() {
    let server = TestServer::start(|_| Reply::status(200).delay(Duration::from_millis(300))).await;
    let svc = client(&server.url(), |config| {
        config.breaker(BreakerConfig {
            minimum_calls: 2,
            ..BreakerConfig::default()
        })
    });
    let hurried = svc.with_options(CallOptions::new().timeout(Duration::from_millis(50)));
    for _ in 0..4 {
        let error = hurried
            .execute(Request::new(&GET_BALANCE))
            .await
            .unwrap_err();
        let MicroserviceError::Unavailable(unavailable) = &error else {
            panic!("expected unavailable, got {error:?}");
        };
        assert_eq!(unavailable.reason(), UnavailableReason::DeadlineExceeded);
    }
    assert_eq!(svc.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn an_unbounded_deadline_is_accepted() {
    let server = TestServer::start(|_| Reply::status(200)).await;
    let svc = client(&server.url(), |config| config)
        .with_options(CallOptions::new().timeout(Duration::MAX));
    svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
}

/// The plan's blip: every call's first attempt answers 503 and its retry
/// succeeds. With the default settings, calls succeed as far as the retry
/// budget allows (10 + 20% of the calls), and the breaker, which judges
/// calls, refuses none: a blip that retries fix is not an outage.
#[tokio::test]
async fn a_blip_that_retries_fix_never_opens_the_breaker() {
    let first_attempt = Arc::new(AtomicBool::new(true));
    let server = TestServer::start(move |_| {
        if first_attempt.fetch_xor(true, Ordering::SeqCst) {
            Reply::status(503)
        } else {
            Reply::json(200, json!({"days": 12}))
        }
    })
    .await;
    let svc = client(&server.url(), |config| config);
    let mut succeeded = 0;
    for _ in 0..20 {
        match svc.execute(Request::new(&GET_BALANCE)).await {
            Ok(_) => succeeded += 1,
            Err(error) => {
                assert_eq!(error.status(), Some(503), "{error}");
                assert_eq!(error.attempts(), 1, "only the budget stops a retry");
            }
        }
    }
    assert!(succeeded >= 14, "{succeeded}/20 succeeded");
    assert_eq!(svc.breaker_state(), BreakerState::Closed);
}

/// A hard-down upstream (nothing listens) still opens the breaker; calls
/// are then refused in microseconds with no I/O, and once the cool-down is
/// over, half-open probes against the recovered upstream close it again.
#[tokio::test]
async fn a_hard_down_upstream_opens_the_breaker_and_probes_close_it() {
    let port = clientgen_tests::server::unused_local_port().await;
    let down = format!("http://127.0.0.1:{port}");
    let breaker = BreakerConfig {
        minimum_calls: 5,
        open_duration: Duration::from_millis(200),
        half_open_probes: 2,
        ..BreakerConfig::default()
    };
    let svc = client(&down, |config| config.breaker(breaker));
    for _ in 0..5 {
        let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
        assert!(error.is_unavailable(), "{error}");
    }
    assert_eq!(svc.breaker_state(), BreakerState::Open);
    let started = Instant::now();
    let error = svc.execute(Request::new(&GET_BALANCE)).await.unwrap_err();
    let refused_in = started.elapsed();
    let MicroserviceError::Unavailable(unavailable) = &error else {
        panic!("expected unavailable, got {error:?}");
    };
    assert_eq!(unavailable.reason(), UnavailableReason::CircuitOpen);
    assert_eq!(error.attempts(), 0);
    // Generous: a connect attempt to a closed port would also be quick, so
    // the proof of no I/O is the attempt count; this only catches a wait.
    assert!(refused_in < Duration::from_millis(50), "{refused_in:?}");

    // The upstream comes back on the same port.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let server =
        TestServer::from_listener(listener, |_| Reply::json(200, json!({"days": 3}))).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(svc.breaker_state(), BreakerState::HalfOpen);
    for _ in 0..2 {
        svc.execute(Request::new(&GET_BALANCE)).await.unwrap();
    }
    assert_eq!(svc.breaker_state(), BreakerState::Closed);
    assert_eq!(server.request_count(), 2);
}
