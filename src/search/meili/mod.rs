//! The Meilisearch backend. One index of messages (`{prefix}_messages`), written by the
//! indexing jobs and rebuilt beside itself and swapped in when its schema changes.
//! Every search carries the searcher's readable channels as a filter, so Meilisearch
//! never returns, counts or pages over anything else.
pub mod plan;
pub mod rebuild;
mod recover;
pub mod schema;
pub mod strays;

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use meilisearch_sdk::client::Client;
use meilisearch_sdk::errors::Error as MeiliError;
use meilisearch_sdk::search::{SearchResults, Selectors};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use sea_orm::EntityTrait;
use secrecy::ExposeSecret;
use serde::Deserialize;
use uuid::Uuid;

use super::jobs::documents;
use super::{Doc, Found, Page, Scoped, SearchIndex, Sort};
use crate::db::Db;
use crate::messages::model::message;
use crate::settings::MeiliSettings;
use schema::MessageDoc;

/// Documents per indexing task in a rebuild.
pub const BATCH: usize = 1000;

pub struct MeiliIndex {
    client: Client,
    uid: String,
    db: Db,
    request_timeout: Duration,
    task_timeout: Duration,
    /// Set while Meilisearch is unreachable and a watcher waits for it to return.
    recovering: Arc<AtomicBool>,
}

#[derive(Deserialize)]
struct Hit {
    id: Uuid,
}

/// The server did not answer (as opposed to answering with an error).
fn unreachable(e: &MeiliError) -> bool {
    matches!(e, MeiliError::HttpError(_) | MeiliError::MeilisearchCommunication(_) | MeiliError::Timeout)
}

impl MeiliIndex {
    pub fn new(db: Db, s: &MeiliSettings) -> anyhow::Result<Self> {
        let key = match &s.api_key {
            Some(k) if !k.expose_secret().is_empty() => Some(k.expose_secret().to_owned()),
            _ => std::env::var("MEILI_MASTER_KEY").ok().filter(|k| !k.is_empty()),
        };
        let client = Client::new(s.url.trim_end_matches('/'), key)?;
        Ok(Self {
            client,
            uid: format!("{}_messages", s.index_prefix),
            db,
            request_timeout: Duration::from_secs(s.request_timeout_s.max(1)),
            task_timeout: Duration::from_secs(s.task_timeout_s.max(1)),
            recovering: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The live index's name.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One request, bounded by the request timeout. A server that does not answer
    /// starts the watcher that wakes the indexing jobs once it is back.
    async fn call<T>(&self, request: impl Future<Output = Result<T, MeiliError>>) -> anyhow::Result<T> {
        self.call_within(self.request_timeout, request).await
    }

    async fn call_within<T>(
        &self,
        limit: Duration,
        request: impl Future<Output = Result<T, MeiliError>>,
    ) -> anyhow::Result<T> {
        let result = match tokio::time::timeout(limit, request).await {
            Ok(r) => r,
            Err(_) => Err(MeiliError::Timeout),
        };
        result.map_err(|e| {
            if unreachable(&e) {
                recover::watch(self.client.clone(), self.db.clone(), self.recovering.clone());
            }
            anyhow::Error::new(e).context("meilisearch")
        })
    }

    /// Waits until Meilisearch has applied a task: a job done means searchable.
    async fn wait(&self, task: TaskInfo) -> anyhow::Result<()> {
        let done = self
            .call_within(
                self.task_timeout + self.request_timeout,
                task.wait_for_completion(&self.client, Some(Duration::from_millis(20)), Some(self.task_timeout)),
            )
            .await?;
        match done {
            Task::Succeeded { .. } => Ok(()),
            Task::Failed { content } => {
                Err(anyhow::Error::new(MeiliError::Meilisearch(content.error)).context("meilisearch task failed"))
            }
            _ => Err(anyhow::anyhow!("meilisearch task did not finish")),
        }
    }

    pub async fn put(&self, uid: &str, docs: &[MessageDoc]) -> anyhow::Result<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let index = self.client.index(uid);
        let task = self.call(index.add_or_replace(docs, Some("id"))).await?;
        self.wait(task).await
    }

    async fn delete(&self, uid: &str, ids: &[Uuid]) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let index = self.client.index(uid);
        let task = self.call(index.delete_documents(ids)).await?;
        self.wait(task).await
    }

    /// The message's document as the database says it should be now (None: gone).
    async fn current(&self, message_id: Uuid) -> anyhow::Result<Option<MessageDoc>> {
        let found = message::Entity::find_by_id(message_id).one(&self.db.conn).await?;
        Ok(documents(&self.db.conn, found.as_slice()).await?.first().map(MessageDoc::from))
    }
}

#[async_trait]
impl SearchIndex for MeiliIndex {
    async fn upsert(&self, docs: Vec<Doc>) -> anyhow::Result<()> {
        let docs: Vec<MessageDoc> = docs.iter().map(MessageDoc::from).collect();
        for chunk in docs.chunks(BATCH) {
            self.put(&self.uid, chunk).await?;
        }
        Ok(())
    }

