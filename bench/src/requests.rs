//! Requests: a generated client call vs the same call made with raw reqwest
//! (same headers, same decoding), sequential and 64-way concurrent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clientgen_runtime::{BreakerConfig, Credentials, RuntimeConfig, Session};
use service_clients::{audit, config};

use crate::cpu::thread_cpu;
use crate::padding::Padding;

/// Which call a round makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// A small JSON GET.
    Get,
    /// A JSON POST.
    Post,
}

/// The clients compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Our generated client.
    Generated,
    /// Raw reqwest, same headers and decoding.
    Raw,
    /// progenitor 0.15.1's positional client.
    Progenitor,
    /// Raw reqwest again, with its own pool: the control that shows how far
    /// two identical clients drift apart on this machine.
    RawControl,
}

impl Kind {
    /// Every client, in table order.
    pub const ALL: [Kind; 4] = [
        Kind::Generated,
        Kind::Raw,
        Kind::Progenitor,
        Kind::RawControl,
    ];
}

/// The clients compared.
pub struct Clients {
    config: config::ConfigClient,
    audit: audit::AuditClient,
    raw: reqwest::Client,
    raw_control: reqwest::Client,
    progenitor_config: crate::progenitor::config::Client,
    progenitor_audit: crate::progenitor::audit::Client,
    progenitor_event: crate::progenitor::audit::types::AuditEventInput,
    base: String,
    event: audit::AuditEventInput,
    /// What the control runs after each call.
    control_padding: Padding,
    /// Whether each call's latency is recorded ([`Clients::timing_each_call`]).
    timed: bool,
}

/// What one batch of calls cost.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Wall time.
    pub wall: Duration,
    /// Client thread CPU time.
    pub cpu: Duration,
    /// Calls made.
    pub calls: usize,
    /// Each successful call's latency, from the moment it was made to its
    /// decoded result (under 64-way concurrency, waits for the thread
    /// included, as a caller would see them); empty unless the clients were
    /// made [`Clients::timing_each_call`].
    pub latencies: Vec<Duration>,
}

impl Batch {
    /// Calls per second.
    pub fn throughput(&self) -> f64 {
        self.calls as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// Client CPU microseconds per call.
    pub fn cpu_per_call_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }
}

