//! The same calls through the generated config client over the fake
//! upstream in memory (`transport::FakeUpstream`) and over the loopback
//! HTTP upstream the request benchmarks use: what a consumer's test saves
//! by faking. Rounds alternate A B / B A; medians are printed.
//!
//! ```text
//! cargo run --release -p clientgen-bench --bin fakes [-- ROUNDS]
//! ```
#![allow(clippy::print_stdout)] // A report tool prints.

use std::time::Instant;

use clientgen_bench::server::{CONFIG_VALUE, Upstream, serve_if_child};
use clientgen_runtime::transport::{FakeReply, FakeUpstream};
use clientgen_runtime::{RuntimeConfig, Session};
use service_clients::config::ConfigClient;

type Failure = Box<dyn std::error::Error>;

/// Calls per round.
const CALLS: usize = 10_000;

fn main() -> Result<(), Failure> {
    if serve_if_child() {
        return Ok(());
    }
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|rounds| rounds.parse())
        .transpose()?
        .unwrap_or(21);
    let upstream = Upstream::start()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let config = |url: &str| {
            RuntimeConfig::builder()
                .service_url("config", url)
                .credentials("config", clientgen_runtime::Credentials::api_key("k3y"))
                .build()
        };
        let wire = ConfigClient::new(&Session::new(config(upstream.url())?)?)?;
        let fake = FakeUpstream::new();
        let value: serde_json::Value = serde_json::from_str(CONFIG_VALUE)?;
        fake.on("getConfigValue", move |_| FakeReply::json(200, &value));
        let faked = ConfigClient::new(&Session::with_transport(
            config("http://config.test")?,
            fake,
        ))?;
        let run = |client: &ConfigClient| {
            let client = client.clone();
            async move {
                let started = Instant::now();
                for _ in 0..CALLS {
                    client.get_config_value("hr", "limits.max_days").await?;
                }
                Ok::<_, Failure>(started.elapsed().as_secs_f64())
            }
        };
        run(&wire).await?;
        run(&faked).await?;
        let (mut wire_times, mut fake_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (wire_time, fake_time) = if round.is_multiple_of(2) {
                let wire_time = run(&wire).await?;
                (wire_time, run(&faked).await?)
            } else {
                let fake_time = run(&faked).await?;
                (run(&wire).await?, fake_time)
            };
            wire_times.push(wire_time);
            fake_times.push(fake_time);
            ratios.push(wire_time / fake_time);
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
        };
        println!("| {CALLS} calls of `get_config_value` | loopback HTTP | fake upstream | fake speed-up (median of {rounds} paired rounds) |");
        println!("|---|---|---|---|");
        println!(
            "| wall time | {:.1} ms | {:.1} ms | {:.1}x |",
            median(&mut wire_times) * 1000.0,
            median(&mut fake_times) * 1000.0,
            median(&mut ratios)
        );
        Ok(())
    })
}
