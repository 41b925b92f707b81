//! `cargo bench -p clientgen-bench`: prints one table of side-by-side ratios
//! (see BENCHMARKS.md). Every pair is interleaved over many short rounds and
//! reported as the median of the per-round ratios, with their quartiles.
//!
//! Options: `--quick` (3 rounds), `--only=generation|requests`, and for the
//! requests `--call=get|post`, `--concurrency=1|64`, `--rounds=N` and
//! `--calls=N` (per round). `CLIENTGEN_BENCH_CPUS=C,U` pins the client to
//! CPU `C` and the upstream to CPU `U`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // A benchmark reports.

use std::path::{Path, PathBuf};
use std::process::Command;

use clientgen_bench::cpu::peak_rss_kib;
use clientgen_bench::generation::{Tool, generate};
use clientgen_bench::requests::{Batch, Call, Clients, Kind, breaker_refusal_ns, client_runtime};
use clientgen_bench::server::Upstream;
use clientgen_bench::stats::{median, quantile};

/// Rounds per generation comparison.
const ROUNDS: usize = 21;

/// Rounds per request comparison: sequential calls on this VM swing with
/// where the scheduler puts the two threads, so more, shorter rounds.
const REQUEST_ROUNDS: usize = 41;

const SPECS: &[&str] = &[
    "progenitor-nexus.json",
    "progenitor-buildomat.json",
    "progenitor-api.github.com.json",
    "github-api.github.com-octokit-23.0.2.json",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/specs")
}

fn main() {
    // A child run measures one generation's peak memory and exits.
    if let Ok(job) = std::env::var("CLIENTGEN_BENCH_RSS") {
        let (tool, spec) = job.split_once(':').unwrap_or(("clientgen", ""));
        let tool = if tool == "progenitor" {
            Tool::Progenitor
        } else {
            Tool::Clientgen
        };
        let ok = generate(tool, Path::new(spec)).is_ok();
        println!("{} {}", peak_rss_kib(), ok);
        return;
    }
    // progenitor panics on some specs; the table reports it, the hook keeps
    // the backtrace out of the output.
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = |section: &str| {
        let wanted: Vec<&String> = args.iter().filter(|a| a.starts_with("--only=")).collect();
        wanted.is_empty()
            || wanted
                .iter()
                .any(|a| a.as_str() == format!("--only={section}"))
    };
    if only("generation") {
        generation_table(if quick { 3 } else { ROUNDS });
    }
    if only("requests") {
        let value = |name: &str| {
            args.iter()
                .find_map(|a| a.strip_prefix(&format!("--{name}=")).map(str::to_owned))
        };
        let number = |name: &str, default: usize| {
            value(name).and_then(|v| v.parse().ok()).unwrap_or(default)
        };
        let selection = Selection {
            rounds: number("rounds", if quick { 3 } else { REQUEST_ROUNDS }),
            calls: number("calls", if quick { 256 } else { 1_024 }),
            call: value("call"),
            concurrency: value("concurrency").and_then(|v| v.parse().ok()),
        };
        request_table(&selection);
    }
}

fn generation_table(rounds: usize) {
    println!(
        "## Generation (wall time, median of {rounds} interleaved rounds; peak RSS of one run)\n"
    );
    println!(
        "| spec | clientgen | progenitor | ratio (ours / progenitor) | clientgen peak RSS | progenitor peak RSS | lines (ours / progenitor) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for spec in SPECS {
        let path = corpus().join(spec);
        if !path.exists() {
            println!(
                "| {spec} | corpus missing at {} | | | | | |",
                path.display()
            );
            continue;
        }
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut ratios = Vec::new();
        let mut their_error = None;
        let mut lines = (0, 0);
        for round in 0..rounds {
            let order = if round.is_multiple_of(2) {
                [Tool::Clientgen, Tool::Progenitor]
            } else {
                [Tool::Progenitor, Tool::Clientgen]
            };
            let mut pair = [None, None];
            for tool in order {
                if tool == Tool::Progenitor && their_error.is_some() {
                    continue;
                }
                match generate(tool, &path) {
                    Ok((elapsed, count)) => {
                        let slot = usize::from(tool == Tool::Progenitor);
                        pair[slot] = Some(elapsed.as_secs_f64());
                        if slot == 0 {
                            lines.0 = count
                        } else {
                            lines.1 = count
                        }
                    }
                    Err(error) => {
                        if tool == Tool::Progenitor {
                            their_error = Some(error);
                        } else {
                            println!("| {spec} | failed: {error} | | | | | |");
                            return;
                        }
                    }
                }
            }
            if let Some(a) = pair[0] {
                ours.push(a);
            }
            if let (Some(a), Some(b)) = (pair[0], pair[1]) {
                theirs.push(b);
                ratios.push(a / b);
            }
        }
        let rss = |tool: &str| rss_of(tool, &path);
        let theirs_text = match &their_error {
            Some(error) => format!("fails: {}", short(error)),
            None => format!("{:.1} ms", median(&theirs) * 1e3),
        };
        let ratio = if ratios.is_empty() {
            "n/a".to_owned()
        } else {
            format!("{:.2}×", median(&ratios))
        };
        println!(
            "| {spec} | {:.1} ms | {theirs_text} | {ratio} | {} | {} | {} / {} |",
            median(&ours) * 1e3,
            rss("clientgen"),
            if their_error.is_some() {
                "n/a".to_owned()
            } else {
                rss("progenitor")
            },
            lines.0,
            lines.1
        );
    }
    println!();
}

