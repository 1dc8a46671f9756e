//! The presets: each runs one scenario and returns its figures.
mod compare;
mod fanout;
mod idle;
mod ramp;
mod rate;
mod simulate;

use serde_json::Value;

use crate::api::Api;
use crate::seed::{self, World};
use crate::{Cli, Preset};

pub struct Outcome {
    pub json: Value,
    pub markdown: String,
    /// Why the run counts as failed (lost or duplicated messages, failed requests).
    pub failed: Option<String>,
}

pub async fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let first = Api::new(cli.urls.first().map_or("http://127.0.0.1:8080", String::as_str));
    let apis: Vec<Api> = cli.urls.iter().map(|u| first.at(u)).collect();
    match cli.preset {
        Preset::Smoke => simulate::run(cli, &apis, (12, 4, 15), (0.05, 0.45)).await,
        Preset::Standard => simulate::run(cli, &apis, (200, 20, 120), (1.0, 9.0)).await,
        Preset::Ramp => ramp::run(cli, &apis).await,
        Preset::Fanout => fanout::run(cli, &apis).await,
        Preset::Idle => idle::run(cli, &apis).await,
        Preset::Rate => rate::run(cli, &apis).await,
        Preset::Compare => compare::run(cli, &apis).await,
    }
}

/// The people to simulate: from a seed file, or signed up through the API.
pub async fn world(cli: &Cli, api: &Api, users: usize, channels: usize) -> anyhow::Result<World> {
    let users = cli.users.unwrap_or(users);
    let channels = cli.channels.unwrap_or(channels);
    let mut world = match (&cli.seed, &cli.setup_token) {
        (Some(path), _) => seed::load(path)?,
        (None, Some(token)) => {
            eprintln!("seeding {users} users and {channels} channels through the API …");
            seed::seed(api, token, users, channels).await?
        }
        (None, None) => anyhow::bail!("give --seed FILE or --setup-token"),
    };
    anyhow::ensure!(world.users.len() >= users.min(1), "the seed holds no people");
    world.users.truncate(users);
    Ok(world)
}

/// Failure reasons for a run that checked deliveries.
pub fn failures(lost: u64, duplicated: u64, errors: u64) -> Option<String> {
    (lost + duplicated + errors > 0).then(|| format!("{lost} lost, {duplicated} duplicated, {errors} failed requests"))
}

/// Posts one message with a fresh client_msg_id, marking when it was sent.
pub async fn post_marked(
    api: &Api,
    tally: &crate::socket::Tally,
    token: &str,
    channel: &str,
    text: String,
) -> anyhow::Result<i64> {
    let cmid = uuid::Uuid::new_v4().to_string();
    tally.mark_sent(&cmid);
    let body = serde_json::json!({"text": text, "client_msg_id": cmid});
    let (status, v) = api.post("post", &format!("/api/v1/channels/{channel}/messages"), token, body).await?;
    anyhow::ensure!(status == 201, "post failed ({status}): {v}");
    v["seq"].as_i64().ok_or_else(|| anyhow::anyhow!("no seq in {v}"))
}

/// A channel's newest seq, as `token` sees it.
pub async fn last_seq(api: &Api, token: &str, channel: &str) -> anyhow::Result<i64> {
    let v = api.get("channel", &format!("/api/v1/channels/{channel}"), token).await?;
    v["last_seq"].as_i64().ok_or_else(|| anyhow::anyhow!("no last_seq in {v}"))
}

pub fn progress(line: std::fmt::Arguments<'_>) {
    eprint!("\r{line}    ");
}
