//! `parley reindex`: rebuilds the search index from the database, in batches, with a
//! progress bar. Safe while the server runs: documents are replaced, never dropped
//! first, so search keeps answering during the rebuild.
use std::io::Write;
use std::time::Instant;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::embedded::DbIndex;
use super::jobs::documents;
use super::SearchIndex;
use crate::db::Db;
use crate::messages::model::message;

const BATCH: u64 = 1000;

pub struct Outcome {
    pub indexed: u64,
    pub removed: u64,
    pub seconds: f64,
}

fn bar(done: u64, total: u64, started: Instant) {
    let width = 30;
    let filled = (done * width as u64).checked_div(total).map_or(width, |f| usize::try_from(f).unwrap_or(width));
    let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {done}/{total} messages, {rate:.0}/s ",
        "#".repeat(filled.min(width)),
        "-".repeat(width - filled.min(width))
    );
    let _ = err.flush();
}

pub async fn reindex(db: &Db, index: &DbIndex) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let live = || message::Entity::find().filter(message::Column::DeletedAt.is_null());
    let total = live().count(&db.conn).await?;
    let mut done = 0;
    let mut after: Option<Uuid> = None;
    bar(0, total, started);
    loop {
        let mut page = live().order_by_asc(message::Column::Id).limit(BATCH);
        if let Some(a) = after {
            page = page.filter(message::Column::Id.gt(a));
        }
        let batch = page.all(&db.conn).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let docs = documents(&db.conn, &batch).await?;
        done += batch.len() as u64;
        index.upsert(docs).await?;
        bar(done, total, started);
    }
    eprintln!();
    let stale = index.stale_ids().await?;
    for id in &stale {
        index.remove(*id).await?;
    }
    Ok(Outcome { indexed: done, removed: stale.len() as u64, seconds: started.elapsed().as_secs_f64() })
}