fn short(error: &str) -> String {
    error.chars().take(80).collect::<String>().replace('|', "/")
}

/// Peak RSS of one generation in a fresh process.
fn rss_of(tool: &str, spec: &Path) -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "?".to_owned();
    };
    let output = Command::new(exe)
        .env("CLIENTGEN_BENCH_RSS", format!("{tool}:{}", spec.display()))
        .output();
    match output {
        Ok(output) => {
            let text = String::from_utf8_lossy(&output.stdout);
            let kib: u64 = text
                .split_whitespace()
                .next()
                .and_then(|k| k.parse().ok())
                .unwrap_or(0);
            format!("{:.0} MiB", kib as f64 / 1024.0)
        }
        Err(_) => "?".to_owned(),
    }
}

/// A ratio's median and quartiles over the rounds.
fn spread(ratios: &[f64]) -> String {
    format!(
        "{:.3}× ({:.2}–{:.2})",
        median(ratios),
        quantile(ratios, 0.25),
        quantile(ratios, 0.75)
    )
}

/// A latency table row: each client's p50 and p99 over every call, and
/// ours and the control's over raw reqwest's. `latency` is in `Kind::ALL`'s
/// order, in microseconds.
fn latency_row(call: Call, mode: &str, latency: &[Vec<f64>; 4]) -> String {
    let [ours, raw, theirs, control] = [0, 1, 2, 3].map(|index| {
        (
            quantile(&latency[index], 0.5),
            quantile(&latency[index], 0.99),
        )
    });
    // Raw reqwest with no successful call has no latency to compare with.
    let over_raw = |(p50, p99): (f64, f64)| {
        if raw.0 > 0.0 && raw.1 > 0.0 {
            format!("{:.3}× / {:.3}×", p50 / raw.0, p99 / raw.1)
        } else {
            "n/a".to_owned()
        }
    };
    let micros = |(p50, p99): (f64, f64)| format!("{p50:.1} / {p99:.1} µs");
    format!(
        "| {call:?} | {mode} | {} | {} | {} | {} | {} |",
        micros(ours),
        micros(raw),
        micros(theirs),
        over_raw(ours),
        over_raw(control),
    )
}

/// Which request comparisons to run, and how long.
struct Selection {
    rounds: usize,
    calls: usize,
    /// `get` or `post`; both without it.
    call: Option<String>,
    /// 1 or 64; both without it.
    concurrency: Option<usize>,
}

