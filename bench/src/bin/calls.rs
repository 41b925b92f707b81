//! `calls KIND CALL COUNT [CONCURRENCY]`: makes COUNT calls with one client,
//! CONCURRENCY at a time (default 1),
//! against the in-process upstream, for a profiler or an instruction counter
//! (`scripts/bench-instructions` runs it under callgrind). It reports the
//! batch's throughput and client CPU per call on stderr.
//!
//! KIND is `generated`, `raw`, `progenitor` or `control` (raw reqwest with
//! its own pool, plus `CLIENTGEN_BENCH_CONTROL_PADDING` functions per call);
//! CALL is `get` or `post`.
#![allow(clippy::print_stderr)] // A command-line tool reports its usage.

use std::process::ExitCode;

use clientgen_bench::requests::{Call, Clients, Kind, client_runtime};
use clientgen_bench::server::Upstream;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = match args.first().map(String::as_str) {
        Some("generated") => Kind::Generated,
        Some("raw") => Kind::Raw,
        Some("progenitor") => Kind::Progenitor,
        Some("control") => Kind::RawControl,
        _ => return usage(),
    };
    let call = match args.get(1).map(String::as_str) {
        Some("get") => Call::Get,
        Some("post") => Call::Post,
        _ => return usage(),
    };
    let Some(count) = args.get(2).and_then(|count| count.parse::<usize>().ok()) else {
        return usage();
    };
    let concurrency = match args.get(3).map(|value| value.parse::<usize>()) {
        None => 1,
        Some(Ok(concurrency)) if concurrency > 0 => concurrency,
        Some(_) => return usage(),
    };
    if let Some((cpu, _)) = clientgen_bench::cpu::placement() {
        let _ = clientgen_bench::cpu::pin_to(cpu);
    }
    let runtime = match client_runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let done = runtime.block_on(async {
        let upstream = Upstream::start().map_err(|error| error.to_string())?;
        let clients = Clients::new(&upstream.url())
            .map(std::sync::Arc::new)
            .map_err(|error| error.to_string())?;
        let batch = clients.batch(kind, call, count, concurrency).await;
        eprintln!(
            "{} calls in {:.1} ms: {:.0} calls/s, {:.2} µs client CPU per call",
            batch.calls,
            batch.wall.as_secs_f64() * 1e3,
            batch.throughput(),
            batch.cpu_per_call_us()
        );
        Ok::<usize, String>(batch.calls)
    });
    match done {
        Ok(calls) if calls == count => ExitCode::SUCCESS,
        Ok(calls) => {
            eprintln!("only {calls} of {count} calls succeeded");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: calls generated|raw|progenitor|control get|post COUNT [CONCURRENCY]");
    ExitCode::FAILURE
}
