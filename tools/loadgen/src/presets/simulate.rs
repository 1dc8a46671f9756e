//! `smoke` and `standard`: people with the simulative action mix for a fixed time.
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{failures, world, Outcome};
use crate::api::Api;
use crate::{report, sim, Cli};

pub async fn run(
    cli: &Cli,
    apis: &[Api],
    (users, channels, duration): (usize, usize, u64),
    idle: (f64, f64),
) -> anyhow::Result<Outcome> {
    let api = &apis[0];
    let world = world(cli, api, users, channels).await?;
    let users = world.users.len();
    let duration = Duration::from_secs(cli.duration.unwrap_or(duration));
    let shared = sim::new_shared(apis.to_vec(), world.workspace.clone(), idle, &world.users);
    let before = report::server_sample(&cli.server_pids);
    let started = Instant::now();
    let tokens: Vec<String> = world.users.iter().map(|u| u.token.clone()).collect();
    let tasks: Vec<_> =
        world.users.into_iter().enumerate().map(|(i, u)| tokio::spawn(sim::run(shared.clone(), u, i))).collect();
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        eprint!(
            "\r[{:>4}s/{}s] actions {:>7}  posts {:>6}  deliveries {:>8}  reconnects {:>4}",
            started.elapsed().as_secs(),
            duration.as_secs(),
            shared.actions.load(Ordering::Relaxed),
            shared.posts.load(Ordering::Relaxed),
            shared.tally.deliveries.load(Ordering::Relaxed),
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
    let after = report::server_sample(&cli.server_pids);
    let check = report::verify(api, &world.workspace, &tokens, &seen).await?;
    let preset = format!("{:?}", cli.preset).to_lowercase();
    let summary = report::summary(&preset, users, elapsed, &shared, api, check, before, after);
    let failed = failures(
        summary["lost"].as_u64().unwrap_or(1),
        summary["duplicated"].as_u64().unwrap_or(1),
        summary["rest_errors"].as_u64().unwrap_or(1),
    );
    Ok(Outcome { markdown: report::markdown(&summary), json: summary, failed })
}
