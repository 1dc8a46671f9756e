//! The embedded backend: the database's own full-text index. SQLite and PostgreSQL
//! differ here more than anywhere else, so both versions sit side by side.
//!
//! Every term must match (AND). A term of three or more characters matches as a
//! substring (SQLite's trigram FTS5 / pg_trgm), so `ploym` finds "deployment" and
//! CJK text needs no word breaking; shorter terms and prefixes match whole words
//! (unicode61 FTS5 over CJK-spaced text / a `simple` tsvector, and a substring scan
//! for one- and two-character CJK words on PostgreSQL). Words of five or more letters
//! also match words one typo away (two from nine letters), as Meilisearch does.
use async_trait::async_trait;
use sea_orm::sea_query::LockType;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};
use uuid::Uuid;

use super::jobs::documents;
use super::pg_match;
use super::query::Term;
use super::sqlite_match::{self, Matches};
use super::text::{char_len, is_cjk};
use super::vocabulary::Vocabulary;
use super::writes::{remove_sqlite, upsert_pg, upsert_sqlite, CHUNK};
use super::{rank, Doc, Found, Page, Scoped, SearchIndex, Sort};
use crate::db::Db;
use crate::messages::model::message;

#[derive(Clone)]
pub struct DbIndex {
    db: Db,
    /// Every SQLite document is keyed by its time (writes.rs). False from start-up until
    /// `prepare` has checked, and while an index written before keys carried time is
    /// rebuilt in the background.
    time_keyed: Arc<AtomicBool>,
    vocabulary: Arc<Vocabulary>,
    /// PostgreSQL: the first plan's window (pg_match.rs).
    window: i64,
}

impl DbIndex {
    pub fn new(db: Db) -> Self {
        Self { db, time_keyed: Arc::new(AtomicBool::new(false)), vocabulary: Arc::default(), window: pg_match::WINDOW }
    }

    /// The same index with a window of `documents` (tests take every PostgreSQL plan with
    /// a few documents).
    pub fn with_window(mut self, documents: i64) -> Self {
        self.window = documents.max(1);
        self
    }

    fn pg(&self) -> bool {
        self.db.backend() == DbBackend::Postgres
    }

    async fn upsert_in(&self, conn: &impl ConnectionTrait, docs: &[Doc]) -> anyhow::Result<()> {
        for chunk in docs.chunks(CHUNK) {
            if self.pg() {
                upsert_pg(conn, chunk).await?;
            } else {
                upsert_sqlite(conn, chunk).await?;
            }
        }
        Ok(())
    }

    async fn remove_in(&self, conn: &impl ConnectionTrait, message_id: Uuid) -> anyhow::Result<()> {
        if self.pg() {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM search_docs WHERE message_id = $1",
                [message_id.into()],
            );
            conn.execute_raw(stmt).await?;
            Ok(())
        } else {
            remove_sqlite(conn, message_id).await
        }
    }

    /// No SQLite document has a key below its time (writes.rs): a key is never assigned
    /// below it, so only an index written before keys carried time has one. Such keys
    /// count up from 1, so only keys below 1973 in milliseconds are read, not the index.
    async fn keyed_by_time(&self) -> anyhow::Result<bool> {
        let sql = "SELECT 1 FROM search_docs WHERE id < 100000000000 AND id < created_at LIMIT 1";
        Ok(self.db.conn.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?.is_none())
    }

    /// Documents whose message is gone or deleted (a reindex removes them).
    pub async fn stale_ids(&self) -> anyhow::Result<Vec<Uuid>> {
        let sql = "SELECT d.message_id FROM search_docs d LEFT JOIN messages m ON m.id = d.message_id \
                   WHERE m.id IS NULL OR m.deleted_at IS NOT NULL";
        let rows = self.db.conn.query_all_raw(Statement::from_string(self.db.backend(), sql)).await?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(row.try_get_by_index::<Uuid>(0)?);
        }
        Ok(ids)
    }
}

fn first_column_ids(rows: Vec<sea_orm::QueryResult>) -> anyhow::Result<Vec<Uuid>> {
    rows.iter().map(|row| Ok(row.try_get_by_index::<Uuid>(0)?)).collect()
}

/// What one window of the searcher's newest documents held.
struct WindowPage {
    window: i64,
    seen: i64,
    hits: i64,
    ids: Vec<Uuid>,
}

impl WindowPage {
    /// Enough matches for the page, or the window held every document the searcher may see.
    fn answers(&self, limit: u64) -> bool {
        self.ids.len() as u64 >= limit || self.seen < self.window
    }
}

/// Relevance orders the newest this-many matches (see `search`).
pub const RANKED_CANDIDATES: usize = 200;

