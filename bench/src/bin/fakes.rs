//! The same calls through the generated config client over the loopback
//! HTTP upstream the request benchmarks use, over the generated typed fake
//! (`config::fake::ConfigFake`: each request read into its typed arguments
//! and checked against the spec, the typed answer written back), and over
//! the untyped fake upstream (`transport::FakeUpstream`): what a
//! consumer's test saves by faking. Rounds alternate A B C / C B A;
//! medians are printed.
//!
//! ```text
//! cargo run --release -p clientgen-bench --bin fakes [-- ROUNDS]
//! ```
#![allow(clippy::print_stdout)] // A report tool prints.

use std::time::Instant;

use clientgen_bench::server::{CONFIG_VALUE, Upstream, serve_if_child};
use clientgen_runtime::transport::{FakeReply, FakeUpstream};
use clientgen_runtime::{RuntimeConfig, Session};
use service_clients::config::fake::ConfigFake;
use service_clients::config::{ConfigClient, ConfigValue};
use service_clients::fakes::Answer;

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
        let typed_fake = ConfigFake::new(&FakeUpstream::new());
        let value: ConfigValue = serde_json::from_str(CONFIG_VALUE)?;
        typed_fake.on_get_config_value(move |_| Answer::ok(value.clone()));
        let typed = ConfigClient::new(&Session::with_transport(
            config("http://config.test")?,
            typed_fake.upstream().clone(),
        ))?;
        let fake = FakeUpstream::new();
        let json: serde_json::Value = serde_json::from_str(CONFIG_VALUE)?;
        fake.on("getConfigValue", move |_| FakeReply::json(200, &json));
        let untyped = ConfigClient::new(&Session::with_transport(
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
        let clients = [&wire, &typed, &untyped];
        for client in clients {
            run(client).await?;
        }
        // Per client: its times, and the loopback time over its time.
        let mut times: [Vec<f64>; 3] = Default::default();
        let mut speedups: [Vec<f64>; 3] = Default::default();
        for round in 0..rounds {
            let mut order = [0, 1, 2];
            if !round.is_multiple_of(2) {
                order.reverse();
            }
            let mut this_round = [0.0; 3];
            for index in order {
                this_round[index] = run(clients[index]).await?;
            }
            for index in 0..3 {
                times[index].push(this_round[index]);
                speedups[index].push(this_round[0] / this_round[index]);
            }
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
        };
        println!(
            "| {CALLS} calls of `get_config_value` | wall time (median of {rounds} rounds) | speed-up over loopback HTTP (median of per-round ratios) |"
        );
        println!("|---|---|---|");
        let names = [
            "loopback HTTP",
            "typed fake (`ConfigFake`)",
            "untyped fake (`FakeUpstream`)",
        ];
        for (index, name) in names.iter().enumerate() {
            println!(
                "| {name} | {:.1} ms | {:.1}x |",
                median(&mut times[index]) * 1000.0,
                median(&mut speedups[index])
            );
        }
        Ok(())
    })
}
