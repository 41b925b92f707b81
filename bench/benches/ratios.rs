//! `cargo bench -p clientgen-bench`: prints one table of side-by-side ratios
//! (see BENCHMARKS.md). Every pair is interleaved over many short rounds and
//! reported as the median of the per-round ratios, with their quartiles.
//!
//! Options: `--quick` (3 rounds), `--only=generation|requests`, and for the
//! requests `--call=get|post`, `--concurrency=1|64|mt256`, `--rounds=N`,
//! `--calls=N` (per round) and `--clients=generated,traced,...` (the tuned
//! raw baseline always runs). `CLIENTGEN_BENCH_CPUS=C,U` pins the client
//! to CPU `C` and the upstream to CPU `U`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // A benchmark reports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use clientgen_bench::cpu::peak_rss_kib;
use clientgen_bench::generation::{Tool, generate};
use clientgen_bench::requests::{
    Batch, Call, Clients, Kind, breaker_refusal_ns, client_runtime, multi_thread_runtime,
};
use clientgen_bench::server::{Upstream, serve_if_child};
use clientgen_bench::stats::{median, quantile};

/// Rounds per generation comparison.
const ROUNDS: usize = 21;

/// Rounds per request comparison: sequential calls on this VM swing with
/// where the scheduler puts the two processes, so many short rounds.
const REQUEST_ROUNDS: usize = 61;

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
    // A child run serves as the request benchmark's upstream.
    if serve_if_child() {
        return;
    }
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
            concurrency: value("concurrency"),
            kinds: match value("clients") {
                None => Kind::ALL.to_vec(),
                Some(list) => {
                    let mut kinds: Vec<Kind> = list.split(',').filter_map(Kind::parse).collect();
                    if !kinds.contains(&Kind::Tuned) {
                        kinds.insert(0, Kind::Tuned);
                    }
                    kinds
                }
            },
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
    if ratios.is_empty() {
        return "n/a".to_owned();
    }
    format!(
        "{:.3}× ({:.2}–{:.2})",
        median(ratios),
        quantile(ratios, 0.25),
        quantile(ratios, 0.75)
    )
}

/// How the calls of a row are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// One call at a time, on a current-thread runtime.
    Sequential,
    /// This many tasks on a current-thread runtime.
    Tasks(usize),
    /// This many tasks on a multi-thread runtime with two workers.
    Threads(usize),
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Sequential, Mode::Tasks(64), Mode::Threads(256)];

    fn concurrency(self) -> usize {
        match self {
            Mode::Sequential => 1,
            Mode::Tasks(tasks) | Mode::Threads(tasks) => tasks,
        }
    }

    /// The `--concurrency=` value that selects the row.
    fn name(self) -> String {
        match self {
            Mode::Sequential => "1".to_owned(),
            Mode::Tasks(tasks) => tasks.to_string(),
            Mode::Threads(tasks) => format!("mt{tasks}"),
        }
    }

    fn label(self) -> String {
        match self {
            Mode::Sequential => "sequential".to_owned(),
            Mode::Tasks(tasks) => format!("{tasks}-way"),
            Mode::Threads(tasks) => format!("MT 2 workers, {tasks}-way"),
        }
    }
}

/// Which request comparisons to run, and how long.
struct Selection {
    rounds: usize,
    calls: usize,
    /// `get` or `post`; both without it.
    call: Option<String>,
    /// `1`, `64` or `mt256`; every mode without it.
    concurrency: Option<String>,
    /// The clients compared (the tuned baseline always among them).
    kinds: Vec<Kind>,
}

/// One row's figures for one client, over the rounds.
#[derive(Default)]
struct Figures {
    vs_tuned: Vec<f64>,
    vs_progenitor: Vec<f64>,
    cpu: Vec<f64>,
    cpu_vs_tuned: Vec<f64>,
    /// Every successful call's latency, in microseconds.
    latency: Vec<f64>,
}

fn request_table(selection: &Selection) {
    if let Some((cpu, _)) = clientgen_bench::cpu::placement()
        && let Err(error) = clientgen_bench::cpu::pin_to(cpu)
    {
        eprintln!("cannot pin the client to CPU {cpu}: {error}");
    }
    if let Err(error) = run_requests(selection) {
        eprintln!("requests: {error}");
    }
}

