//! parley-loadgen: simulated chat users over Parley's real protocol (REST + WebSocket).
//! Records post→deliver latency per recipient, REST latency per endpoint, messages
//! lost or duplicated (checked by per-channel seq), reconnects and the server's CPU and
//! memory; prints a Markdown table and writes JSON. Exits 1 on any loss, duplicate or
//! failed request.
mod api;
mod report;
mod seed;
mod sim;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Preset {
    /// Seconds: a dozen fast users; CI fails on any lost or duplicated message.
    Smoke,
    /// Minutes: realistic idle times (1–9 s between actions).
    Standard,
}

#[derive(Parser, Debug)]
#[command(about = "Simulated users against a Parley server")]
struct Cli {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The one-time setup token the server printed on first start (seeds a fresh server).
    #[arg(long)]
    setup_token: String,
    #[arg(long, value_enum, default_value = "smoke")]
    preset: Preset,
    #[arg(long)]
    users: Option<usize>,
    #[arg(long)]
    channels: Option<usize>,
    /// Seconds of simulated activity.
    #[arg(long)]
    duration: Option<u64>,
    /// The server's process id, to report its CPU-seconds and RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Where to write results.json and results.md.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (users, channels, duration, idle) = match cli.preset {
        Preset::Smoke => (12, 4, 15, (0.05, 0.45)),
        Preset::Standard => (200, 20, 120, (1.0, 9.0)),
    };
    let users = cli.users.unwrap_or(users);
    let channels = cli.channels.unwrap_or(channels);
    let duration = Duration::from_secs(cli.duration.unwrap_or(duration));
    let api = api::Api::new(&cli.url);

    eprintln!("seeding {users} users and {channels} channels …");
    let (_admin, world) = seed::seed(&api, &cli.setup_token, users, channels).await?;
    let shared = sim::new_shared(api.clone(), world.workspace.clone(), idle, &world.users);
    let before = cli.server_pid.map(report::server_sample);
    let started = Instant::now();
    let tokens: Vec<String> = world.users.iter().map(|u| u.token.clone()).collect();
    let tasks: Vec<_> = world.users.into_iter().map(|u| tokio::spawn(sim::run(shared.clone(), u))).collect();

    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        eprint!(
            "\r[{:>4}s/{}s] actions {:>7}  posts {:>6}  deliveries {:>8}  reconnects {:>4}",
            started.elapsed().as_secs(),
            duration.as_secs(),
            shared.actions.load(Ordering::Relaxed),
            shared.posts.load(Ordering::Relaxed),
            shared.deliveries.load(Ordering::Relaxed),
            shared.reconnects.load(Ordering::Relaxed),
        );
    }
    eprintln!();
    shared.stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await??);
    }
    let elapsed = started.elapsed();
    let after = cli.server_pid.map(report::server_sample);
    let check = report::verify(&api, &world.workspace, &tokens, &seen).await?;
    let summary = report::summary(&cli.preset_name(), users, elapsed, &shared, &api, check, before, after);
    println!("{}", report::markdown(&summary));
    if let Some(dir) = &cli.out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(&summary)?)?;
        std::fs::write(dir.join("results.md"), report::markdown(&summary))?;
    }
    let bad = summary["lost"].as_u64().unwrap_or(1)
        + summary["duplicated"].as_u64().unwrap_or(1)
        + summary["rest_errors"].as_u64().unwrap_or(1);
    if bad > 0 {
        eprintln!("FAILED: lost, duplicated or failed requests");
        std::process::exit(1);
    }
    Ok(())
}

impl Cli {
    fn preset_name(&self) -> String {
        format!("{:?}", self.preset).to_lowercase()
    }
}
