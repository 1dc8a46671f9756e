//! `idle`: N sockets that only answer heartbeats. Measures server memory per socket
//! and the CPU their heartbeats cost; then every socket drops and reconnects at the
//! same moment, resuming past messages posted meanwhile (a restart's reconnect storm).
use std::time::{Duration, Instant};

use serde_json::json;

use super::{failures, last_seq, post_marked, world, Outcome};
use crate::api::Api;
use crate::fleet::Fleet;
use crate::report::{ms, server_sample};
use crate::socket::Tally;
use crate::Cli;

const MISSED: usize = 5;

pub async fn run(cli: &Cli, apis: &[Api]) -> anyhow::Result<Outcome> {
    let api = &apis[0];
    let world = world(cli, api, 10_000, 0).await?;
    let n = world.users.len();
    anyhow::ensure!(!cli.server_pids.is_empty(), "idle needs --server-pid to measure memory and CPU");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, rss0) = server_sample(&cli.server_pids).unwrap_or_default();

    eprintln!("opening {n} sockets …");
    let started = Instant::now();
    let mut fleet = Fleet::open(&world.users, apis, Tally::new()).await;
    let all_ready = fleet.wait_ready(n, Duration::from_secs(300)).await;
    let open_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (cpu0, rss1) = server_sample(&cli.server_pids).unwrap_or_default();
    eprintln!("{n} sockets open in {open_s:.1} s; RSS {rss0} → {rss1} KiB");

    eprintln!("measuring heartbeat CPU over {} s …", cli.idle_window);
    tokio::time::sleep(Duration::from_secs(cli.idle_window)).await;
    let (cpu1, rss2) = server_sample(&cli.server_pids).unwrap_or_default();
    let heartbeat_pct = (cpu1 - cpu0) / cli.idle_window as f64 * 100.0;
    // After the window: the server gives freed memory back once a minute, so this is
    // what the sockets hold, not what connecting them left behind.
    let per_socket_kib = rss2.saturating_sub(rss0) as f64 / n as f64;

    eprintln!("reconnect storm: all {n} drop, {MISSED} messages are posted, all resume at once …");
    fleet.close_all().await;
    for i in 0..MISSED {
        post_marked(api, &fleet.tally, &world.admin_token, &world.general, format!("while you were away {i}")).await?;
    }
    let storm = Instant::now();
    fleet.reconnect_all(&world.users, apis).await;
    let resumed_all = fleet.wait_ready(n - fleet.failed, Duration::from_secs(120)).await;
    let storm_s = storm.elapsed().as_secs_f64();
    let mut per_client = crate::api::histogram();
    for s in &fleet.seen {
        if let Some(at) = s.lock().ok().and_then(|s| s.ready_at) {
            let _ = per_client.record(u64::try_from((at - storm).as_micros()).unwrap_or(u64::MAX).max(1));
        }
    }
    let last = last_seq(api, &world.admin_token, &world.general).await?;
    let (lost, duplicated) = fleet.settle(&world.general, last, Duration::from_secs(30)).await;
    let (cpu2, _) = server_sample(&cli.server_pids).unwrap_or_default();

    let summary = json!({
        "preset": "idle", "sockets": n, "connect_failures": fleet.failed, "all_ready": all_ready,
        "open_seconds": open_s, "rss_kib_before": rss0, "rss_kib_open": rss1, "rss_kib_after_window": rss2,
        "kib_per_socket": per_socket_kib, "heartbeat_window_s": cli.idle_window,
        "heartbeat_cpu_percent_of_core": heartbeat_pct,
        "storm": {"resumed": per_client.len(), "all_resumed": resumed_all, "seconds_to_all_ready": storm_s,
                  "ready_p50_ms": ms(&per_client, 0.5), "ready_p99_ms": ms(&per_client, 0.99),
                  "missed_messages": MISSED, "lost": lost, "duplicated": duplicated, "server_cpu_s": cpu2 - cpu1},
    });
    let markdown = format!(
        "| sockets | open in | RSS before → just opened → after {} s | per socket (settled) | heartbeat CPU |\n|---|---|---|---|---|\n\
         | {n} | {open_s:.1} s | {:.1} → {:.1} → {:.1} MiB | {per_socket_kib:.1} KiB | {heartbeat_pct:.2} % of a core |\n\n\
         | reconnect storm | resumed | all ready after | ready p50 | p99 | lost | duplicated | server CPU |\n\
         |---|---|---|---|---|---|---|---|\n| {n} at once, {MISSED} missed messages each | {} | {storm_s:.1} s | {:.0} ms | {:.0} ms | {lost} | {duplicated} | {:.1} s |\n",
        cli.idle_window,
        rss0 as f64 / 1024.0,
        rss1 as f64 / 1024.0,
        rss2 as f64 / 1024.0,
        per_client.len(),
        ms(&per_client, 0.5),
        ms(&per_client, 0.99),
        cpu2 - cpu1,
    );
    let mut failed = failures(lost, duplicated, fleet.failed as u64);
    if !all_ready || !resumed_all {
        failed = Some("not every socket became ready".into());
    }
    Ok(Outcome { json: summary, markdown, failed })
}