/// Typos allowed in a word of `len` characters (Meilisearch's defaults).
pub fn typos_allowed(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The word a typo-tolerant term may also match with a typo.
pub fn typo_word(term: &Term) -> Option<&str> {
    match term {
        Term::Word(w) if !w.chars().any(is_cjk) && typos_allowed(char_len(w)) > 0 => Some(w),
        _ => None,
    }
}

/// Edit distance, stopping early once it exceeds `max`.
pub fn within_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        if cur.iter().min().is_some_and(|m| *m > max) {
            return None;
        }
        prev = cur;
    }
    prev.last().copied().filter(|d| *d <= max)
}

impl DbIndex {
    /// Matching messages newest first. SQLite walks one term's matches by time key (or,
    /// before every document carries one, the time index), so a common word stops after
    /// one page instead of collecting every match.
    async fn newest(&self, q: &Scoped, limit: u64, offset: u64) -> anyhow::Result<Vec<Uuid>> {
        if self.pg() {
            return self.newest_pg(q, limit, offset).await;
        }
        let matches = Matches::of(&self.db, &self.vocabulary, q).await?;
        let stmt = if self.time_keyed.load(Ordering::Acquire) {
            sqlite_match::by_key(q, &matches, limit, offset)
        } else {
            sqlite_match::by_time(q, &matches, limit, offset)
        };
        first_column_ids(self.db.conn.query_all_raw(stmt).await?)
    }

    /// PostgreSQL: the window of the searcher's newest documents first (once more, wider,
    /// when its rate of matches says a window up to `MAX_WIDENING` times as large holds
    /// enough); then the matches first (or, when a term has no index, the planner's plan).
    async fn newest_pg(&self, q: &Scoped, limit: u64, offset: u64) -> anyhow::Result<Vec<Uuid>> {
        let typos = pg_match::Typos::of(&self.db, &self.vocabulary, q).await?;
        let first = self.window_page(q, &typos, self.window, limit, offset).await?;
        if first.answers(limit) {
            return Ok(first.ids);
        }
        let needed = i64::try_from(limit.saturating_add(offset)).unwrap_or(i64::MAX);
        let wider = self.window.saturating_mul(needed) / first.hits.max(1) * 5 / 4;
        if first.hits > 0 && wider <= self.window * pg_match::MAX_WIDENING {
            let second = self.window_page(q, &typos, wider, limit, offset).await?;
            if second.answers(limit) {
                return Ok(second.ids);
            }
        }
        let stmt = if pg_match::indexable(q, &typos) {
            pg_match::matches_first(q, &typos, limit, offset)
        } else {
            pg_match::newest(q, &typos, limit, offset)
        };
        first_column_ids(self.db.conn.query_all_raw(stmt).await?)
    }

    async fn window_page(
        &self,
        q: &Scoped,
        typos: &pg_match::Typos,
        window: i64,
        limit: u64,
        offset: u64,
    ) -> anyhow::Result<WindowPage> {
        let mut page = WindowPage { window, seen: 0, hits: 0, ids: Vec::new() };
        for row in self.db.conn.query_all_raw(pg_match::in_window(q, typos, window, limit, offset)).await? {
            if row.try_get_by_index::<i32>(0)? == 0 {
                (page.seen, page.hits) = (row.try_get_by_index::<i64>(2)?, row.try_get_by_index::<i64>(3)?);
            } else {
                page.ids.push(row.try_get_by_index::<Uuid>(1)?);
            }
        }
        Ok(page)
    }

    /// The text of each candidate message, for ranking.
    async fn bodies(&self, ids: &[Uuid]) -> anyhow::Result<HashMap<Uuid, String>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<(Uuid, String)> = message::Entity::find()
                .select_only()
                .column(message::Column::Id)
                .column(message::Column::Body)
                .filter(message::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db.conn)
                .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Reads the messages and writes their documents in one transaction that holds their
    /// row locks (PostgreSQL) or the database's write lock (SQLite).
    async fn refresh_together(&self, message_ids: &[Uuid]) -> anyhow::Result<()> {
        let tx = self.db.write().await?;
        let mut found = Vec::with_capacity(message_ids.len());
        for chunk in message_ids.chunks(CHUNK) {
            let select = message::Entity::find()
                .filter(message::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(message::Column::Id);
            found.extend(if self.pg() { select.lock(LockType::Update) } else { select }.all(&*tx).await?);
        }
        let docs = documents(&*tx, &found).await?;
        for gone in message_ids.iter().filter(|id| !docs.iter().any(|d| d.message_id == **id)) {
            self.remove_in(&*tx, *gone).await?;
        }
        if !docs.is_empty() {
            self.upsert_in(&*tx, &docs).await?;
        }
        tx.commit().await?;
        self.learn_words(&docs).await
    }

    /// PostgreSQL: the words of documents just committed join the vocabulary, in
    /// statements of their own: a word is only a typo candidate, and inside the documents'
    /// transaction two writers could wait on each other's words and documents.
    async fn learn_words(&self, docs: &[Doc]) -> anyhow::Result<()> {
        if !self.pg() {
            return Ok(());
        }
        let mut texts: Vec<&str> = Vec::new();
        for d in docs {
            texts.push(&d.text);
            texts.extend(d.file_names.iter().map(String::as_str));
        }
        self.vocabulary.add_words(&self.db.conn, &texts).await
    }
}

#[async_trait]
impl SearchIndex for DbIndex {
    async fn upsert(&self, docs: Vec<Doc>) -> anyhow::Result<()> {
        let tx = self.db.write().await?;
        self.upsert_in(&*tx, &docs).await?;
        tx.commit().await?;
        self.learn_words(&docs).await
    }

