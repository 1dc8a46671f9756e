//! Keeping the Meilisearch index's schema current. At start-up the live index gets its
//! settings (idempotent: unchanged settings are a no-op task). When the index was built
//! by another `DOC_VERSION`, or by nobody, a rebuild job builds `{uid}_next` from the
//! database beside the live index, swaps the two atomically, drops the old one, and
//! re-indexes whatever changed while it ran.
use std::collections::VecDeque;
use std::sync::Arc;

use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode};
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::task_info::TaskInfo;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::schema::{self, MessageDoc, MetaDoc, DOC_VERSION, META_ID};
use super::{MeiliIndex, BATCH};
use crate::clock::now_ms;
use crate::files::model::file;
use crate::jobs::model::job;
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::messages::model::message;
use crate::search::reindex::{Batches, Outcome};
use crate::search::SearchIndex;
use crate::state::AppState;

pub const REBUILD: &str = "search.rebuild";

/// How far before a rebuild's start its catch-up looks for changes.
const CATCH_UP_MARGIN_MS: i64 = 120_000;

/// Indexing tasks a rebuild keeps queued in Meilisearch before waiting for the oldest.
const IN_FLIGHT: usize = 8;

pub fn register(registry: &mut JobRegistry) {
    registry.register(REBUILD, Arc::new(RebuildJob));
}

struct RebuildJob;

impl JobHandler for RebuildJob {
    /// A million messages take about a quarter of an hour on a small machine.
    fn max_run_s(&self) -> Option<u64> {
        Some(24 * 3600)
    }

    fn run(&self, state: AppState, _payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            let done = state.search.rebuild(Default::default()).await?;
            tracing::info!(indexed = done.indexed, seconds = done.seconds, "search index rebuilt");
            Ok(())
        })
    }
}

fn not_found(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<MeiliError>(),
        Some(MeiliError::Meilisearch(m)) if matches!(m.error_code, ErrorCode::IndexNotFound | ErrorCode::DocumentNotFound)
    )
}

impl MeiliIndex {
    /// Creates `uid` if it is missing and applies the settings; waits for both.
    async fn ensure(&self, uid: &str) -> anyhow::Result<Index> {
        match self.call(self.client.get_index(uid)).await {
            Ok(_) => {}
            Err(e) if not_found(&e) => {
                let task = self.call(self.client.create_index(uid, Some("id"))).await?;
                self.wait(task).await?;
            }
            Err(e) => return Err(e),
        };
        let index = self.client.index(uid);
        let task = self.call(index.set_settings(&schema::settings())).await?;
        self.wait(task).await?;
        Ok(index)
    }

    async fn built_by(&self, index: &Index) -> anyhow::Result<Option<u32>> {
        match self.call(index.get_document::<MetaDoc>(META_ID)).await {
            Ok(meta) => Ok(Some(meta.doc_version)),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn put_meta(&self, index: &Index) -> anyhow::Result<()> {
        let task = self.call(index.add_or_replace(&[MetaDoc::current()], Some("id"))).await?;
        self.wait(task).await
    }

    /// Start-up: the live index with current settings; a rebuild queued if its documents
    /// were written by another version (or none, while messages exist).
    pub async fn prepare_index(&self) -> anyhow::Result<()> {
        let live = self.ensure(&self.uid).await?;
        if let Err(e) = self.drop_stray_rebuilds().await {
            tracing::warn!(error = %e, "looking for the indexes of unfinished rebuilds");
        }
        if self.built_by(&live).await? == Some(DOC_VERSION) {
            return Ok(());
        }
        let messages =
            message::Entity::find().filter(message::Column::DeletedAt.is_null()).count(&self.db.conn).await?;
        if messages == 0 {
            return self.put_meta(&live).await;
        }
        let queued = job::Entity::find()
            .filter(job::Column::Kind.eq(REBUILD))
            .filter(job::Column::State.is_in([queue::QUEUED, queue::RUNNING]))
            .count(&self.db.conn)
            .await?;
        if queued == 0 {
            queue::enqueue(&self.db.conn, REBUILD, &json!({}), 1000, 0).await?;
            tracing::info!(index = %self.uid, version = DOC_VERSION, "search index needs a rebuild; queued");
        }
        Ok(())
    }

    /// Builds the index anew beside the live one and swaps it in.
    pub async fn rebuild_and_swap(&self, progress: crate::search::reindex::Progress) -> anyhow::Result<Outcome> {
        let started_ms = now_ms();
        self.drop_stray_rebuilds().await?;
        // A name of its own: two rebuilds at once (two nodes, or `parley reindex` while
        // the job runs) each fill a whole index, and the later swap wins.
        let next_uid = format!("{}_next_{}", self.uid, Uuid::now_v7().simple());
        let next = self.ensure(&next_uid).await?;
        // Meilisearch indexes queued batches together: keep a few in flight rather than
        // waiting for each one.
        let mut in_flight: VecDeque<TaskInfo> = VecDeque::new();
        let mut batches = Batches::new(&self.db, progress).await?;
        while let Some(docs) = batches.next().await? {
            let docs: Vec<MessageDoc> = docs.iter().map(MessageDoc::from).collect();
            for chunk in docs.chunks(BATCH) {
                in_flight.push_back(self.call(next.add_or_replace(chunk, Some("id"))).await?);
                if in_flight.len() > IN_FLIGHT {
                    if let Some(task) = in_flight.pop_front() {
                        self.wait(task).await?;
                    }
                }
            }
        }
        for task in in_flight {
            self.wait(task).await?;
        }
        self.put_meta(&next).await?;
        self.ensure(&self.uid).await?;
        let swap = meilisearch_sdk::client::SwapIndexes { indexes: (self.uid.clone(), next_uid.clone()), rename: None };
        let task = self.call(self.client.swap_indexes([&swap])).await?;
        self.wait(task).await?;
        self.drop_index(&next_uid).await?;
        // Changes made while the new index was filling went to the old one: redo them
        // (with a margin for transactions that committed late and clocks of other nodes).
        for id in self.changed_since(started_ms - CATCH_UP_MARGIN_MS).await? {
            self.refresh(id).await?;
        }
        Ok(Outcome { indexed: batches.done, removed: 0, seconds: batches.seconds() })
    }

    pub(super) async fn drop_index(&self, uid: &str) -> anyhow::Result<()> {
        match self.call(self.client.delete_index(uid)).await {
            Ok(task) => match self.wait(task).await {
                Err(e) if not_found(&e) => Ok(()),
                other => other,
            },
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Messages whose documents may have changed since `since` (ms): posted, edited,
    /// deleted, given a first reply, or given or losing a file.
    async fn changed_since(&self, since: i64) -> anyhow::Result<Vec<Uuid>> {
        let conn = &self.db.conn;
        let rows: Vec<(Uuid, Option<Uuid>)> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::ThreadRootId)
            .filter(
                Condition::any()
                    .add(message::Column::CreatedAt.gte(since))
                    .add(message::Column::EditedAt.gte(since))
                    .add(message::Column::DeletedAt.gte(since)),
            )
            .into_tuple()
            .all(conn)
            .await?;
        let files: Vec<Option<Uuid>> = file::Entity::find()
            .select_only()
            .column(file::Column::MessageId)
            .filter(Condition::any().add(file::Column::CreatedAt.gte(since)).add(file::Column::DeletedAt.gte(since)))
            .into_tuple()
            .all(conn)
            .await?;
        let mut ids: Vec<Uuid> = rows.iter().flat_map(|(id, root)| [Some(*id), *root]).flatten().collect();
        ids.extend(files.into_iter().flatten());
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}
