//! Search over every message a person may read. One query language (query.rs), one
//! trait with two backends: the database's own index (embedded default) and
//! Meilisearch. Permissions are applied inside the query: the backend is given the
//! searcher's readable channels and never returns anything outside them.
pub mod bench;
pub mod corpus;
pub mod embedded;
pub mod jobs;
pub mod meili;
pub mod pg_match;
pub mod query;
pub mod rank;
pub mod reindex;
pub mod routes;
pub mod scope;
pub mod service;
pub mod sql;
pub mod sqlite_match;
pub mod text;
pub mod vocabulary;
pub mod writes;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::db::Db;
use crate::settings::{SearchBackend, SearchSettings};

use query::Query;

/// What the index knows of one message.
#[derive(Debug, Clone)]
pub struct Doc {
    pub message_id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub author_id: Uuid,
    pub created_at: i64,
    /// A thread root with replies, or a reply.
    pub is_thread: bool,
    pub has_file: bool,
    pub has_link: bool,
    /// The Markdown source.
    pub text: String,
    /// Names of the attached files.
    pub file_names: Vec<String>,
}

impl Doc {
    /// The text and the file names as one string (the embedded index keeps one column).
    pub fn full_text(&self) -> String {
        let mut out = self.text.clone();
        for name in &self.file_names {
            out.push('\n');
            out.push_str(name);
        }
        out
    }
}

/// A parsed query with names resolved to ids and the searcher's permissions applied.
#[derive(Debug, Clone)]
pub struct Scoped {
    pub query: Query,
    /// Channels the searcher may read now (narrowed by `in:`); never empty.
    pub channels: Vec<Uuid>,
    /// Authors named by `from:`; empty means anyone.
    pub authors: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    Relevance,
    Newest,
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Default)]
pub struct Found {
    /// In result order.
    pub message_ids: Vec<Uuid>,
    pub has_more: bool,
}

#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Adds messages' documents or replaces them, as one batch.
    async fn upsert(&self, docs: Vec<Doc>) -> anyhow::Result<()>;
    /// Removes a message's document; removing a missing one succeeds.
    async fn remove(&self, message_id: Uuid) -> anyhow::Result<()>;
    /// Brings one message's document in line with the database as it is now: indexed,
    /// or removed when the message is gone or deleted. Jobs of several changes to one
    /// message may run in any order; the last to finish must leave the newest state.
    async fn refresh(&self, message_id: Uuid) -> anyhow::Result<()>;
    /// `refresh` for several messages (the index jobs a worker claimed together).
    async fn refresh_many(&self, message_ids: &[Uuid]) -> anyhow::Result<()> {
        for id in message_ids {
            self.refresh(*id).await?;
        }
        Ok(())
    }
    async fn search(&self, q: &Scoped, sort: Sort, page: Page) -> anyhow::Result<Found>;
    /// Readies the index at start-up (a no-op for the embedded one).
    async fn prepare(&self) -> anyhow::Result<()> {
        Ok(())
    }
    /// Rebuilds the whole index from the database while searches go on answering.
    async fn rebuild(&self, progress: reindex::Progress) -> anyhow::Result<reindex::Outcome>;
    fn name(&self) -> &'static str;
    /// Whether the backend answers (the embedded one lives in the database).
    async fn check(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The configured backend, not yet prepared.
pub fn open(db: &Db, settings: &SearchSettings) -> anyhow::Result<Arc<dyn SearchIndex>> {
    Ok(match settings.backend {
        SearchBackend::Database => Arc::new(embedded::DbIndex::new(db.clone())),
        SearchBackend::Meilisearch => Arc::new(meili::MeiliIndex::new(db.clone(), &settings.meilisearch)?),
    })
}

/// Prepares the index, or, when its server is not answering, keeps trying in the
/// background: the server starts and posting works either way.
pub async fn prepare(index: Arc<dyn SearchIndex>) {
    if let Err(e) = index.prepare().await {
        tracing::warn!(
            backend = index.name(),
            error = format!("{e:#}"),
            "search index not ready; retrying in the background"
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                match index.prepare().await {
                    Ok(()) => {
                        tracing::info!(backend = index.name(), "search index ready");
                        break;
                    }
                    Err(e) => tracing::debug!(error = format!("{e:#}"), "search index still not ready"),
                }
            }
        });
    }
}
