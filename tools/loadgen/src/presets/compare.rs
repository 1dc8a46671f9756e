//! `compare`: one scenario against Parley and a Matrix homeserver, side by side.
//! --users people in one room/channel, all receiving (Parley: WebSocket; Matrix:
//! /sync long-polls); --posters of them send --rate messages per second in total for
//! --duration seconds. Reports messages per server CPU-second and post→deliver
//! latency per recipient for both.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::{last_seq, post_marked, progress, world, Outcome};
use crate::api::{histogram, Api};
use crate::fleet::Fleet;
use crate::matrix::{Account, Matrix};
use crate::report::{ms, server_sample};
use crate::socket::Tally;
use crate::Cli;

struct Plan {
    users: usize,
    senders: usize,
    rate: f64,
    messages: usize,
}

struct Side {
    name: &'static str,
    messages: usize,
    deliveries: u64,
    expected: u64,
    lost: u64,
    duplicated: u64,
    cpu_s: f64,
    wall_s: f64,
    rss_kib: u64,
    latency: Histogram<u64>,
}

/// (CPU-seconds, RSS KiB) of the server before and after a run.
type Samples = (Option<(f64, u64)>, Option<(f64, u64)>);

impl Side {
    /// `counts`: (deliveries, expected, lost, duplicated).
    fn new(
        name: &'static str,
        plan: &Plan,
        counts: (u64, u64, u64, u64),
        wall_s: f64,
        (before, after): Samples,
        latency: Histogram<u64>,
    ) -> Self {
        let (deliveries, expected, lost, duplicated) = counts;
        Self {
            name,
            messages: plan.messages,
            deliveries,
            expected,
            lost,
            duplicated,
            cpu_s: after.zip(before).map_or(0.0, |(a, b)| a.0 - b.0),
            wall_s,
            rss_kib: after.map_or(0, |a| a.1),
            latency,
        }
    }

    fn per_cpu_s(&self) -> f64 {
        if self.cpu_s > 0.0 {
            self.messages as f64 / self.cpu_s
        } else {
            0.0
        }
    }
    fn json(&self) -> Value {
        json!({"server": self.name, "messages": self.messages, "deliveries": self.deliveries, "expected": self.expected,
               "lost": self.lost, "duplicated": self.duplicated, "server_cpu_s": self.cpu_s, "seconds": self.wall_s,
               "messages_per_cpu_s": self.per_cpu_s(), "rss_kib": self.rss_kib,
               "deliver_ms": {"p50": ms(&self.latency, 0.5), "p99": ms(&self.latency, 0.99), "max": self.latency.max() as f64 / 1000.0}})
    }
    fn row(&self) -> String {
        format!(
            "| {} | {} | {}/{} | {} | {} | {:.2} | **{:.0}** | {:.1} ms | **{:.1} ms** | {:.0} MiB |\n",
            self.name,
            self.messages,
            self.deliveries,
            self.expected,
            self.lost,
            self.duplicated,
            self.cpu_s,
            self.per_cpu_s(),
            ms(&self.latency, 0.5),
            ms(&self.latency, 0.99),
            self.rss_kib as f64 / 1024.0
        )
    }
}

pub async fn run(cli: &Cli, apis: &[Api]) -> anyhow::Result<Outcome> {
    let users = cli.users.unwrap_or(50);
    let rate = cli.rate.unwrap_or(20.0);
    let messages = (rate * cli.duration.unwrap_or(30) as f64).round().max(1.0) as usize;
    let plan = Plan { users, senders: cli.posters.unwrap_or(5).clamp(1, users), rate, messages };
    let mut sides = vec![parley(cli, apis, &plan).await?];
    if let Some(url) = &cli.matrix_url {
        sides.push(matrix(url, cli.matrix_pid, &plan).await?);
    }
    let mut markdown = format!(
        "{} people in one room, {} senders, {} messages at {}/s\n\n\
         | server | messages | delivered | lost | duplicated | server CPU-s | messages per CPU-s | deliver p50 | p99 | RSS |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
        plan.users, plan.senders, plan.messages, plan.rate
    );
    for s in &sides {
        markdown.push_str(&s.row());
    }
    if let [p, m] = sides.as_slice() {
        let cpu = p.per_cpu_s() / m.per_cpu_s().max(f64::MIN_POSITIVE);
        let p99 = ms(&m.latency, 0.99) / ms(&p.latency, 0.99).max(0.001);
        markdown.push_str(&format!("\nParley: {cpu:.1}× the messages per CPU-second, {p99:.1}× lower p99.\n"));
    }
    let lost: u64 = sides.iter().map(|s| s.lost + s.duplicated).sum();
    let summary = json!({"preset": "compare", "users": plan.users, "senders": plan.senders, "rate": plan.rate,
                         "sides": sides.iter().map(Side::json).collect::<Vec<_>>()});
    Ok(Outcome { json: summary, markdown, failed: (lost > 0).then(|| "lost or duplicated deliveries".to_owned()) })
}

