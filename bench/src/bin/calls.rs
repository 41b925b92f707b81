//! `calls KIND CALL COUNT [MODE]`: makes COUNT calls with one client, for a
//! profiler or an instruction counter (`scripts/bench-instructions` runs it
//! under callgrind). It reports the batch's throughput and the process's
//! CPU per call on stderr.
//!
//! KIND is `generated`, `traced` (ours under an INFO subscriber), `tuned`,
//! `naive`, `progenitor` or `control` (the tuned raw client with its own
//! pool, plus `CLIENTGEN_BENCH_CONTROL_PADDING` functions per call); CALL is
//! `get` or `post`; MODE is `N` (N tasks at a time on a current-thread
//! runtime, default 1) or `mtN` (N tasks on a multi-thread runtime with two
//! workers).
//!
//! The upstream is `CLIENTGEN_BENCH_UPSTREAM` when set (one started
//! beforehand with `calls serve`, which prints its URL and serves until
//! killed), else a child process.
#![allow(clippy::print_stderr)] // A command-line tool reports its usage.

use std::process::ExitCode;

use clientgen_bench::requests::{Call, Clients, Kind, client_runtime, multi_thread_runtime};
use clientgen_bench::server::{Upstream, serve_forever, serve_if_child};

fn main() -> ExitCode {
    if serve_if_child() {
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return match serve_forever() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("cannot serve: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(kind) = args.first().and_then(|name| Kind::parse(name)) else {
        return usage();
    };
    let Some(call) = args.get(1).and_then(|name| Call::parse(name)) else {
        return usage();
    };
    let Some(count) = args.get(2).and_then(|count| count.parse::<usize>().ok()) else {
        return usage();
    };
    let mode = args.get(3).map(String::as_str).unwrap_or("1");
    let (threads, concurrency) = match mode.strip_prefix("mt") {
        Some(tasks) => (true, tasks.parse::<usize>().ok()),
        None => (false, mode.parse::<usize>().ok()),
    };
    let Some(concurrency) = concurrency.filter(|&n| n > 0) else {
        return usage();
    };
    if let Some((cpu, _)) = clientgen_bench::cpu::placement() {
        let _ = clientgen_bench::cpu::pin_to(cpu);
    }
    let runtime = if threads {
        multi_thread_runtime(2)
    } else {
        client_runtime()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let done = runtime.block_on(async {
        let upstream = Upstream::start().map_err(|error| error.to_string())?;
        let clients = Clients::new(upstream.url()).map_err(|error| error.to_string())?;
        let clients = if kind == Kind::Traced {
            clients.with_subscriber()
        } else {
            clients
        };
        let clients = std::sync::Arc::new(clients);
        let batch = clients.batch(kind, call, count, concurrency).await;
        eprintln!(
            "{} calls in {:.1} ms: {:.0} calls/s, {:.2} µs process CPU per call",
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
    eprintln!(
        "usage: calls generated|traced|tuned|naive|progenitor|control get|post COUNT [N|mtN]\n       calls serve"
    );
    ExitCode::FAILURE
}
