//! `fanout`: every seeded person holds a socket in #general and one poster broadcasts
//! at --rate messages per second. Reports deliveries per second and per server
//! CPU-second, post→deliver latency per recipient, and losses or duplicates.
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{failures, post_marked, progress, world, Outcome};
use crate::api::Api;
use crate::fleet::Fleet;
use crate::report::{ms, own_cpu, server_sample};
use crate::socket::Tally;
use crate::Cli;

pub async fn run(cli: &Cli, apis: &[Api]) -> anyhow::Result<Outcome> {
    let api = &apis[0];
    let world = world(cli, api, 10_000, 0).await?;
    let n = world.users.len();
    let rate = cli.rate.unwrap_or(10.0);
    let duration = cli.duration.unwrap_or(30);
    let messages = (rate * duration as f64).round().max(1.0) as usize;

    eprintln!("opening {n} sockets …");
    let fleet = Fleet::open(&world.users, apis, Tally::new()).await;
    fleet.wait_ready(n, Duration::from_secs(300)).await;
    let expected = ((n - fleet.failed) * messages) as u64;
    let before = server_sample(&cli.server_pids);
    let own0 = own_cpu();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut last = 0;
    for i in 0..messages {
        tick.tick().await;
        let text = crate::sim::sentence(&mut rand::rng(), None);
        last = post_marked(api, &fleet.tally, &world.admin_token, &world.general, text).await?;
        if i % 10 == 0 {
            progress(format_args!(
                "posted {i}/{messages}, deliveries {}",
                fleet.tally.deliveries.load(Ordering::Relaxed)
            ));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while fleet.tally.deliveries.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let after = server_sample(&cli.server_pids);
    let own = own_cpu() - own0;
    eprintln!();
    let (lost, duplicated) = fleet.check(&world.general, last);
    let deliveries = fleet.tally.deliveries.load(Ordering::Relaxed);
    let cpu = match (before, after) {
        (Some(b), Some(a)) => a.0 - b.0,
        _ => 0.0,
    };
    let lat = fleet.tally.latency();
    let per_cpu_s = if cpu > 0.0 { deliveries as f64 / cpu } else { 0.0 };
    let summary = json!({
        "preset": "fanout", "sockets": n, "connect_failures": fleet.failed, "messages": messages, "rate": rate,
        "deliveries": deliveries, "expected": expected, "lost": lost, "duplicated": duplicated,
        "seconds": wall, "deliveries_per_s": deliveries as f64 / wall,
        "server_cpu_s": cpu, "deliveries_per_server_cpu_s": per_cpu_s, "loadgen_cpu_s": own,
        "deliver_ms": {"p50": ms(&lat, 0.5), "p90": ms(&lat, 0.9), "p99": ms(&lat, 0.99), "max": lat.max() as f64 / 1000.0},
        "rest_errors": api.errors(),
    });
    let markdown = format!(
        "| sockets | messages | deliveries | lost | duplicated | wall s | deliveries/s | server CPU-s | deliveries per server CPU-s | deliver p50 | p99 | load generator CPU-s |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n\
         | {n} | {messages} at {rate}/s | {deliveries} | {lost} | {duplicated} | {wall:.1} | {:.0} | {cpu:.2} | {per_cpu_s:.0} | {:.1} ms | {:.1} ms | {own:.1} |\n",
        deliveries as f64 / wall,
        ms(&lat, 0.5),
        ms(&lat, 0.99),
    );
    Ok(Outcome { json: summary, markdown, failed: failures(lost, duplicated, api.errors() + fleet.failed as u64) })
}
