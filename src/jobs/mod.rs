//! The durable job queue: rows written in the same transaction as the change that
//! needs them, run by a worker with retries, exponential backoff and leases.
pub mod claim;
pub mod model;
pub mod queue;
pub mod routes;
pub mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::state::AppState;

/// The id a job's payload names under `key` (jobs carry ids as strings).
pub fn uuid_in(payload: &serde_json::Value, key: &str) -> Option<uuid::Uuid> {
    payload.get(key)?.as_str()?.parse().ok()
}

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// Runs one kind of job. It may run more than once for the same row (a worker can
/// die after the work but before the delete), so handlers must be idempotent.
pub trait JobHandler: Send + Sync {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture;
    /// How long one run may take; the lease is renewed while it runs. None: one lease.
    fn max_run_s(&self) -> Option<u64> {
        None
    }
    /// Whether a worker hands every job of this kind in a claimed batch to `run_many`.
    fn batches(&self) -> bool {
        false
    }
    /// Runs several jobs of this kind as one: all succeed, or all are retried.
    fn run_many(&self, state: AppState, payloads: Vec<serde_json::Value>) -> JobFuture {
        let runs: Vec<JobFuture> = payloads.into_iter().map(|p| self.run(state.clone(), p)).collect();
        Box::pin(async move {
            for run in runs {
                run.await?;
            }
            Ok(())
        })
    }
}

/// Jobs of the main lane: local work (indexing, thumbnails, clean-up).
pub const MAIN_LANE: &str = "main";
/// Jobs that wait on other servers (webhook deliveries): a worker of their own, so a
/// slow receiver never holds up indexing or thumbnails.
pub const OUTBOUND_LANE: &str = "outbound";
/// Mail handed to the SMTP server: its own worker, so a slow mail server holds up
/// neither webhooks nor local work.
pub const MAIL_LANE: &str = "mail";

#[derive(Default, Clone)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, (Arc<dyn JobHandler>, &'static str)>,
}

impl JobRegistry {
    pub fn register(&mut self, kind: &'static str, handler: Arc<dyn JobHandler>) {
        self.register_in_lane(kind, handler, MAIN_LANE);
    }
    pub fn register_in_lane(&mut self, kind: &'static str, handler: Arc<dyn JobHandler>, lane: &'static str) {
        self.handlers.insert(kind, (handler, lane));
    }
    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).map(|(h, _)| h.clone())
    }
    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }
    /// The kinds one lane's worker runs.
    pub fn kinds_in(&self, lane: &str) -> Vec<&'static str> {
        self.handlers.iter().filter(|(_, (_, l))| *l == lane).map(|(k, _)| *k).collect()
    }
    pub fn lanes(&self) -> Vec<&'static str> {
        let mut lanes: Vec<&'static str> = self.handlers.values().map(|(_, l)| *l).collect();
        lanes.sort_unstable();
        lanes.dedup();
        lanes
    }
}
