//! The durable job queue: rows written in the same transaction as the change that
//! needs them, run by a worker with retries, exponential backoff and leases.
pub mod model;
pub mod queue;
pub mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::state::AppState;

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

/// Runs one kind of job. It may run more than once for the same row (a worker can
/// die after the work but before the delete), so handlers must be idempotent.
pub trait JobHandler: Send + Sync {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture;
    /// How long one run may take; the lease is renewed while it runs. None: one lease.
    fn max_run_s(&self) -> Option<u64> {
        None
    }
}

#[derive(Default, Clone)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl JobRegistry {
    pub fn register(&mut self, kind: &'static str, handler: Arc<dyn JobHandler>) {
        self.handlers.insert(kind, handler);
    }
    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }
    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }
}
