//! Requests: a generated client call vs the same call made with raw reqwest
//! (same headers, same decoding) and with progenitor's client, sequential,
//! many tasks on one thread, and many tasks on a multi-thread runtime.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clientgen_runtime::{BreakerConfig, Credentials, RuntimeConfig, Session};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::header::{
    ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT as USER_AGENT_HEADER,
};
use service_clients::{audit, config};
use tracing::instrument::WithSubscriber;

use crate::cpu::process_cpu;
use crate::hyper_transport::HyperTransport;
use crate::padding::Padding;

/// The `User-Agent` our session sends by default, given to the tuned raw
/// client too.
const USER_AGENT: &str = concat!("clientgen/", env!("CARGO_PKG_VERSION"));

/// Which call a round makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// A small JSON GET.
    Get,
    /// A JSON POST.
    Post,
}

impl Call {
    /// `get` or `post`.
    pub fn parse(text: &str) -> Option<Call> {
        match text {
            "get" => Some(Call::Get),
            "post" => Some(Call::Post),
            _ => None,
        }
    }
}

/// The clients compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Our generated client, no tracing subscriber.
    Generated,
    /// Our generated client with a `tracing` subscriber listening at INFO
    /// (`tracing-subscriber`'s fmt, writing to `std::io::sink`), scoped to
    /// this client's calls.
    Traced,
    /// Raw reqwest built by hand as carefully as our session builds its
    /// client, URL and header values made once: the baseline.
    Tuned,
    /// Raw reqwest with reqwest's defaults, URL and header values formatted
    /// on every call.
    Naive,
    /// progenitor 0.15.1's positional client.
    Progenitor,
    /// hyper-util's pooled client without reqwest's layers, set up and
    /// prepared like the tuned raw client: what the transport underneath
    /// every client here costs.
    Hyper,
    /// Our generated client on a plain-HTTP hyper-util transport plugged
    /// into the runtime's seam ([`crate::hyper_transport`]): our call path
    /// without reqwest.
    OverHyper,
    /// The tuned raw client again, with its own pool: the control that shows
    /// how far two identical clients drift apart on this machine.
    Control,
}

impl Kind {
    /// Every client, in table order.
    pub const ALL: [Kind; 8] = [
        Kind::Generated,
        Kind::Traced,
        Kind::Tuned,
        Kind::Naive,
        Kind::Progenitor,
        Kind::Hyper,
        Kind::OverHyper,
        Kind::Control,
    ];

    /// The client's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Generated => "generated",
            Kind::Traced => "traced",
            Kind::Tuned => "tuned",
            Kind::Naive => "naive",
            Kind::Progenitor => "progenitor",
            Kind::Hyper => "hyper",
            Kind::OverHyper => "over-hyper",
            Kind::Control => "control",
        }
    }

    /// The client named `name` ([`Kind::name`]).
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The client's name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Generated => "ours",
            Kind::Traced => "ours, INFO subscriber",
            Kind::Tuned => "raw reqwest, tuned (baseline)",
            Kind::Naive => "raw reqwest, naive",
            Kind::Progenitor => "progenitor 0.15.1",
            Kind::Hyper => "raw hyper-util, tuned",
            Kind::OverHyper => "ours over hyper-util",
            Kind::Control => "control: tuned again",
        }
    }
}

/// What the tuned raw clients build once and clone per call.
struct Prepared {
    get_url: reqwest::Url,
    post_url: reqwest::Url,
    get_uri: hyper::Uri,
    post_uri: hyper::Uri,
    api_key: HeaderName,
    audit_key: HeaderName,
    key: HeaderValue,
    json: HeaderValue,
    /// The headers reqwest adds to every request, for the hyper client.
    user_agent: HeaderValue,
    accept: HeaderValue,
}

/// hyper-util's pooled HTTP/1 client.
pub type HyperClient = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

/// hyper-util's client with the settings of the tuned raw reqwest client:
/// `TCP_NODELAY`, reqwest's default TCP keepalive, the same connect
/// timeout and pool.
fn hyper_client() -> HyperClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_keepalive(Some(Duration::from_secs(15)));
    connector.set_keepalive_interval(Some(Duration::from_secs(15)));
    connector.set_keepalive_retries(Some(3));
    connector.set_connect_timeout(Some(Duration::from_secs(2)));
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(usize::MAX)
        .build(connector)
}

