//! Streaming benchmarks: a large download read chunk by chunk through the
//! generated runtime's `execute_streaming` against a hand-written reqwest
//! `chunk()` loop on the same server, and server-sent-event parsing by the
//! runtime's `sse::EventParser` against the `eventsource-stream` crate on
//! the same bytes. Rounds alternate A B / B A; medians are printed.
//!
//! ```text
//! cargo run --release -p clientgen-bench --bin streams [-- ROUNDS]
//! ```
#![allow(clippy::print_stdout)] // A report tool prints.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clientgen_runtime::codegen::{Method, Operation, Request};
use clientgen_runtime::sse::EventParser;
use clientgen_runtime::{RuntimeConfig, Session};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

type Failure = Box<dyn std::error::Error>;

/// Bytes per download.
const DOWNLOAD: u64 = 256 * 1024 * 1024;
/// Bytes per server chunk.
const CHUNK: usize = 64 * 1024;

static EXPORT: Operation = Operation::new("export", Method::Get, "/export");

fn main() -> Result<(), Failure> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|rounds| rounds.parse())
        .transpose()?
        .unwrap_or(21);
    let addr = spawn_server()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let download = downloads(addr, rounds).await?;
        let parse = parsing(rounds).await?;
        println!(
            "| benchmark | clientgen | peer | clientgen / peer (median of {rounds} paired rounds) |"
        );
        println!("|---|---|---|---|");
        println!(
            "| download {} MiB, MiB/s | {:.0} | {:.0} (reqwest `chunk()` loop) | {:.3} |",
            DOWNLOAD >> 20,
            download.0,
            download.1,
            download.2
        );
        println!(
            "| SSE parsing {} MiB, MiB/s | {:.0} | {:.0} (`eventsource-stream` 0.2) | {:.3} |",
            SSE_BYTES >> 20,
            parse.0,
            parse.1,
            parse.2
        );
        Ok(())
    })
}

/// Median throughputs (MiB/s) of ours and the peer, and the median of the
/// per-round ratios.
type Figures = (f64, f64, f64);

fn figures(ours: &mut [f64], peer: &mut [f64]) -> Figures {
    let mut ratios: Vec<f64> = ours.iter().zip(peer.iter()).map(|(a, b)| a / b).collect();
    (median(ours), median(peer), median(&mut ratios))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn mib_per_second(bytes: u64, elapsed: Duration) -> f64 {
    (bytes as f64 / (1024.0 * 1024.0)) / elapsed.as_secs_f64()
}

async fn downloads(addr: SocketAddr, rounds: usize) -> Result<Figures, Failure> {
    let base = format!("http://{addr}");
    let config = RuntimeConfig::builder()
        .service_url("files", &base)
        .build()?;
    let files = Session::new(config)?.service("files")?;
    // The hand-written client, set up as carefully as the runtime's own.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .tcp_nodelay(true)
        .no_proxy()
        .tls_backend_preconfigured(tls()?)
        .build()?;
    let url = reqwest::Url::parse(&format!("{base}/export"))?;
    let ours_once = || async {
        let started = Instant::now();
        let mut body = files
            .execute_streaming(Request::new(&EXPORT))
            .await?
            .into_body();
        let mut read = 0u64;
        while let Some(chunk) = body.chunk().await {
            read += chunk?.len() as u64;
        }
        assert_read(read)?;
        Ok::<_, Failure>(mib_per_second(read, started.elapsed()))
    };
    let raw_once = || async {
        let started = Instant::now();
        let mut response = raw.get(url.clone()).send().await?.error_for_status()?;
        let mut read = 0u64;
        while let Some(chunk) = response.chunk().await? {
            read += chunk.len() as u64;
        }
        assert_read(read)?;
        Ok::<_, Failure>(mib_per_second(read, started.elapsed()))
    };
    // One of each first, to open the connections.
    ours_once().await?;
    raw_once().await?;
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round.is_multiple_of(2) {
            ours.push(ours_once().await?);
            peer.push(raw_once().await?);
        } else {
            peer.push(raw_once().await?);
            ours.push(ours_once().await?);
        }
    }
    Ok(figures(&mut ours, &mut peer))
}

fn assert_read(read: u64) -> Result<(), Failure> {
    if read == DOWNLOAD {
        Ok(())
    } else {
        Err(format!("read {read} bytes of {DOWNLOAD}").into())
    }
}

#[allow(deprecated)] // rustls 0.23.48 deprecates ring's provider; plain HTTP here anyway.
fn tls() -> Result<rustls::ClientConfig, Failure> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}

/// Bytes of the event stream parsed per round.
const SSE_BYTES: usize = 64 * 1024 * 1024;

/// An event stream like a model's token stream: small JSON events, some
/// with multi-line data, ids and comments, cut into 16 KiB chunks.
fn event_stream() -> Vec<Bytes> {
    let mut text = String::with_capacity(SSE_BYTES + 1024);
    let mut n = 0u64;
    while text.len() < SSE_BYTES {
        if n.is_multiple_of(50) {
            text.push_str(": keep-alive\n");
        }
        text.push_str(&format!(
            "id: {n}\nevent: delta\ndata: {{\"index\": {n}, \"delta\": \"token {n} of the answer\",\ndata: \"finish\": null}}\n\n"
        ));
        n += 1;
    }
    Bytes::from(text)
        .chunks(16 * 1024)
        .map(Bytes::copy_from_slice)
        .collect()
}

async fn parsing(rounds: usize) -> Result<Figures, Failure> {
    let chunks = event_stream();
    let total: usize = chunks.iter().map(Bytes::len).sum();
    let ours_once = || {
        let started = Instant::now();
        let mut parser = EventParser::default();
        let mut events = Vec::new();
        let mut count = 0usize;
        for chunk in &chunks {
            parser.feed(chunk, &mut events);
            count += events.len();
            events.clear();
        }
        (count, mib_per_second(total as u64, started.elapsed()))
    };
    let peer_once = || async {
        let started = Instant::now();
        let stream = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
        let mut events = stream.eventsource();
        let mut count = 0usize;
        while let Some(event) = events.next().await {
            event.map_err(|error| error.to_string())?;
            count += 1;
        }
        Ok::<_, Failure>((count, mib_per_second(total as u64, started.elapsed())))
    };
    let (expected, _) = ours_once();
    let (theirs, _) = peer_once().await?;
    if expected != theirs {
        return Err(format!("the parsers disagree: {expected} events against {theirs}").into());
    }
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round.is_multiple_of(2) {
            ours.push(ours_once().1);
            peer.push(peer_once().await?.1);
        } else {
            peer.push(peer_once().await?.1);
            ours.push(ours_once().1);
        }
    }
    Ok(figures(&mut ours, &mut peer))
}

/// A body of `DOWNLOAD` bytes, sent as clones of one static chunk.
struct Download {
    left: u64,
    chunk: Bytes,
}

impl Body for Download {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let take = self.left.min(CHUNK as u64) as usize;
        self.left -= take as u64;
        let chunk = self.chunk.slice(..take);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

/// Serves `/export` from its own thread and runtime, so the client's
/// runtime runs the client alone.
fn spawn_server() -> Result<SocketAddr, Failure> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let chunk = Bytes::from(vec![b'x'; CHUNK]);
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let chunk = chunk.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_request| {
                        let body = Download {
                            left: DOWNLOAD,
                            chunk: chunk.clone(),
                        };
                        async move { Ok::<_, Infallible>(hyper::Response::new(body)) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    Ok(addr)
}
