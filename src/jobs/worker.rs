//! The worker loop: claim a batch of due jobs, run each (or, for a kind that batches,
//! all of that kind at once) under its lease, then delete the completed ones with the
//! next claim or schedule retries. Stops between jobs when shutdown is signalled,
//! handing the jobs it has not started back to the queue.
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use uuid::Uuid;

use super::claim;
use super::model::job;
use super::{queue, JobFuture, JobHandler};
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
        let lease_s = state.settings.jobs.lease_s;
        let batch = match claim::claim(&state.db, &kinds, lease_s, &completed, BATCH).await {
            Ok(batch) => {
                completed.clear();
                batch
            }
            Err(e) => {
                // `completed` stays: deleting it again is harmless, forgetting it is not.
                tracing::warn!(error = %e, "job worker could not claim jobs");
                Vec::new()
            }
        };
        let claimed = batch.len();
        let mut unstarted: Vec<Uuid> = batch.iter().map(|j| j.id).collect();
        let mut leased_at = Instant::now();
        for unit in units(&state, batch) {
            if *shutdown.borrow() {
                break;
            }
            // The jobs still waiting keep their leases while earlier ones run.
            if leased_at.elapsed() >= renew_every(lease_s) {
                if let Err(e) = renew(&state, &unstarted, lease_s).await {
                    tracing::warn!(error = %e, "could not renew waiting jobs' leases");
                }
                leased_at = Instant::now();
            }
            unstarted.retain(|id| !unit.iter().any(|j| j.id == *id));
            match run_unit(&state, &unit, &unstarted).await {
                Ok(ran) => completed.extend(ran),
                Err(e) => tracing::warn!(error = %e, "could not record a job's failure"),
            }
            done += unit.len() as u64;
        }
        if !unstarted.is_empty() && settle(&state, &completed, &unstarted).await {
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

fn renew_every(lease_s: i64) -> Duration {
    Duration::from_secs(u64::try_from(lease_s).unwrap_or(60).max(1).div_ceil(3))
}

/// Whether the completed jobs are deleted and the unstarted ones handed back.
async fn settle(state: &AppState, completed: &[Uuid], unstarted: &[Uuid]) -> bool {
    match queue::settle(&state.db, completed, unstarted).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "job worker could not record its last jobs");
            false
        }
    }
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

/// Runs claimed jobs of one kind (one, or several for a kind that batches) and returns
/// the ids of those that succeeded; failures are recorded. `waiting` are the batch's jobs
/// still to run, whose leases are renewed along with these. When a batch fails, its jobs
/// run again one by one, so one bad job does not hold up (or use up) the others.
pub async fn run_unit(state: &AppState, unit: &[job::Model], waiting: &[Uuid]) -> anyhow::Result<Vec<Uuid>> {
    let Some(first) = unit.first() else { return Ok(Vec::new()) };
    let Some(handler) = state.jobs.get(&first.kind) else {
        fail(state, unit, "no handler for this kind").await?;
        return Ok(Vec::new());
    };
    if unit.len() > 1 {
        let mut leased = waiting.to_vec();
        leased.extend(unit.iter().map(|j| j.id));
        let payloads = unit.iter().map(payload).collect();
        match attempt(state, &handler, handler.run_many(state.clone(), payloads), &leased).await {
            Ok(()) => {
                count(first, "ok", unit.len());
                return Ok(unit.iter().map(|j| j.id).collect());
            }
            Err(e) => {
                tracing::warn!(kind = %first.kind, jobs = unit.len(), error = %e, "a batch of jobs failed; running them one by one")
            }
        }
    }
    let mut succeeded = Vec::with_capacity(unit.len());
    for (i, job) in unit.iter().enumerate() {
        let mut leased = waiting.to_vec();
        leased.extend(unit[i..].iter().map(|j| j.id));
        match attempt(state, &handler, handler.run(state.clone(), payload(job)), &leased).await {
            Ok(()) => {
                count(job, "ok", 1);
                succeeded.push(job.id);
            }
            Err(e) => {
                tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                fail(state, std::slice::from_ref(job), &format!("{e:#}")).await?;
                count(job, "error", 1);
            }
        }
    }
    Ok(succeeded)
}

fn payload(job: &job::Model) -> serde_json::Value {
    serde_json::from_str(&job.payload).unwrap_or(serde_json::Value::Null)
}

fn count(job: &job::Model, outcome: &'static str, n: usize) {
    metrics::counter!("parley_jobs_total", "kind" => job.kind.clone(), "outcome" => outcome).increment(n as u64);
}

/// Runs `work` under the handler's time limit, renewing the leases of `leased` while it runs,
/// so a long job keeps its claim (and the batch behind it) and a dead worker's jobs are
/// still taken over one lease after it stopped renewing.
async fn attempt(
    state: &AppState,
    handler: &Arc<dyn JobHandler>,
    work: JobFuture,
    leased: &[Uuid],
) -> anyhow::Result<()> {
    let lease_s = state.settings.jobs.lease_s;
    let limit_s = handler.max_run_s().unwrap_or(0).max(u64::try_from(lease_s).unwrap_or(60).max(1));
    let heartbeat = async {
        loop {
            tokio::time::sleep(renew_every(lease_s)).await;
            if let Err(e) = renew(state, leased, lease_s).await {
                tracing::warn!(error = %e, "could not renew jobs' leases");
            }
        }
    };
    let guarded = async {
        tokio::select! {
            r = work => r,
            () = heartbeat => Err(anyhow::anyhow!("the lease renewal stopped")),
        }
    };
    match tokio::time::timeout(Duration::from_secs(limit_s), guarded).await {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("timed out after {limit_s} s")),
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