/// The clients compared.
pub struct Clients {
    config: config::ConfigClient,
    audit: audit::AuditClient,
    /// Ours on the hyper-util transport ([`Kind::OverHyper`]).
    over_hyper_config: config::ConfigClient,
    over_hyper_audit: audit::AuditClient,
    /// The subscriber of [`Kind::Traced`]'s calls, once asked for.
    subscriber: Option<tracing::Dispatch>,
    tuned: reqwest::Client,
    control: reqwest::Client,
    hyper: HyperClient,
    prepared: Prepared,
    naive: reqwest::Client,
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
    /// CPU time of the whole client process, every thread.
    pub cpu: Duration,
    /// Calls made.
    pub calls: usize,
    /// Each successful call's latency, from the moment it was made to its
    /// decoded result (under concurrency, waits for a thread included, as a
    /// caller would see them); empty unless the clients were made
    /// [`Clients::timing_each_call`].
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

/// A rustls configuration for the raw clients: reqwest, built with
/// `rustls-no-provider` here, needs one with its crypto provider passed in
/// (the benchmark's upstream speaks plain HTTP, so no root is trusted), and
/// the ALPN list our session offers.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    // The runtime's provider (`runtime/src/transport/tls.rs`), which rustls
    // 0.23.48 deprecates for its lack of post-quantum key exchange: nothing
    // here speaks TLS.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A reqwest builder with the settings our session gives its own client
/// (`runtime/src/transport/pooled.rs`): no redirects, no retries of
/// reqwest's own, `TCP_NODELAY`,
/// the same timeouts, pool and `User-Agent`, no proxy lookups, HTTP/2 where
/// ALPN offers it. The tuned raw client, and progenitor's.
fn tuned_builder() -> Result<reqwest::ClientBuilder, rustls::Error> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .connect_timeout(Duration::from_secs(2))
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(usize::MAX)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .tcp_nodelay(true)
        .no_proxy())
}

/// Raw reqwest with its defaults (the crypto provider aside, which this
/// build of reqwest needs passed in).
fn naive_client() -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .build()?)
}

