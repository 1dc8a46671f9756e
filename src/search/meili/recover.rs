//! Catching up after an outage. While Meilisearch is down, posting goes on and the
//! indexing jobs fail and back off (up to an hour apart). A watcher polls Meilisearch's
//! health and, when it answers again, makes every waiting or parked indexing job due
//! at once, so the index catches up in seconds instead of at the next backoff.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use meilisearch_sdk::client::Client;

use crate::db::Db;
use crate::jobs::queue;
use crate::search::jobs::INDEX_MESSAGE;

const POLL: Duration = Duration::from_secs(1);

/// Starts the watcher unless one is running already.
pub fn watch(client: Client, db: Db, recovering: Arc<AtomicBool>) {
    if recovering.swap(true, Ordering::SeqCst) {
        return;
    }
    tracing::warn!("meilisearch is not answering; indexing waits for it");
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(POLL).await;
            let healthy = matches!(tokio::time::timeout(POLL, client.health()).await, Ok(Ok(_)));
            if !healthy {
                continue;
            }
            match queue::wake(&db.conn, &[INDEX_MESSAGE, super::rebuild::REBUILD]).await {
                Ok(n) => {
                    tracing::info!(jobs = n, "meilisearch is back; indexing catches up");
                    break;
                }
                Err(e) => tracing::warn!(error = %e, "could not wake the indexing jobs"),
            }
        }
        recovering.store(false, Ordering::SeqCst);
    });
}