impl Clients {
    /// Both clients against `base`, retry, breaker and tracing on (their
    /// defaults).
    pub fn new(base: &str) -> Result<Clients, Box<dyn std::error::Error>> {
        let runtime_config = RuntimeConfig::builder()
            .service_url("config", base)
            .service_url("audit", base)
            .credentials("config", Credentials::api_key("bench-key"))
            .credentials("audit", Credentials::api_key("bench-key"))
            .build()?;
        let session = Session::new(runtime_config)?;
        let control_padding = match std::env::var("CLIENTGEN_BENCH_CONTROL_PADDING") {
            Err(std::env::VarError::NotPresent) => Padding::default(),
            Ok(text) => Padding::parse(&text).ok_or_else(|| {
                format!(
                    "CLIENTGEN_BENCH_CONTROL_PADDING={text}: expected N or N:same, N from 0 to {}",
                    crate::padding::MAX
                )
            })?,
            Err(error) => return Err(format!("CLIENTGEN_BENCH_CONTROL_PADDING: {error}").into()),
        };
        let event: audit::AuditEventInput = serde_json::from_str(
            r#"{"action":"leave.approved","occurred_at":"2026-11-26T12:00:00Z","actor":{"type":"service","service_name":"approvals"}}"#,
        )?;
        let keyed = |header: &'static str| -> Result<reqwest::Client, reqwest::Error> {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                header,
                reqwest::header::HeaderValue::from_static("bench-key"),
            );
            reqwest::Client::builder().default_headers(headers).build()
        };
        let progenitor_event = serde_json::from_value(serde_json::to_value(&event)?)?;
        Ok(Clients {
            config: config::ConfigClient::new(&session)?,
            audit: audit::AuditClient::new(&session)?,
            raw: reqwest::Client::builder().build()?,
            raw_control: reqwest::Client::builder().build()?,
            progenitor_config: crate::progenitor::config::Client::new_with_client(
                base,
                keyed("x-api-key")?,
            ),
            progenitor_audit: crate::progenitor::audit::Client::new_with_client(
                base,
                keyed("x-audit-key")?,
            ),
            progenitor_event,
            base: base.to_owned(),
            event,
            control_padding,
            timed: false,
        })
    }

    async fn generated(&self, call: Call) -> bool {
        match call {
            Call::Get => self
                .config
                .get_config_value("hr", "limits.max_days")
                .await
                .is_ok(),
            Call::Post => self
                .audit
                .write_audit_event(None, &self.event)
                .await
                .is_ok(),
        }
    }

    async fn progenitor(&self, call: Call) -> bool {
        match call {
            Call::Get => self
                .progenitor_config
                .get_config_value("hr", "limits.max_days")
                .await
                .is_ok(),
            Call::Post => self
                .progenitor_audit
                .write_audit_event(None, &self.progenitor_event)
                .await
                .is_ok(),
        }
    }

    async fn raw(&self, client: &reqwest::Client, call: Call) -> bool {
        let request = match call {
            Call::Get => client
                .get(format!("{}/namespaces/hr/keys/limits.max_days", self.base))
                .header("X-API-Key", "bench-key"),
            Call::Post => {
                let Ok(body) = serde_json::to_vec(&self.event) else {
                    return false;
                };
                client
                    .post(format!("{}/events", self.base))
                    .header("X-Audit-Key", "bench-key")
                    .header("content-type", "application/json")
                    .body(body)
            }
        };
        let Ok(response) = request.send().await else {
            return false;
        };
        let Ok(bytes) = response.bytes().await else {
            return false;
        };
        match call {
            Call::Get => serde_json::from_slice::<config::ConfigValue>(&bytes).is_ok(),
            Call::Post => serde_json::from_slice::<audit::AuditEvent>(&bytes).is_ok(),
        }
    }

    /// Makes `calls` calls with the client `kind`, `concurrency` at a time:
    /// on the calling task when sequential, else as `concurrency` spawned
    /// tasks, as a server would run them (each woken only by its own I/O).
    pub async fn batch(
        self: &Arc<Self>,
        kind: Kind,
        call: Call,
        calls: usize,
        concurrency: usize,
    ) -> Batch {
        let cpu_before = thread_cpu();
        let started = Instant::now();
        let (calls, latencies) = if concurrency <= 1 {
            self.calls(kind, call, calls).await
        } else {
            let per_task = calls / concurrency;
            let tasks: Vec<_> = (0..concurrency)
                .map(|_| {
                    let clients = Arc::clone(self);
                    tokio::spawn(async move { clients.calls(kind, call, per_task).await })
                })
                .collect();
            let (mut ok, mut latencies) = (0, Vec::new());
            for task in tasks {
                let (succeeded, times) = task.await.unwrap_or_default();
                ok += succeeded;
                latencies.extend(times);
            }
            (ok, latencies)
        };
        Batch {
            wall: started.elapsed(),
            cpu: thread_cpu().saturating_sub(cpu_before),
            calls,
            latencies,
        }
    }

    /// Records each call's latency from now on: two clock readings per call,
    /// the same for every client. Off by default, so that the instruction
    /// counts of `calls` hold the client's work alone.
    pub fn timing_each_call(mut self) -> Self {
        self.timed = true;
        self
    }

    /// `count` sequential calls: how many succeeded, and the latency of each
    /// when timed.
    async fn calls(&self, kind: Kind, call: Call, count: usize) -> (usize, Vec<Duration>) {
        let mut ok = 0;
        let mut latencies = Vec::with_capacity(if self.timed { count } else { 0 });
        for _ in 0..count {
            let made = self.timed.then(Instant::now);
            let success = match kind {
                Kind::Generated => self.generated(call).await,
                Kind::Raw => self.raw(&self.raw, call).await,
                Kind::RawControl => {
                    let success = self.raw(&self.raw_control, call).await;
                    std::hint::black_box(self.control_padding.run());
                    success
                }
                Kind::Progenitor => self.progenitor(call).await,
            };
            ok += usize::from(success);
            if let (true, Some(made)) = (success, made) {
                latencies.push(made.elapsed());
            }
        }
        (ok, latencies)
    }
}

/// The client's runtime: current-thread, on the calling thread, so that the
/// thread's CPU clock measures only the client.
pub fn client_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Nanoseconds per call refused by an open breaker (no I/O).
pub async fn breaker_refusal_ns(calls: usize) -> Result<f64, Box<dyn std::error::Error>> {
    // Nothing listens on port 9 of 127.0.0.1: the first call fails and opens
    // the breaker, which then refuses every call.
    let runtime_config = RuntimeConfig::builder()
        .service_url("config", "http://127.0.0.1:9")
        .credentials("config", Credentials::api_key("bench-key"))
        .max_attempts(1)
        .breaker(BreakerConfig {
            failure_ratio: 1.0,
            minimum_calls: 1,
            window: Duration::from_secs(60),
            open_duration: Duration::from_secs(3600),
            half_open_probes: 1,
        })
        .build()?;
    let client = config::ConfigClient::new(&Session::new(runtime_config)?)?;
    let _ = client.get_config_value("hr", "k").await;
    let started = Instant::now();
    for _ in 0..calls {
        let _ = client.get_config_value("hr", "k").await;
    }
    Ok(started.elapsed().as_nanos() as f64 / calls as f64)
}