fn request_table(selection: &Selection) {
    let Selection { rounds, calls, .. } = *selection;
    if let Some((cpu, _)) = clientgen_bench::cpu::placement()
        && let Err(error) = clientgen_bench::cpu::pin_to(cpu)
    {
        eprintln!("cannot pin the client to CPU {cpu}: {error}");
    }
    let runtime = match client_runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            return;
        }
    };
    runtime.block_on(async {
        let upstream = match Upstream::start() {
            Ok(upstream) => upstream,
            Err(error) => {
                eprintln!("cannot start the upstream: {error}");
                return;
            }
        };
        let clients = match Clients::new(&upstream.url()).map(|clients| std::sync::Arc::new(clients.timing_each_call())) {
            Ok(clients) => clients,
            Err(error) => {
                eprintln!("cannot build the clients: {error}");
                return;
            }
        };
        println!(
            "## Requests: generated client vs raw reqwest vs progenitor ({rounds} interleaved rounds of {calls} calls; same headers, same decoding; ratios as median (quartiles))\n"
        );
        println!(
            "| call | mode | ours / raw (median) | ours / progenitor (median) | control: raw / raw | client CPU/call: ours | raw reqwest | progenitor | extra CPU/call vs raw | control: raw - raw |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        let mut latency_rows = Vec::new();
        for call in [Call::Get, Call::Post] {
            let name = if call == Call::Get { "get" } else { "post" };
            if selection.call.as_deref().is_some_and(|wanted| wanted != name) {
                continue;
            }
            for concurrency in [1, 64] {
                if selection.concurrency.is_some_and(|wanted| wanted != concurrency) {
                    continue;
                }
                for kind in Kind::ALL {
                    clients.batch(kind, call, concurrency * 4, concurrency).await;
                }
                let mut vs_raw = Vec::new();
                let mut vs_progenitor = Vec::new();
                let mut control = Vec::new();
                let mut cpu = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
                // Every call's latency, in microseconds, by client.
                let mut latency: [Vec<f64>; 4] = Default::default();
                for round in 0..rounds {
                    // Each client runs first, second, third and last equally
                    // often.
                    let mut batches: [Option<Batch>; 4] = Default::default();
                    for position in 0..Kind::ALL.len() {
                        let index = (round + position) % Kind::ALL.len();
                        let kind = Kind::ALL[index];
                        batches[index] = Some(clients.batch(kind, call, calls, concurrency).await);
                    }
                    let [Some(ours), Some(raw), Some(theirs), Some(raw_again)] = batches else {
                        continue;
                    };
                    vs_raw.push(ours.throughput() / raw.throughput());
                    vs_progenitor.push(ours.throughput() / theirs.throughput());
                    control.push(raw_again.throughput() / raw.throughput());
                    let all = [ours, raw, theirs, raw_again];
                    for ((slot, times), batch) in cpu.iter_mut().zip(&mut latency).zip(all) {
                        slot.push(batch.cpu_per_call_us());
                        times.extend(batch.latencies.iter().map(|t| t.as_secs_f64() * 1e6));
                    }
                }
                let extra_over_raw = |client: &[f64]| -> Vec<f64> {
                    client.iter().zip(&cpu[1]).map(|(a, b)| a - b).collect()
                };
                // The control's extra CPU is the noise floor of ours'.
                let (extra, noise) = (extra_over_raw(&cpu[0]), extra_over_raw(&cpu[3]));
                let mode = if concurrency == 1 {
                    "sequential".to_owned()
                } else {
                    format!("{concurrency}-way")
                };
                latency_rows.push(latency_row(call, &mode, &latency));
                println!(
                    "| {call:?} | {mode} | {} | {} | {} | {:.1} µs | {:.1} µs | {:.1} µs | {:+.2} µs | {:+.2} µs |",
                    spread(&vs_raw),
                    spread(&vs_progenitor),
                    spread(&control),
                    median(&cpu[0]),
                    median(&cpu[1]),
                    median(&cpu[2]),
                    median(&extra),
                    median(&noise),
                );
            }
        }
        println!(
            "\nLatency per call, every call of every round pooled (p50 / p99; ours / raw, the control / raw):\n"
        );
        println!(
            "| call | mode | ours | raw reqwest | progenitor | ours / raw | control / raw |"
        );
        println!("|---|---|---|---|---|---|---|");
        for row in latency_rows {
            println!("{row}");
        }
        match breaker_refusal_ns(100_000).await {
            Ok(ns) => println!("\nA call refused by an open breaker: {ns:.0} ns (no I/O)."),
            Err(error) => println!("\nbreaker refusal: {error}"),
        }
        let fresh = match Upstream::start() {
            Ok(upstream) => upstream,
            Err(_) => return,
        };
        if let Ok(counted) = Clients::new(&fresh.url()).map(std::sync::Arc::new) {
            counted.batch(Kind::Generated, Call::Get, 10_000, 1).await;
            println!("TCP connections opened for 10,000 sequential calls: {}.", fresh.accepted());
        }
    });
}
