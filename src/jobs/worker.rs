//! The worker loop: claim a batch of due jobs, run each (or, for a kind that batches,
//! all of that kind at once) under its lease, then delete the completed ones with the
//! next claim or schedule retries. Stops between jobs when shutdown is signalled,
//! handing the jobs it has not started back to the queue.
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::claim;
use super::model::job;
use super::queue;
use crate::state::AppState;

/// Jobs claimed in one turn at the write gate.
const BATCH: u64 = 32;

/// Runs the jobs of `lane` until `shutdown` turns true. Returns how many it completed.
pub async fn run(state: AppState, lane: &'static str, mut shutdown: watch::Receiver<bool>) -> u64 {
    let kinds = state.jobs.kinds_in(lane);
    let poll = Duration::from_millis(state.settings.jobs.poll_ms.max(10));
    let mut done = 0;
    // Jobs that succeeded, deleted together with the next claim.
    let mut completed: Vec<Uuid> = Vec::new();
    loop {
        if *shutdown.borrow() {
            settle(&state, &completed, &[]).await;
            return done;
        }
        let batch = match claim::claim(&state.db, &kinds, state.settings.jobs.lease_s, &completed, BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                // `completed` stays: deleting it again is harmless, forgetting it is not.
                tracing::warn!(error = %e, "job worker could not claim jobs");
                Vec::new()
            }
        };
        if !batch.is_empty() {
            completed.clear();
        }
        let claimed = batch.len();
        let mut unstarted: Vec<Uuid> = batch.iter().map(|j| j.id).collect();
        for unit in units(&state, batch) {
            if *shutdown.borrow() {
                break;
            }
            unstarted.retain(|id| !unit.iter().any(|j| j.id == *id));
            match run_unit(&state, &unit, &unstarted).await {
                Ok(Ran::Succeeded) => completed.extend(unit.iter().map(|j| j.id)),
                Ok(Ran::Failed) => {}
                Err(e) => tracing::warn!(error = %e, "could not record a job's failure"),
            }
            done += unit.len() as u64;
        }
        if !unstarted.is_empty() {
            settle(&state, &completed, &unstarted).await;
            completed.clear();
        }
        if claimed > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn settle(state: &AppState, completed: &[Uuid], unstarted: &[Uuid]) {
    if let Err(e) = queue::settle(&state.db, completed, unstarted).await {
        tracing::warn!(error = %e, "job worker could not record its last jobs");
    }
}

pub enum Ran {
    /// The job succeeded; it is to be deleted with the next claim.
    Succeeded,
    /// The job failed, and its retry or parking is recorded.
    Failed,
}

/// The claimed jobs as they will run: alone, or every job of a kind that batches in one.
fn units(state: &AppState, batch: Vec<job::Model>) -> Vec<Vec<job::Model>> {
    let mut units: Vec<Vec<job::Model>> = Vec::new();
    for job in batch {
        let batches = state.jobs.get(&job.kind).is_some_and(|h| h.batches());
        match units.iter_mut().find(|u| batches && u[0].kind == job.kind) {
            Some(unit) => unit.push(job),
            None => units.push(vec![job]),
        }
    }
    units
}

/// Runs claimed jobs of one kind (one, or several for a kind that batches); `waiting`
/// are the batch's jobs still to run, whose leases are renewed along with these.
pub async fn run_unit(state: &AppState, unit: &[job::Model], waiting: &[Uuid]) -> anyhow::Result<Ran> {
    let settings = &state.settings.jobs;
    let Some(first) = unit.first() else { return Ok(Ran::Succeeded) };
    let kind = first.kind.clone();
    let Some(handler) = state.jobs.get(&kind) else {
        fail(state, unit, "no handler for this kind").await?;
        return Ok(Ran::Failed);
    };
    let payloads: Vec<serde_json::Value> =
        unit.iter().map(|j| serde_json::from_str(&j.payload).unwrap_or(serde_json::Value::Null)).collect();
    let lease_s = u64::try_from(settings.lease_s).unwrap_or(60).max(1);
    let limit_s = handler.max_run_s().unwrap_or(lease_s).max(lease_s);
    let mut leased = waiting.to_vec();
    leased.extend(unit.iter().map(|j| j.id));
    // Leases are renewed while the handler runs, so a long job keeps its claim (and the
    // batch behind it) and a dead worker's jobs are still taken over one lease after it
    // stopped renewing.
    let heartbeat = async {
        loop {
            tokio::time::sleep(Duration::from_secs(lease_s.div_ceil(3))).await;
            if let Err(e) = renew(state, &leased, settings.lease_s).await {
                tracing::warn!(kind = %kind, error = %e, "could not renew jobs' leases");
            }
        }
    };
    let run = match payloads.len() {
        1 => handler.run(state.clone(), payloads.into_iter().next().unwrap_or_default()),
        _ => handler.run_many(state.clone(), payloads),
    };
    let work = async {
        tokio::select! {
            r = run => r,
            () = heartbeat => Err(anyhow::anyhow!("the lease renewal stopped")),
        }
    };
    let result = match tokio::time::timeout(Duration::from_secs(limit_s), work).await {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("timed out after {limit_s} s")),
    };
    let n = unit.len() as u64;
    match result {
        Ok(()) => {
            metrics::counter!("parley_jobs_total", "kind" => kind, "outcome" => "ok").increment(n);
            Ok(Ran::Succeeded)
        }
        Err(e) => {
            tracing::warn!(kind = %kind, jobs = n, attempt = first.attempts, error = %e, "job failed");
            fail(state, unit, &format!("{e:#}")).await?;
            metrics::counter!("parley_jobs_total", "kind" => kind, "outcome" => "error").increment(n);
            Ok(Ran::Failed)
        }
    }
}

async fn fail(state: &AppState, jobs: &[job::Model], error: &str) -> anyhow::Result<()> {
    let tx = state.db.write().await?;
    for job in jobs {
        queue::fail(&*tx, job, error, &state.settings.jobs).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The queue's own writes wait for the write gate like every other writer: on SQLite a
/// write outside it would sleep in SQLite's busy handler (backing off up to 100 ms at a
/// time) for as long as requests keep the database busy, and the queue would fall behind.
async fn renew(state: &AppState, ids: &[Uuid], lease_s: i64) -> anyhow::Result<()> {
    let tx = state.db.write().await?;
    queue::renew(&*tx, ids, lease_s).await?;
    tx.commit().await?;
    Ok(())
}
