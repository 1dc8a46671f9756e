//! `ramp`: adds --ramp-step people (standard mix and idle times) every --ramp-every
//! seconds until the average API time over a step passes 100 ms or more than 1 % of
//! requests fail, then reports the number of people reached.
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{json, Value};

use super::{progress, world, Outcome};
use crate::api::Api;
use crate::report::{own_cpu, server_sample};
use crate::{sim, Cli};

const MAX_AVG_MS: f64 = 100.0;
const MAX_ERROR_RATE: f64 = 0.01;

pub async fn run(cli: &Cli, apis: &[Api]) -> anyhow::Result<Outcome> {
    let api = &apis[0];
    // With a seed file, everyone in it may be needed; through the API, sign-ups are slow.
    let default_users = if cli.seed.is_some() { usize::MAX } else { 500 };
    let world = world(cli, api, default_users, 20).await?;
    let available = world.users.len();
    let shared = sim::new_shared(apis.to_vec(), world.workspace.clone(), (1.0, 9.0), &world.users);
    let mut people = world.users.into_iter();
    let mut active = 0usize;
    let mut tasks = Vec::new();
    let mut steps: Vec<Value> = Vec::new();
    let mut reached = 0usize;
    let every = Duration::from_secs(cli.ramp_every);
    let _ = api.stats.take_window();
    let stop_reason = loop {
        for u in people.by_ref().take(cli.ramp_step) {
            tasks.push(tokio::spawn(sim::run(shared.clone(), u, active)));
            active += 1;
        }
        let server0 = server_sample(&cli.server_pids);
        let (own0, actions0) = (own_cpu(), shared.actions.load(Ordering::Relaxed));
        tokio::time::sleep(every).await;
        let w = api.stats.take_window();
        let server1 = server_sample(&cli.server_pids);
        let secs = every.as_secs_f64();
        let avg_ms = if w.calls > 0 { w.micros as f64 / w.calls as f64 / 1000.0 } else { 0.0 };
        let error_rate = if w.calls > 0 { w.errors as f64 / w.calls as f64 } else { 0.0 };
        let server_pct = match (server0, server1) {
            (Some(a), Some(b)) => (b.0 - a.0) / secs * 100.0,
            _ => 0.0,
        };
        let row = json!({
            "users": active, "requests_per_s": w.calls as f64 / secs,
            "actions_per_s": (shared.actions.load(Ordering::Relaxed) - actions0) as f64 / secs,
            "avg_ms": avg_ms, "error_rate": error_rate, "server_cpu_percent": server_pct,
            "server_rss_kib": server1.map(|s| s.1), "loadgen_cpu_percent": (own_cpu() - own0) / secs * 100.0,
        });
        progress(format_args!(
            "{active} users: {:.0} req/s, avg {avg_ms:.1} ms, errors {:.2} %, server CPU {server_pct:.0} %, load generator CPU {:.0} %",
            row["requests_per_s"].as_f64().unwrap_or(0.0),
            error_rate * 100.0,
            row["loadgen_cpu_percent"].as_f64().unwrap_or(0.0)
        ));
        steps.push(row);
        if avg_ms > MAX_AVG_MS {
            break format!("average API time {avg_ms:.1} ms > {MAX_AVG_MS} ms at {active} users");
        }
        if error_rate > MAX_ERROR_RATE {
            break format!("{:.2} % of requests failed at {active} users", error_rate * 100.0);
        }
        reached = active;
        if active >= available {
            break format!("all {available} seeded people active, thresholds never crossed");
        }
    };
    eprintln!();
    shared.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let mut markdown = format!(
        "ramp: {} people every {} s; reached **{reached}** people ({stop_reason})\n\n\
         | users | requests/s | actions/s | avg API ms | errors % | server CPU % | load generator CPU % |\n|---|---|---|---|---|---|---|\n",
        cli.ramp_step, cli.ramp_every
    );
    let shown = steps.len().div_ceil(25).max(1);
    for (i, r) in steps.iter().enumerate() {
        if i % shown == 0 || i + 3 >= steps.len() {
            markdown.push_str(&format!(
                "| {} | {:.0} | {:.0} | {:.1} | {:.2} | {:.0} | {:.0} |\n",
                r["users"],
                r["requests_per_s"].as_f64().unwrap_or(0.0),
                r["actions_per_s"].as_f64().unwrap_or(0.0),
                r["avg_ms"].as_f64().unwrap_or(0.0),
                r["error_rate"].as_f64().unwrap_or(0.0) * 100.0,
                r["server_cpu_percent"].as_f64().unwrap_or(0.0),
                r["loadgen_cpu_percent"].as_f64().unwrap_or(0.0),
            ));
        }
    }
    let summary = json!({"preset": "ramp", "step": cli.ramp_step, "every_s": cli.ramp_every,
                         "reached": reached, "stopped_because": stop_reason, "steps": steps});
    Ok(Outcome { json: summary, markdown, failed: None })
}