    async fn remove(&self, message_id: Uuid) -> anyhow::Result<()> {
        let tx = self.db.write().await?;
        self.remove_in(&*tx, message_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads the message and writes its document in one transaction that holds the
    /// message's row lock (PostgreSQL) or the database's write lock (SQLite): an edit
    /// cannot slip between the read and the write, so jobs of two quick edits, run in
    /// any order by any node, leave the newer text.
    async fn refresh(&self, message_id: Uuid) -> anyhow::Result<()> {
        self.refresh_many(&[message_id]).await
    }

    /// SQLite: all in one write transaction, one turn at the write gate for the batch.
    /// PostgreSQL: one transaction per message, as `refresh`: holding the row locks of
    /// many messages at once deadlocks with a delete that locks a reply, then its root.
    async fn refresh_many(&self, message_ids: &[Uuid]) -> anyhow::Result<()> {
        if self.pg() {
            for id in message_ids {
                self.refresh_together(std::slice::from_ref(id)).await?;
            }
            return Ok(());
        }
        self.refresh_together(message_ids).await
    }

    async fn search(&self, q: &Scoped, sort: Sort, page: Page) -> anyhow::Result<Found> {
        let needles = rank::needles(q);
        if sort == Sort::Newest || needles.is_empty() {
            let mut ids = self.newest(q, page.limit + 1, page.offset).await?;
            let has_more = ids.len() as u64 > page.limit;
            ids.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
            return Ok(Found { message_ids: ids, has_more });
        }
        // Relevance orders the newest RANKED_CANDIDATES matches: scoring every match of
        // a common word in a large index costs seconds, a thousand costs milliseconds.
        let candidates = self.newest(q, RANKED_CANDIDATES as u64, 0).await?;
        let bodies = self.bodies(&candidates).await?;
        let ranked = rank::order(&candidates, &bodies, &needles);
        let from = usize::try_from(page.offset).unwrap_or(usize::MAX).min(ranked.len());
        let to = from.saturating_add(usize::try_from(page.limit).unwrap_or(usize::MAX)).min(ranked.len());
        Ok(Found { message_ids: ranked[from..to].to_vec(), has_more: to < ranked.len() })
    }

    /// SQLite: checks that every document is keyed by its time; an index written before
    /// keys carried time is rebuilt in the background (searches meanwhile take the plan
    /// that is right whatever the keys).
    async fn prepare(&self) -> anyhow::Result<()> {
        if self.pg() || self.keyed_by_time().await? {
            self.time_keyed.store(true, Ordering::Release);
            return Ok(());
        }
        self.time_keyed.store(false, Ordering::Release);
        let index = self.clone();
        tokio::spawn(async move {
            tracing::info!("search index: keying documents by time, in the background");
            let rebuilt = super::reindex::in_place(&index.db, &index, Default::default()).await;
            match (rebuilt, index.keyed_by_time().await) {
                (Ok(done), Ok(true)) => {
                    index.time_keyed.store(true, Ordering::Release);
                    tracing::info!(documents = done.indexed, seconds = done.seconds, "search index keyed by time");
                }
                (Err(e), _) | (_, Err(e)) => tracing::warn!(error = format!("{e:#}"), "search index rebuild failed"),
                (Ok(_), Ok(false)) => tracing::warn!("search index rebuilt but not every document is keyed by time"),
            }
        });
        Ok(())
    }

    async fn rebuild(&self, progress: super::reindex::Progress) -> anyhow::Result<super::reindex::Outcome> {
        super::reindex::in_place(&self.db, self, progress).await
    }

    fn name(&self) -> &'static str {
        "database"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_distance() {
        assert_eq!(within_distance("deploymnet", "deployment", 2), Some(2));
        assert_eq!(within_distance("rollbak", "rollback", 1), Some(1));
        assert_eq!(within_distance("rollbak", "rolling", 1), None);
        assert_eq!((typos_allowed(4), typos_allowed(5), typos_allowed(9)), (0, 1, 2));
    }
}
