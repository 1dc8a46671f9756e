//! parley-loadgen: simulated chat users over Parley's real protocol (REST + WebSocket).
//! Records post→deliver latency per recipient, REST latency per endpoint, messages
//! lost or duplicated (checked by per-channel seq), reconnects and the server's CPU and
//! memory; prints a Markdown table and writes JSON. Exits 1 on any loss, duplicate or
//! failed request.
mod api;
mod fleet;
mod matrix;
mod presets;
mod report;
mod seed;
mod sim;
mod socket;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Seconds: a dozen fast users; CI fails on any lost or duplicated message.
    Smoke,
    /// Minutes: realistic idle times (1–9 s between actions).
    Standard,
    /// Adds --ramp-step users every --ramp-every seconds until the average API time
    /// passes 100 ms or more than 1 % of requests fail; reports the users reached.
    Ramp,
    /// Every seeded person holds a socket in #general; one poster broadcasts.
    Fanout,
    /// N idle sockets: memory per socket, CPU for heartbeats, then all of them
    /// reconnect at once and resume.
    Idle,
    /// Sustained posting: --posters people post back to back for --duration seconds.
    Rate,
    /// The same post/deliver scenario against Parley and a Matrix homeserver
    /// (--matrix-url), reported side by side.
    Compare,
}

#[derive(Parser, Debug)]
#[command(about = "Simulated users against a Parley server")]
pub struct Cli {
    /// A node's base URL; give it once per node (people are spread over the nodes).
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    pub urls: Vec<String>,
    /// The one-time setup token the server printed on first start (seeds a fresh
    /// server through the API).
    #[arg(long, required_unless_present = "seed")]
    pub setup_token: Option<String>,
    /// A world written by `parley admin seed-load --out FILE` (fast, for thousands).
    #[arg(long)]
    pub seed: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "smoke")]
    pub preset: Preset,
    /// People to simulate (default depends on the preset; with --seed, at most those seeded).
    #[arg(long)]
    pub users: Option<usize>,
    /// Channels to create besides #general when seeding through the API.
    #[arg(long)]
    pub channels: Option<usize>,
    /// Seconds of activity (posting, for fanout, rate and compare).
    #[arg(long)]
    pub duration: Option<u64>,
    /// The server's process id (once per node), to report CPU-seconds and RSS.
    #[arg(long = "server-pid")]
    pub server_pids: Vec<u32>,
    /// Where to write results.json and results.md.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// ramp: people added per step.
    #[arg(long, default_value_t = 16)]
    pub ramp_step: usize,
    /// ramp: seconds between steps.
    #[arg(long, default_value_t = 10)]
    pub ramp_every: u64,
    /// rate: people posting back to back (default 32); compare: senders (default 5).
    #[arg(long)]
    pub posters: Option<usize>,
    /// fanout and compare: messages per second the poster(s) send.
    #[arg(long)]
    pub rate: Option<f64>,
    /// idle: seconds to measure heartbeat CPU over (at least three heartbeats).
    #[arg(long, default_value_t = 60)]
    pub idle_window: u64,
    /// compare: a Matrix homeserver's base URL (e.g. matrix-synapse).
    #[arg(long)]
    pub matrix_url: Option<String>,
    /// compare: the homeserver's process id.
    #[arg(long)]
    pub matrix_pid: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let outcome = presets::run(&cli).await?;
    println!("{}", outcome.markdown);
    if let Some(dir) = &cli.out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(&outcome.json)?)?;
        std::fs::write(dir.join("results.md"), &outcome.markdown)?;
    }
    if let Some(why) = outcome.failed {
        eprintln!("FAILED: {why}");
        std::process::exit(1);
    }
    Ok(())
}
