//! Verification by per-channel seq, and the summary (JSON and a Markdown table).
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use crate::api::Api;
use crate::sim::Shared;
use crate::socket::Seen;

pub struct Check {
    pub lost: u64,
    pub duplicated: u64,
    pub expected: u64,
}

/// Every person must have received every message of every channel they are in
/// exactly once (live or replayed after a reconnect). Waits up to 20 s for stragglers.
pub async fn verify(api: &Api, workspace: &str, tokens: &[String], seen: &[Arc<Mutex<Seen>>]) -> anyhow::Result<Check> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut check = Check { lost: 0, duplicated: 0, expected: 0 };
        for (token, seen) in tokens.iter().zip(seen) {
            let list = api.get("verify", &format!("/api/v1/workspaces/{workspace}/channels"), token).await?;
            let s = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            for ch in list.as_array().into_iter().flatten() {
                let id = ch["id"].as_str().unwrap_or_default();
                let last = ch["last_seq"].as_i64().unwrap_or(0);
                for seq in 1..=last {
                    check.expected += 1;
                    match s.count(id, seq) {
                        0 => check.lost += 1,
                        1 => {}
                        _ => check.duplicated += 1,
                    }
                }
            }
        }
        if check.lost == 0 || Instant::now() >= deadline {
            return Ok(check);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// (CPU seconds, RSS KiB) summed over processes (the nodes of a cluster), from /proc.
pub fn server_sample(pids: &[u32]) -> Option<(f64, u64)> {
    if pids.is_empty() {
        return None;
    }
    Some(pids.iter().map(|p| process_sample(&p.to_string())).fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1)))
}

/// This load generator's own CPU-seconds (it can be the bottleneck: say so).
pub fn own_cpu() -> f64 {
    process_sample("self").0
}

/// (CPU seconds, RSS KiB) of a process, from /proc.
fn process_sample(pid: &str) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (ticks as f64 / 100.0, rss)
}

pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

#[allow(clippy::too_many_arguments)]
pub fn summary(
    preset: &str,
    users: usize,
    elapsed: Duration,
    shared: &Shared,
    api: &Api,
    check: Check,
    before: Option<(f64, u64)>,
    after: Option<(f64, u64)>,
) -> Value {
    let lat = shared.tally.latency();
    let mut rest = serde_json::Map::new();
    if let Ok(t) = api.stats.timings.lock() {
        let mut labels: Vec<_> = t.keys().copied().collect();
        labels.sort_unstable();
        for l in labels {
            if let Some(h) = t.get(l) {
                rest.insert(l.into(), json!({"count": h.len(), "p50_ms": ms(h, 0.5), "p99_ms": ms(h, 0.99), "max_ms": h.max() as f64 / 1000.0}));
            }
        }
    }
    let server = match (before, after) {
        (Some((c0, r0)), Some((c1, r1))) => json!({"cpu_s": c1 - c0, "rss_kib_start": r0, "rss_kib_end": r1}),
        _ => Value::Null,
    };
    json!({
        "preset": preset,
        "users": users,
        "seconds": elapsed.as_secs_f64(),
        "actions": shared.actions.load(Ordering::Relaxed),
        "posts": shared.posts.load(Ordering::Relaxed),
        "deliveries": shared.tally.deliveries.load(Ordering::Relaxed),
        "reconnects": shared.reconnects.load(Ordering::Relaxed),
        "expected_receipts": check.expected,
        "lost": check.lost,
        "duplicated": check.duplicated,
        "rest_errors": api.errors(),
        "deliver_ms": {"count": lat.len(), "p50": ms(&lat, 0.5), "p90": ms(&lat, 0.9), "p99": ms(&lat, 0.99), "max": lat.max() as f64 / 1000.0},
        "rest": rest,
        "server": server,
    })
}

pub fn markdown(s: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "| preset | users | seconds | actions | posts | deliveries | reconnects | lost | duplicated | REST errors | deliver p50 ms | p99 ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} |\n",
        s["preset"].as_str().unwrap_or(""), s["users"], s["seconds"].as_f64().unwrap_or(0.0), s["actions"], s["posts"],
        s["deliveries"], s["reconnects"], s["lost"], s["duplicated"], s["rest_errors"],
        s["deliver_ms"]["p50"].as_f64().unwrap_or(0.0), s["deliver_ms"]["p99"].as_f64().unwrap_or(0.0),
    ));
    out.push_str("\n| endpoint | calls | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n");
    if let Some(rest) = s["rest"].as_object() {
        for (k, v) in rest {
            out.push_str(&format!(
                "| {k} | {} | {:.2} | {:.2} | {:.2} |\n",
                v["count"],
                v["p50_ms"].as_f64().unwrap_or(0.0),
                v["p99_ms"].as_f64().unwrap_or(0.0),
                v["max_ms"].as_f64().unwrap_or(0.0)
            ));
        }
    }
    if s["server"].is_object() {
        out.push_str(&format!(
            "\nserver: {:.2} CPU-seconds, RSS {} KiB → {} KiB\n",
            s["server"]["cpu_s"].as_f64().unwrap_or(0.0),
            s["server"]["rss_kib_start"],
            s["server"]["rss_kib_end"]
        ));
    }
    out
}