fn run_requests(selection: &Selection) -> Result<(), Box<dyn std::error::Error>> {
    let Selection {
        rounds,
        calls,
        ref kinds,
        ..
    } = *selection;
    let single = client_runtime()?;
    let multi = multi_thread_runtime(2)?;
    let upstream = Upstream::start()?;
    // Each runtime has clients of its own: a pooled connection is served by
    // a task of the runtime that opened it.
    let make = || -> Result<Arc<Clients>, Box<dyn std::error::Error>> {
        let clients = Clients::new(upstream.url())?.timing_each_call();
        Ok(Arc::new(if kinds.contains(&Kind::Traced) {
            clients.with_subscriber()
        } else {
            clients
        }))
    };
    let (on_single, on_multi) = (make()?, make()?);
    println!(
        "## Requests ({rounds} interleaved rounds of {calls} calls, 4× that under MT; same headers, same decoding; ratios as median (quartiles) of per-round ratios; CPU of the whole client process)\n"
    );
    println!(
        "| call | mode | client | throughput / tuned raw | throughput / progenitor | process CPU per call | CPU / tuned raw | latency p50 / p99 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for call in [Call::Get, Call::Post] {
        let name = if call == Call::Get { "get" } else { "post" };
        if selection
            .call
            .as_deref()
            .is_some_and(|wanted| wanted != name)
        {
            continue;
        }
        for mode in Mode::ALL {
            if selection
                .concurrency
                .as_deref()
                .is_some_and(|wanted| wanted != mode.name())
            {
                continue;
            }
            let (runtime, clients, calls) = match mode {
                Mode::Threads(_) => (&multi, &on_multi, calls * 4),
                _ => (&single, &on_single, calls),
            };
            let concurrency = mode.concurrency();
            for &kind in kinds {
                runtime.block_on(clients.batch(kind, call, concurrency * 4, concurrency));
            }
            let mut figures: Vec<Figures> = kinds.iter().map(|_| Figures::default()).collect();
            for round in 0..rounds {
                // Each client runs at each position in the order equally
                // often.
                let mut batches: Vec<Option<Batch>> = kinds.iter().map(|_| None).collect();
                for position in 0..kinds.len() {
                    let index = (round + position) % kinds.len();
                    let batch =
                        runtime.block_on(clients.batch(kinds[index], call, calls, concurrency));
                    batches[index] = Some(batch);
                }
                let find = |wanted: Kind| {
                    kinds
                        .iter()
                        .position(|&kind| kind == wanted)
                        .and_then(|index| batches[index].as_ref())
                };
                let (tuned, theirs) = (find(Kind::Tuned), find(Kind::Progenitor));
                for (slot, batch) in figures.iter_mut().zip(&batches) {
                    let Some(batch) = batch else { continue };
                    if let Some(tuned) = tuned {
                        slot.vs_tuned.push(batch.throughput() / tuned.throughput());
                        slot.cpu_vs_tuned
                            .push(batch.cpu_per_call_us() / tuned.cpu_per_call_us());
                    }
                    if let Some(theirs) = theirs {
                        slot.vs_progenitor
                            .push(batch.throughput() / theirs.throughput());
                    }
                    slot.cpu.push(batch.cpu_per_call_us());
                    slot.latency
                        .extend(batch.latencies.iter().map(|t| t.as_secs_f64() * 1e6));
                }
            }
            for (kind, figures) in kinds.iter().zip(&figures) {
                println!(
                    "| {call:?} | {} | {} | {} | {} | {:.1} µs | {} | {:.0} / {:.0} µs |",
                    mode.label(),
                    kind.label(),
                    spread(&figures.vs_tuned),
                    spread(&figures.vs_progenitor),
                    median(&figures.cpu),
                    spread(&figures.cpu_vs_tuned),
                    quantile(&figures.latency, 0.5),
                    quantile(&figures.latency, 0.99),
                );
            }
        }
    }
    drop(upstream);
    single.block_on(async {
        match breaker_refusal_ns(21, 10_000).await {
            Ok(ns) => println!(
                "\nA call refused by an open breaker: {:.0} ns, median of 21 repetitions of 10,000 calls ({:.0}–{:.0} ns; no I/O).",
                median(&ns),
                quantile(&ns, 0.0),
                quantile(&ns, 1.0)
            ),
            Err(error) => println!("\nbreaker refusal: {error}"),
        }
    });
    let mut fresh = Upstream::spawn()?;
    let counted = Arc::new(Clients::new(fresh.url())?);
    let batch = single.block_on(counted.batch(Kind::Generated, Call::Get, 10_000, 1));
    match fresh.accepted() {
        Some(accepted) => println!(
            "TCP connections opened for 10,000 sequential calls (ours, {} succeeded): {accepted}.",
            batch.calls
        ),
        None => println!("TCP connections opened for 10,000 sequential calls: unknown."),
    }
    Ok(())
}
