//! The worker loop: claim a due job, run its handler under the lease, then delete
//! it or schedule a retry. Stops between jobs when shutdown is signalled.
use std::time::Duration;

use tokio::sync::watch;

use super::queue;
use crate::state::AppState;

/// Runs the jobs of `lane` until `shutdown` turns true. Returns how many it completed.
pub async fn run(state: AppState, lane: &'static str, mut shutdown: watch::Receiver<bool>) -> u64 {
    let kinds = state.jobs.kinds_in(lane);
    let poll = Duration::from_millis(state.settings.jobs.poll_ms.max(10));
    let mut done = 0;
    // A job that succeeded, deleted together with the next claim.
    let mut completed: Option<uuid::Uuid> = None;
    loop {
        if *shutdown.borrow() {
            if let Err(e) = queue::finish_alone(&state.db, completed).await {
                tracing::warn!(error = %e, "job worker could not record its last job as done");
            }
            return done;
        }
        match run_one(&state, &kinds, completed).await {
            Ok(Ran::Nothing) => completed = None,
            Ok(Ran::Succeeded(id)) => {
                done += 1;
                completed = Some(id);
                continue;
            }
            Ok(Ran::Failed) => {
                done += 1;
                completed = None;
                continue;
            }
            // `completed` stays: deleting it again is harmless, forgetting it is not.
            Err(e) => tracing::warn!(error = %e, "job worker could not claim a job"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

pub enum Ran {
    /// Nothing was due (and `completed` is deleted).
    Nothing,
    /// The job succeeded; it is to be deleted with the next claim.
    Succeeded(uuid::Uuid),
    /// The job failed, and its retry or parking is recorded.
    Failed,
}

/// Deletes `completed`, then claims and runs one job.
pub async fn run_one(state: &AppState, kinds: &[&'static str], completed: Option<uuid::Uuid>) -> anyhow::Result<Ran> {
    let settings = &state.settings.jobs;
    let Some(job) = queue::claim(&state.db, kinds, settings.lease_s, completed).await? else {
        return Ok(Ran::Nothing);
    };
    let Some(handler) = state.jobs.get(&job.kind) else {
        let tx = state.db.write().await?;
        queue::fail(&*tx, &job, "no handler for this kind", settings).await?;
        tx.commit().await?;
        return Ok(Ran::Failed);
    };
    let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or(serde_json::Value::Null);
    let lease_s = u64::try_from(settings.lease_s).unwrap_or(60).max(1);
    let limit_s = handler.max_run_s().unwrap_or(lease_s).max(lease_s);
    // The lease is renewed while the handler runs, so a long job keeps its claim and a
    // dead worker's job is still taken over one lease after it stopped renewing.
    let heartbeat = async {
        loop {
            tokio::time::sleep(Duration::from_secs(lease_s.div_ceil(3))).await;
            if let Err(e) = renew(state, job.id, settings.lease_s).await {
                tracing::warn!(job_id = %job.id, error = %e, "could not renew a job's lease");
            }
        }
    };
    let work = async {
        tokio::select! {
            r = handler.run(state.clone(), payload) => r,
            () = heartbeat => Err(anyhow::anyhow!("the lease renewal stopped")),
        }
    };
    let result = match tokio::time::timeout(Duration::from_secs(limit_s), work).await {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("timed out after {limit_s} s")),
    };
    match result {
        Ok(()) => {
            metrics::counter!("parley_jobs_total", "kind" => job.kind.clone(), "outcome" => "ok").increment(1);
            Ok(Ran::Succeeded(job.id))
        }
        Err(e) => {
            tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
            let tx = state.db.write().await?;
            queue::fail(&*tx, &job, &format!("{e:#}"), settings).await?;
            tx.commit().await?;
            metrics::counter!("parley_jobs_total", "kind" => job.kind.clone(), "outcome" => "error").increment(1);
            Ok(Ran::Failed)
        }
    }
}

/// The queue's own writes wait for the write gate like every other writer: on SQLite a
/// write outside it would sleep in SQLite's busy handler (backing off up to 100 ms at a
/// time) for as long as requests keep the database busy, and the queue would fall behind.
async fn renew(state: &AppState, id: uuid::Uuid, lease_s: i64) -> anyhow::Result<()> {
    let tx = state.db.write().await?;
    queue::renew(&*tx, id, lease_s).await?;
    tx.commit().await?;
    Ok(())
}