impl Clients {
    /// Every client against `base`; ours with retry, breaker and tracing on
    /// (their defaults).
    pub fn new(base: &str) -> Result<Clients, Box<dyn std::error::Error>> {
        let runtime_config = RuntimeConfig::builder()
            .service_url("config", base)
            .service_url("audit", base)
            .credentials("config", Credentials::api_key("bench-key"))
            .credentials("audit", Credentials::api_key("bench-key"))
            .build()?;
        let session = Session::new(runtime_config.clone())?;
        let over_hyper = Session::with_transport(
            runtime_config,
            HyperTransport::new(hyper_client(), USER_AGENT),
        );
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
        // progenitor's clients get the tuned settings too, and their API
        // key as a default header, as progenitor's documentation suggests.
        let keyed = |header: &'static str| -> Result<reqwest::Client, Box<dyn std::error::Error>> {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(header, HeaderValue::from_static("bench-key"));
            Ok(tuned_builder()?.default_headers(headers).build()?)
        };
        let prepared = Prepared {
            get_url: reqwest::Url::parse(&format!("{base}/namespaces/hr/keys/limits.max_days"))?,
            post_url: reqwest::Url::parse(&format!("{base}/events"))?,
            get_uri: format!("{base}/namespaces/hr/keys/limits.max_days").parse()?,
            post_uri: format!("{base}/events").parse()?,
            api_key: HeaderName::from_static("x-api-key"),
            audit_key: HeaderName::from_static("x-audit-key"),
            key: HeaderValue::from_static("bench-key"),
            json: HeaderValue::from_static("application/json"),
            user_agent: HeaderValue::from_static(USER_AGENT),
            accept: HeaderValue::from_static("*/*"),
        };
        let progenitor_event = serde_json::from_value(serde_json::to_value(&event)?)?;
        Ok(Clients {
            config: config::ConfigClient::new(&session)?,
            audit: audit::AuditClient::new(&session)?,
            over_hyper_config: config::ConfigClient::new(&over_hyper)?,
            over_hyper_audit: audit::AuditClient::new(&over_hyper)?,
            subscriber: None,
            tuned: tuned_builder()?.build()?,
            control: tuned_builder()?.build()?,
            hyper: hyper_client(),
            prepared,
            naive: naive_client()?,
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

    /// Makes the subscriber [`Kind::Traced`] calls under. Until then that
    /// client runs without one: a process that never makes it has no
    /// subscriber at all, so no tracing call site of any other client asks
    /// for one.
    pub fn with_subscriber(mut self) -> Self {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(std::io::sink)
            .finish();
        self.subscriber = Some(tracing::Dispatch::new(subscriber));
        self
    }

    /// Records each call's latency from now on: two clock readings per call,
    /// the same for every client. Off by default, so that the instruction
    /// counts of `calls` hold the client's work alone.
    pub fn timing_each_call(mut self) -> Self {
        self.timed = true;
        self
    }

    async fn generated(
        &self,
        config: &config::ConfigClient,
        audit: &audit::AuditClient,
        call: Call,
    ) -> bool {
        match call {
            Call::Get => config
                .get_config_value("hr", "limits.max_days")
                .await
                .is_ok(),
            Call::Post => audit.write_audit_event(&self.event).await.is_ok(),
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

    /// The tuned raw call: a request made from the prepared URL and header
    /// values, handed to `Client::execute`.
    async fn tuned(&self, client: &reqwest::Client, call: Call) -> bool {
        let prepared = &self.prepared;
        let request = match call {
            Call::Get => {
                let mut request =
                    reqwest::Request::new(reqwest::Method::GET, prepared.get_url.clone());
                request
                    .headers_mut()
                    .append(prepared.api_key.clone(), prepared.key.clone());
                request
            }
            Call::Post => {
                let Ok(body) = serde_json::to_vec(&self.event) else {
                    return false;
                };
                let mut request =
                    reqwest::Request::new(reqwest::Method::POST, prepared.post_url.clone());
                let headers = request.headers_mut();
                headers.append(prepared.audit_key.clone(), prepared.key.clone());
                headers.append(CONTENT_TYPE, prepared.json.clone());
                *request.body_mut() = Some(body.into());
                request
            }
        };
        let Ok(response) = client.execute(request).await else {
            return false;
        };
        decode(call, response).await
    }

    /// The raw hyper-util call: the tuned call without reqwest, the same
    /// headers on the wire (reqwest's `User-Agent` and `Accept` included).
    async fn hyper(&self, call: Call) -> bool {
        let prepared = &self.prepared;
        let mut request = match call {
            Call::Get => {
                let mut request = hyper::Request::new(Full::default());
                *request.uri_mut() = prepared.get_uri.clone();
                request
                    .headers_mut()
                    .append(prepared.api_key.clone(), prepared.key.clone());
                request
            }
            Call::Post => {
                let Ok(body) = serde_json::to_vec(&self.event) else {
                    return false;
                };
                let mut request = hyper::Request::new(Full::new(Bytes::from(body)));
                *request.method_mut() = hyper::Method::POST;
                *request.uri_mut() = prepared.post_uri.clone();
                let headers = request.headers_mut();
                headers.append(prepared.audit_key.clone(), prepared.key.clone());
                headers.append(CONTENT_TYPE, prepared.json.clone());
                request
            }
        };
        let headers = request.headers_mut();
        headers.append(USER_AGENT_HEADER, prepared.user_agent.clone());
        headers.append(ACCEPT, prepared.accept.clone());
        let Ok(response) = self.hyper.request(request).await else {
            return false;
        };
        if !response.status().is_success() {
            return false;
        }
        let Ok(collected) = response.into_body().collect().await else {
            return false;
        };
        decode_bytes(call, &collected.to_bytes())
    }

    /// The naive raw call: URL formatted, header names and values parsed,
    /// per call, through the request builder.
    async fn naive(&self, call: Call) -> bool {
        let request = match call {
            Call::Get => self
                .naive
                .get(format!("{}/namespaces/hr/keys/limits.max_days", self.base))
                .header("X-API-Key", "bench-key"),
            Call::Post => {
                let Ok(body) = serde_json::to_vec(&self.event) else {
                    return false;
                };
                self.naive
                    .post(format!("{}/events", self.base))
                    .header("X-Audit-Key", "bench-key")
                    .header("content-type", "application/json")
                    .body(body)
            }
        };
        let Ok(response) = request.send().await else {
            return false;
        };
        decode(call, response).await
    }

    /// Makes `calls` calls with the client `kind`, `concurrency` at a time,
    /// on the runtime it is awaited on: on the calling task when sequential,
    /// else as `concurrency` spawned tasks, as a server would run them (each
    /// woken only by its own I/O).
    pub async fn batch(
        self: &Arc<Self>,
        kind: Kind,
        call: Call,
        calls: usize,
        concurrency: usize,
    ) -> Batch {
        let cpu_before = process_cpu();
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
            cpu: process_cpu().saturating_sub(cpu_before),
            calls,
            latencies,
        }
    }

    /// `count` sequential calls, under the subscriber for [`Kind::Traced`].
    async fn calls(&self, kind: Kind, call: Call, count: usize) -> (usize, Vec<Duration>) {
        if kind == Kind::Traced
            && let Some(subscriber) = &self.subscriber
        {
            return self
                .run(kind, call, count)
                .with_subscriber(subscriber.clone())
                .await;
        }
        self.run(kind, call, count).await
    }

    /// `count` sequential calls: how many succeeded, and the latency of each
    /// when timed.
    async fn run(&self, kind: Kind, call: Call, count: usize) -> (usize, Vec<Duration>) {
        let mut ok = 0;
        let mut latencies = Vec::with_capacity(if self.timed { count } else { 0 });
        for _ in 0..count {
            let made = self.timed.then(Instant::now);
            let success = match kind {
                Kind::Generated | Kind::Traced => {
                    self.generated(&self.config, &self.audit, call).await
                }
                Kind::OverHyper => {
                    let (config, audit) = (&self.over_hyper_config, &self.over_hyper_audit);
                    self.generated(config, audit, call).await
                }
                Kind::Tuned => self.tuned(&self.tuned, call).await,
                Kind::Naive => self.naive(call).await,
                Kind::Control => {
                    let success = self.tuned(&self.control, call).await;
                    std::hint::black_box(self.control_padding.run());
                    success
                }
                Kind::Progenitor => self.progenitor(call).await,
                Kind::Hyper => self.hyper(call).await,
            };
            ok += usize::from(success);
            if let (true, Some(made)) = (success, made) {
                latencies.push(made.elapsed());
            }
        }
        (ok, latencies)
    }
}

/// Reads a raw client's answer and decodes it into the generated types.
async fn decode(call: Call, response: reqwest::Response) -> bool {
    if !response.status().is_success() {
        return false;
    }
    let Ok(bytes) = response.bytes().await else {
        return false;
    };
    decode_bytes(call, &bytes)
}

/// Decodes a raw client's body into the generated types.
fn decode_bytes(call: Call, bytes: &[u8]) -> bool {
    match call {
        Call::Get => serde_json::from_slice::<config::ConfigValue>(bytes).is_ok(),
        Call::Post => serde_json::from_slice::<audit::AuditEvent>(bytes).is_ok(),
    }
}

/// A current-thread runtime on the calling thread: the sequential and
/// 64-way rows.
pub fn client_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// A multi-thread runtime with `workers` worker threads: the MT rows.
pub fn multi_thread_runtime(workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
}

/// Nanoseconds per call refused by an open breaker (no I/O): one figure per
/// repetition of `calls` calls.
pub async fn breaker_refusal_ns(
    repetitions: usize,
    calls: usize,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
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
    let mut figures = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        let started = Instant::now();
        for _ in 0..calls {
            let _ = client.get_config_value("hr", "k").await;
        }
        figures.push(started.elapsed().as_nanos() as f64 / calls.max(1) as f64);
    }
    Ok(figures)
}