/// Sends `plan.messages` spread over `plan.senders` at `plan.rate` per second in total.
async fn send_all<F, Fut>(plan: &Plan, send: F)
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let per_sender = plan.messages.div_ceil(plan.senders);
    let every = Duration::from_secs_f64(plan.senders as f64 / plan.rate);
    let total = plan.messages;
    let tasks: Vec<_> = (0..plan.senders)
        .map(|s| {
            let send = send.clone();
            tokio::spawn(async move {
                // Staggered so the senders do not fire in lockstep.
                tokio::time::sleep(every.mul_f64(s as f64 / 8.0)).await;
                let mut tick = tokio::time::interval(every);
                for i in 0..per_sender {
                    let n = s * per_sender + i;
                    if n >= total {
                        break;
                    }
                    tick.tick().await;
                    send(s, n).await;
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

async fn wait_for(count: &AtomicU64, expected: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while count.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn parley(cli: &Cli, apis: &[Api], plan: &Plan) -> anyhow::Result<Side> {
    let api = &apis[0];
    let world = world(cli, api, plan.users, 0).await?;
    let fleet = Fleet::open(&world.users, apis, Tally::new()).await;
    fleet.wait_ready(world.users.len(), Duration::from_secs(60)).await;
    eprintln!("parley: {} sockets ready; sending …", world.users.len());
    let before = server_sample(&cli.server_pids);
    let started = Instant::now();
    let senders: Arc<Vec<(Api, String)>> = Arc::new(
        world
            .users
            .iter()
            .take(plan.senders)
            .enumerate()
            .map(|(i, u)| (apis[i % apis.len()].clone(), u.token.clone()))
            .collect(),
    );
    let (tally, general) = (fleet.tally.clone(), world.general.clone());
    send_all(plan, move |s, _| {
        let (senders, tally, general) = (senders.clone(), tally.clone(), general.clone());
        async move {
            let (api, token) = &senders[s];
            let text = crate::sim::sentence(&mut rand::rng(), None);
            if let Err(e) = post_marked(api, &tally, token, &general, text).await {
                eprintln!("parley send failed: {e}");
            }
        }
    })
    .await;
    let expected = ((world.users.len() - fleet.failed) * plan.messages) as u64;
    wait_for(&fleet.tally.deliveries, expected, Duration::from_secs(60)).await;
    let wall_s = started.elapsed().as_secs_f64();
    let after = server_sample(&cli.server_pids);
    let last = last_seq(api, &world.admin_token, &world.general).await?;
    let (lost, duplicated) = fleet.check(&world.general, last);
    let counts = (fleet.tally.deliveries.load(Ordering::Relaxed), expected, lost, duplicated);
    Ok(Side::new("Parley", plan, counts, wall_s, (before, after), fleet.tally.latency()))
}

struct Receipts {
    sent: Mutex<HashMap<String, Instant>>,
    /// (user, message id) → times received.
    got: Mutex<HashMap<(usize, String), u32>>,
    latency: Mutex<Histogram<u64>>,
    deliveries: AtomicU64,
    limited: AtomicU64,
}

async fn matrix(url: &str, pid: Option<u32>, plan: &Plan) -> anyhow::Result<Side> {
    let m = Matrix::new(url);
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    eprintln!("matrix: registering {} people …", plan.users);
    let accounts: Vec<Account> = stream::iter(0..plan.users)
        .map(|i| {
            let (m, run) = (m.clone(), run.clone());
            async move { m.register(&format!("lg{run}u{i}")).await }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let room = m.create_room(&accounts[0].token).await?;
    let mut starts = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        if i > 0 {
            m.join(&a.token, &room).await?;
        }
        let filter = m.filter(a).await?;
        let first = m.sync(&a.token, &filter, None, 0).await?;
        starts.push((filter, first["next_batch"].as_str().unwrap_or_default().to_owned()));
        progress(format_args!("matrix: {} joined", i + 1));
    }
    eprintln!();
    let receipts = Arc::new(Receipts {
        sent: Mutex::default(),
        got: Mutex::default(),
        latency: Mutex::new(histogram()),
        deliveries: AtomicU64::new(0),
        limited: AtomicU64::new(0),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let syncs: Vec<_> = accounts
        .iter()
        .zip(starts)
        .enumerate()
        .map(|(i, (a, (filter, since)))| {
            let (m, token, room, r, stop) = (m.clone(), a.token.clone(), room.clone(), receipts.clone(), stop.clone());
            tokio::spawn(async move {
                let mut since = since;
                while !stop.load(Ordering::Relaxed) {
                    let Ok(v) = m.sync(&token, &filter, Some(&since), 30_000).await else { continue };
                    if let Some(next) = v["next_batch"].as_str() {
                        since = next.to_owned();
                    }
                    record(&r, i, &v["rooms"]["join"][&room]["timeline"]);
                }
            })
        })
        .collect();
    let before = pid.and_then(|p| server_sample(&[p]));
    let started = Instant::now();
    let senders: Arc<Vec<String>> = Arc::new(accounts.iter().take(plan.senders).map(|a| a.token.clone()).collect());
    let (m2, room2, r2) = (m.clone(), room.clone(), receipts.clone());
    send_all(plan, move |s, _| {
        let (m, room, r, senders) = (m2.clone(), room2.clone(), r2.clone(), senders.clone());
        async move {
            let id = format!("lg-{}", uuid::Uuid::new_v4());
            let body = format!("{id} {}", crate::sim::sentence(&mut rand::rng(), None));
            if let Ok(mut sent) = r.sent.lock() {
                sent.insert(id.clone(), Instant::now());
            }
            if let Err(e) = m.send(&senders[s], &room, &id, &body).await {
                eprintln!("matrix send failed: {e}");
            }
        }
    })
    .await;
    let expected = (plan.users * plan.messages) as u64;
    wait_for(&receipts.deliveries, expected, Duration::from_secs(60)).await;
    let wall_s = started.elapsed().as_secs_f64();
    let after = pid.and_then(|p| server_sample(&[p]));
    stop.store(true, Ordering::Relaxed);
    for s in syncs {
        s.abort();
    }
    let got = receipts.got.lock().map(|g| g.clone()).unwrap_or_default();
    let ids: Vec<String> = receipts.sent.lock().map(|s| s.keys().cloned().collect()).unwrap_or_default();
    let mut lost = 0;
    let mut duplicated = 0;
    for u in 0..plan.users {
        for id in &ids {
            match got.get(&(u, id.clone())).copied().unwrap_or(0) {
                0 => lost += 1,
                1 => {}
                _ => duplicated += 1,
            }
        }
    }
    if receipts.limited.load(Ordering::Relaxed) > 0 {
        eprintln!("matrix: {} syncs were limited (events skipped)", receipts.limited.load(Ordering::Relaxed));
    }
    let counts = (receipts.deliveries.load(Ordering::Relaxed), expected, lost, duplicated);
    let latency = receipts.latency.lock().map(|h| h.clone()).unwrap_or_else(|_| histogram());
    Ok(Side::new("matrix-synapse", plan, counts, wall_s, (before, after), latency))
}

fn record(r: &Receipts, user: usize, timeline: &Value) {
    if timeline["limited"].as_bool() == Some(true) {
        r.limited.fetch_add(1, Ordering::Relaxed);
    }
    for e in timeline["events"].as_array().into_iter().flatten() {
        if e["type"] != "m.room.message" {
            continue;
        }
        let Some(id) = e["content"]["body"].as_str().and_then(|b| b.split(' ').next()) else { continue };
        let sent = r.sent.lock().ok().and_then(|s| s.get(id).copied());
        let Some(at) = sent else { continue };
        let first = r.got.lock().map(|mut g| {
            let n = g.entry((user, id.to_owned())).or_insert(0);
            *n += 1;
            *n == 1
        });
        r.deliveries.fetch_add(1, Ordering::Relaxed);
        if first.unwrap_or(false) {
            if let Ok(mut h) = r.latency.lock() {
                let _ = h.record(u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX).max(1));
            }
        }
    }
}
