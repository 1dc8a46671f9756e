//! `parley reindex`: rebuilds the search index from the database, in batches, with a
//! progress bar. Safe while the server runs: the embedded index replaces documents in
//! place (never dropping them first) and Meilisearch builds a new index beside the live
//! one and swaps it in, so search keeps answering during the rebuild.
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::embedded::DbIndex;
use super::jobs::documents;
use super::{Doc, SearchIndex};
use crate::db::Db;
use crate::messages::model::message;

const BATCH: u64 = 1000;

#[derive(Debug)]
pub struct Outcome {
    pub indexed: u64,
    /// Documents of deleted messages taken out (the embedded index; a swap drops them all).
    pub removed: u64,
    pub seconds: f64,
}

/// Messages done so far out of all, as a rebuild goes (read by whoever shows it).
#[derive(Default)]
pub struct Counter {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

/// How a rebuild shows its progress: a bar on stderr (the CLI), and/or a counter.
#[derive(Clone, Default)]
pub struct Progress {
    pub bar: bool,
    pub counter: Option<Arc<Counter>>,
}

impl Progress {
    pub fn bar() -> Self {
        Self { bar: true, counter: None }
    }
    pub fn counted(counter: Arc<Counter>) -> Self {
        Self { bar: false, counter: Some(counter) }
    }
}

/// Every live message's document, a batch at a time, in id order.
pub struct Batches<'a> {
    db: &'a Db,
    after: Option<Uuid>,
    pub total: u64,
    pub done: u64,
    started: Instant,
    progress: Progress,
}

impl<'a> Batches<'a> {
    pub async fn new(db: &'a Db, progress: Progress) -> anyhow::Result<Self> {
        let total = message::Entity::find().filter(message::Column::DeletedAt.is_null()).count(&db.conn).await?;
        let batches = Self { db, after: None, total, done: 0, started: Instant::now(), progress };
        batches.bar();
        Ok(batches)
    }

    pub async fn next(&mut self) -> anyhow::Result<Option<Vec<Doc>>> {
        let mut page =
            message::Entity::find().filter(message::Column::DeletedAt.is_null()).order_by_asc(message::Column::Id);
        if let Some(a) = self.after {
            page = page.filter(message::Column::Id.gt(a));
        }
        let batch = page.limit(BATCH).all(&self.db.conn).await?;
        let Some(last) = batch.last() else {
            if self.progress.bar {
                eprintln!();
            }
            return Ok(None);
        };
        self.after = Some(last.id);
        self.done += batch.len() as u64;
        let docs = documents(&self.db.conn, &batch).await?;
        self.bar();
        Ok(Some(docs))
    }

    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn bar(&self) {
        if let Some(c) = &self.progress.counter {
            c.total.store(self.total, Ordering::Relaxed);
            c.done.store(self.done, Ordering::Relaxed);
        }
        if !self.progress.bar {
            return;
        }
        let (done, total, width) = (self.done, self.total, 30);
        let filled = (done * width as u64).checked_div(total).map_or(width, |f| usize::try_from(f).unwrap_or(width));
        let rate = done as f64 / self.seconds().max(0.001);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} messages, {rate:.0}/s ",
            "#".repeat(filled.min(width)),
            "-".repeat(width - filled.min(width))
        );
        let _ = err.flush();
    }
}

/// The embedded index, rebuilt in place: every document rewritten, then the documents
/// of messages deleted behind its back removed.
pub async fn in_place(db: &Db, index: &DbIndex, progress: Progress) -> anyhow::Result<Outcome> {
    let mut batches = Batches::new(db, progress).await?;
    while let Some(docs) = batches.next().await? {
        index.upsert(docs).await?;
    }
    let stale = index.stale_ids().await?;
    for id in &stale {
        index.remove(*id).await?;
    }
    Ok(Outcome { indexed: batches.done, removed: stale.len() as u64, seconds: batches.seconds() })
}
