//! The retry-storm simulation: every upstream call fails (503) for a
//! sustained period while many callers keep calling. Prints the
//! amplification (upstream requests / caller calls) with the retry budget
//! alone, and the upstream traffic while the circuit breaker is open.
//!
//! ```text
//! cargo run --release -p clientgen-tests --bin storm
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // A report tool prints.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::{BreakerConfig, BudgetConfig, RuntimeConfig, ServiceClient, Session};
use clientgen_tests::server::{Reply, TestServer};

static GET: Operation = Operation::new("getBalance", Method::Get, "/balance");

const CALLERS: usize = 50;
const CALLS_PER_CALLER: usize = 200;

fn service(url: &str, breaker: BreakerConfig) -> Result<ServiceClient, Box<dyn std::error::Error>> {
    let config = RuntimeConfig::builder()
        .service_url("svc", url)
        .max_attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(10))
        .retry_budget(BudgetConfig::default())
        .breaker(breaker)
        .build()?;
    Ok(Session::new(config)?.service("svc")?)
}

/// Runs `CALLERS` concurrent callers making `CALLS_PER_CALLER` calls each.
async fn storm(svc: &ServiceClient) -> usize {
    let svc = Arc::new(svc.clone());
    let mut tasks = Vec::new();
    for _ in 0..CALLERS {
        let svc = Arc::clone(&svc);
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS_PER_CALLER {
                let _ = svc.execute(Request::new(&GET)).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    CALLERS * CALLS_PER_CALLER
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(ok) if ok => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("storm: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    // 1. The budget alone (a breaker that never opens).
    let server = TestServer::start(|_| Reply::status(503)).await;
    let never_open = BreakerConfig {
        minimum_calls: u32::MAX,
        ..BreakerConfig::default()
    };
    let svc = service(&server.url(), never_open)?;
    // Warm the budget's window with a first storm, then measure a second.
    storm(&svc).await;
    let before = server.request_count();
    let calls = storm(&svc).await;
    let upstream = server.request_count() - before;
    let amplification = upstream as f64 / calls as f64;
    println!(
        "retry budget alone: {calls} calls by {CALLERS} callers -> {upstream} upstream requests: amplification {amplification:.3} (target <= 1.2)"
    );

    // 2. With the breaker: once open, upstream traffic drops to probes.
    let server = TestServer::start(|_| Reply::status(503)).await;
    let svc = service(
        &server.url(),
        BreakerConfig {
            failure_ratio: 0.5,
            minimum_calls: 20,
            window: Duration::from_secs(10),
            open_duration: Duration::from_millis(500),
            half_open_probes: 2,
        },
    )?;
    let started = Instant::now();
    let calls = storm(&svc).await;
    let elapsed = started.elapsed();
    let upstream = server.request_count();
    println!(
        "with the breaker (opens after 20 calls at >= 50% failures, 500 ms cool-down, 2 probes): \
         {calls} calls in {:.2} s -> {upstream} upstream requests ({:.1}% of calls; \
         the open breaker lets through at most 2 probes per 500 ms)",
        elapsed.as_secs_f64(),
        upstream as f64 * 100.0 / calls as f64
    );
    Ok(amplification <= 1.2 + 1e-9)
}