    async fn remove(&self, message_id: Uuid) -> anyhow::Result<()> {
        self.delete(&self.uid, &[message_id]).await
    }

    /// The job is done once Meilisearch has accepted the task: its task queue is
    /// durable and applies an index's tasks in the order they were accepted, and tasks
    /// that arrive while it works are applied together (one write per message, each
    /// waited for, costs a Meilisearch commit per message: about a second each on a
    /// small machine). Meilisearch cannot take part in the database's transaction, so
    /// after sending, the job reads the message again: if an edit landed meanwhile
    /// (and its own job may already have sent the newer text), it sends again, last.
    async fn refresh(&self, message_id: Uuid) -> anyhow::Result<()> {
        let index = self.client.index(&self.uid);
        let mut wanted = self.current(message_id).await?;
        for _ in 0..5 {
            match &wanted {
                Some(doc) => self.call(index.add_or_replace(std::slice::from_ref(doc), Some("id"))).await?,
                None => self.call(index.delete_document(message_id)).await?,
            };
            let now = self.current(message_id).await?;
            if now == wanted {
                return Ok(());
            }
            wanted = now;
        }
        anyhow::bail!("message {message_id} kept changing while it was indexed")
    }

    async fn search(&self, q: &Scoped, sort: Sort, page: Page) -> anyhow::Result<Found> {
        let plan = plan::plan(q, sort);
        let index = self.client.index(&self.uid);
        let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        let sort_by = [plan::NEWEST];
        let mut query = index.search();
        query
            .with_query(&plan.q)
            .with_filter(&plan.filter)
            .with_offset(offset)
            .with_limit(limit.saturating_add(1))
            .with_matching_strategy(meilisearch_sdk::search::MatchingStrategies::ALL)
            .with_attributes_to_retrieve(Selectors::Some(&["id"]));
        if plan.newest {
            query.with_sort(&sort_by);
        }
        let results: SearchResults<Hit> = self.call(query.execute()).await?;
        let mut ids: Vec<Uuid> = results.hits.into_iter().map(|h| h.result.id).collect();
        let has_more = ids.len() > limit;
        ids.truncate(limit);
        Ok(Found { message_ids: ids, has_more })
    }

    async fn rebuild(&self, progress: super::reindex::Progress) -> anyhow::Result<super::reindex::Outcome> {
        self.rebuild_and_swap(progress).await
    }

    async fn prepare(&self) -> anyhow::Result<()> {
        self.prepare_index().await
    }

    fn name(&self) -> &'static str {
        "meilisearch"
    }
    async fn check(&self) -> anyhow::Result<()> {
        tokio::time::timeout(self.request_timeout, self.client.health())
            .await
            .map_err(|_| anyhow::anyhow!("Meilisearch did not answer in time"))??;
        Ok(())
    }
}
