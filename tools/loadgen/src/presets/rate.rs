//! `rate`: sustained posting. Everyone holds a socket; --posters people post back to
//! back (each waits for its answer, then posts again) into a direct conversation with
//! the next person for --duration seconds. Reports messages per second, REST send latency,
//! post→deliver latency and losses or duplicates.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{failures, post_marked, progress, world, Outcome};
use crate::api::Api;
use crate::fleet::Fleet;
use crate::report::{ms, own_cpu, server_sample, verify};
use crate::socket::Tally;
use crate::Cli;

pub async fn run(cli: &Cli, apis: &[Api]) -> anyhow::Result<Outcome> {
    let api = &apis[0];
    let world = world(cli, api, 200, 20).await?;
    let n = world.users.len();
    let duration = Duration::from_secs(cli.duration.unwrap_or(30));
    let fleet = Fleet::open(&world.users, apis, Tally::new()).await;
    fleet.wait_ready(n, Duration::from_secs(120)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicU64::new(0));
    let before = server_sample(&cli.server_pids);
    let own0 = own_cpu();
    let started = Instant::now();
    let poster_count = cli.posters.unwrap_or(32);
    let mut posters = Vec::new();
    for (i, u) in world.users.iter().take(poster_count).enumerate() {
        // A direct conversation with the next person: the write path, not fan-out, is
        // under test (most messages in a team are DMs and small channels).
        let other = &world.users[(i + 1) % n];
        let path = format!("/api/v1/workspaces/{}/conversations", world.workspace);
        let (status, dm) = api.post("open_dm", &path, &u.token, json!({"user_ids": [other.id]})).await?;
        anyhow::ensure!(status < 300, "open DM failed ({status}): {dm}");
        let dm = dm["id"].as_str().unwrap_or_default().to_owned();
        let (api, tally, token) = (apis[i % apis.len()].clone(), fleet.tally.clone(), u.token.clone());
        let (stop, posted) = (stop.clone(), posted.clone());
        posters.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let text = crate::sim::sentence(&mut rand::rng(), None);
                if post_marked(&api, &tally, &token, &dm, text).await.is_ok() {
                    posted.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let p = posted.load(Ordering::Relaxed);
        progress(format_args!(
            "[{:>3}s] posted {p} ({:.0}/s)",
            started.elapsed().as_secs(),
            p as f64 / started.elapsed().as_secs_f64()
        ));
    }
    stop.store(true, Ordering::Relaxed);
    for p in posters {
        let _ = p.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = server_sample(&cli.server_pids);
    let own = own_cpu() - own0;
    eprintln!();
    let tokens: Vec<String> = world.users.iter().map(|u| u.token.clone()).collect();
    let check = verify(api, &world.workspace, &tokens, &fleet.seen).await?;
    let posted = posted.load(Ordering::Relaxed);
    let cpu = match (before, after) {
        (Some(b), Some(a)) => a.0 - b.0,
        _ => 0.0,
    };
    let send = api.stats.timings.lock().ok().and_then(|t| t.get("post").cloned()).unwrap_or_else(crate::api::histogram);
    let lat = fleet.tally.latency();
    let rate = posted as f64 / elapsed;
    let summary = json!({
        "preset": "rate", "users": n, "posters": poster_count, "seconds": elapsed, "messages": posted,
        "messages_per_s": rate, "server_cpu_s": cpu, "loadgen_cpu_s": own,
        "send_ms": {"p50": ms(&send, 0.5), "p99": ms(&send, 0.99), "max": send.max() as f64 / 1000.0},
        "deliver_ms": {"p50": ms(&lat, 0.5), "p99": ms(&lat, 0.99)},
        "deliveries": fleet.tally.deliveries.load(Ordering::Relaxed),
        "lost": check.lost, "duplicated": check.duplicated, "rest_errors": api.errors(),
    });
    let markdown = format!(
        "| posters | messages | msg/s | send p50 | send p99 | deliver p50 | deliver p99 | deliveries | lost | duplicated | server CPU-s | load generator CPU-s |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n\
         | {} | {posted} | {rate:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} | {} | {cpu:.1} | {own:.1} |\n",
        poster_count,
        ms(&send, 0.5),
        ms(&send, 0.99),
        ms(&lat, 0.5),
        ms(&lat, 0.99),
        fleet.tally.deliveries.load(Ordering::Relaxed),
        check.lost,
        check.duplicated,
    );
    Ok(Outcome { json: summary, markdown, failed: failures(check.lost, check.duplicated, api.errors()) })
}
