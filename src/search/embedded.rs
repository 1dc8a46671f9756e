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

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use super::jobs::documents;
use super::query::Term;
use super::text::{char_len, is_cjk, space_cjk};
use super::{rank, Doc, Found, Page, Scoped, SearchIndex, Sort};
use crate::db::Db;
use crate::messages::model::message;

pub struct DbIndex {
    db: Db,
}

impl DbIndex {
    pub fn new(db: Db) -> Self {
        Self { db }
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

/// Relevance orders the newest this-many matches (see `search`).
pub const RANKED_CANDIDATES: usize = 1000;

/// Typos allowed in a word of `len` characters (Meilisearch's defaults).
pub fn typos_allowed(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
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

/// An FTS5 string literal.
fn fts_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A LIKE pattern matching `s` anywhere, with its wildcards escaped.
fn like_anywhere(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Words a typo-tolerant term may also match.
fn word_like(term: &Term) -> Option<&str> {
    match term {
        Term::Word(w) if !w.chars().any(is_cjk) && typos_allowed(char_len(w)) > 0 => Some(w),
        _ => None,
    }
}

struct Sql {
    text: String,
    values: Vec<Value>,
    pg: bool,
}

impl Sql {
    fn new(pg: bool) -> Self {
        Self { text: String::new(), values: Vec::new(), pg }
    }
    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    /// Appends a placeholder bound to `v`.
    fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        if self.pg {
            let n = self.values.len();
            self.text.push_str(&format!("${n}"));
        } else {
            self.text.push('?');
        }
        self
    }
    fn bind_list(&mut self, ids: &[Uuid]) -> &mut Self {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        self.push(")")
    }
    fn statement(self) -> Statement {
        let backend = if self.pg { DbBackend::Postgres } else { DbBackend::Sqlite };
        Statement::from_sql_and_values(backend, self.text, self.values)
    }
}

impl DbIndex {
    /// Vocabulary words (SQLite) close enough to `word` to count as a typo of it.
    async fn typo_candidates(&self, word: &str) -> anyhow::Result<Vec<String>> {
        let lower = word.to_lowercase();
        let max = typos_allowed(char_len(&lower));
        let Some(first) = lower.chars().next() else { return Ok(Vec::new()) };
        let next = char::from_u32(first as u32 + 1).unwrap_or(first);
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT term FROM search_vocab WHERE term >= ? AND term < ?",
            [first.to_string().into(), next.to_string().into()],
        );
        let mut found: Vec<(usize, String)> = Vec::new();
        for row in self.db.conn.query_all_raw(stmt).await? {
            let term: String = row.try_get_by_index(0)?;
            if term != lower {
                if let Some(d) = within_distance(&lower, &term, max) {
                    found.push((d, term));
                }
            }
        }
        found.sort();
        Ok(found.into_iter().take(20).map(|(_, t)| t).collect())
    }

    /// One term's condition on the doc row `d`.
    async fn sqlite_term(&self, sql: &mut Sql, term: &Term) -> anyhow::Result<()> {
        let text = term.text();
        let words_expr = |t: &str| {
            let spaced = space_cjk(t).split_whitespace().collect::<Vec<_>>().join(" ");
            fts_quote(&spaced)
        };
        sql.push("(");
        match term {
            Term::Prefix(p) => {
                sql.push("d.id IN (SELECT rowid FROM search_words WHERE search_words MATCH ");
                sql.bind(format!("{} *", words_expr(p))).push(")");
            }
            _ if char_len(text) >= 3 => {
                sql.push("d.id IN (SELECT rowid FROM search_grams WHERE search_grams MATCH ");
                sql.bind(fts_quote(text)).push(")");
            }
            _ => {
                sql.push("d.id IN (SELECT rowid FROM search_words WHERE search_words MATCH ");
                sql.bind(words_expr(text)).push(")");
            }
        }
        if let Some(word) = word_like(term) {
            let candidates = self.typo_candidates(word).await?;
            if !candidates.is_empty() {
                let expr = candidates.iter().map(|c| fts_quote(c)).collect::<Vec<_>>().join(" OR ");
                sql.push(" OR d.id IN (SELECT rowid FROM search_words WHERE search_words MATCH ");
                sql.bind(expr).push(")");
            }
        }
        sql.push(")");
        Ok(())
    }

    fn pg_term(sql: &mut Sql, term: &Term) {
        let text = term.text();
        sql.push("(");
        match term {
            Term::Prefix(p) => {
                // Only letters and digits reach the tsquery syntax: nothing to escape.
                let stem: String = p.chars().filter(|c| c.is_alphanumeric()).collect();
                sql.push("d.tsv @@ to_tsquery('simple', ").bind(format!("'{stem}':*")).push(")");
            }
            _ if char_len(text) >= 3 || text.chars().any(is_cjk) => {
                sql.push("d.text ILIKE ").bind(like_anywhere(text)).push(" ESCAPE '\\'");
            }
            _ => {
                sql.push("d.tsv @@ plainto_tsquery('simple', ").bind(text.to_owned()).push(")");
            }
        }
        if let Some(word) = word_like(term) {
            // pg_trgm's word similarity: `w <% text` is served by the trigram GIN index.
            sql.push(" OR ").bind(word.to_owned()).push(" <% d.text");
        }
        sql.push(")");
    }

    /// Matching messages newest first. SQLite walks the time index, so a common word
    /// stops after one page instead of collecting every match.
    async fn newest(&self, q: &Scoped, limit: u64, offset: u64) -> anyhow::Result<Vec<Uuid>> {
        let pg = self.pg();
        let mut sql = Sql::new(pg);
        if pg {
            sql.push("SELECT d.message_id FROM search_docs d");
        } else {
            sql.push("SELECT d.message_id FROM search_docs d INDEXED BY idx_search_docs_time");
        }
        sql.push(" WHERE d.channel_id IN ").bind_list(&q.channels);
        if !q.authors.is_empty() {
            sql.push(" AND d.author_id IN ").bind_list(&q.authors);
        }
        if let Some(after) = q.query.after_ms {
            sql.push(" AND d.created_at >= ").bind(after);
        }
        if let Some(before) = q.query.before_ms {
            sql.push(" AND d.created_at < ").bind(before);
        }
        for (on, column) in
            [(q.query.has_file, "has_file"), (q.query.has_link, "has_link"), (q.query.is_thread, "is_thread")]
        {
            if on {
                sql.push(&format!(" AND d.{column}"));
            }
        }
        for term in &q.query.terms {
            sql.push(" AND ");
            if pg {
                Self::pg_term(&mut sql, term);
            } else {
                self.sqlite_term(&mut sql, term).await?;
            }
        }
        sql.push(" ORDER BY d.created_at DESC, d.message_id DESC LIMIT ");
        sql.bind(i64::try_from(limit).unwrap_or(i64::MAX)).push(" OFFSET ");
        sql.bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = if pg {
            // pg_trgm's default word-similarity bar (0.6) misses one typo in a six-letter
            // word ("servce" ~ "service" is 0.57); lower it for this query only.
            let tx = self.db.conn.begin().await?;
            tx.execute_unprepared("SET LOCAL pg_trgm.word_similarity_threshold = 0.5").await?;
            let rows = tx.query_all_raw(sql.statement()).await?;
            tx.commit().await?;
            rows
        } else {
            self.db.conn.query_all_raw(sql.statement()).await?
        };
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(row.try_get_by_index::<Uuid>(0)?);
        }
        Ok(ids)
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
}

#[async_trait]
impl SearchIndex for DbIndex {
    async fn upsert(&self, docs: Vec<Doc>) -> anyhow::Result<()> {
        let tx = self.db.write().await?;
        self.upsert_in(&*tx, &docs).await?;
        tx.commit().await?;
        Ok(())
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
        let tx = self.db.write().await?;
        let found = if self.pg() {
            message::Entity::find_by_id(message_id).lock(LockType::Update).one(&*tx).await?
        } else {
            message::Entity::find_by_id(message_id).one(&*tx).await?
        };
        let docs = documents(&*tx, found.as_slice()).await?;
        if docs.is_empty() {
            self.remove_in(&*tx, message_id).await?;
        } else {
            self.upsert_in(&*tx, &docs).await?;
        }
        tx.commit().await?;
        Ok(())
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

    fn name(&self) -> &'static str {
        "database"
    }
}

/// Documents per statement: nine values each stays far below both databases' limits.
const CHUNK: usize = 200;

async fn upsert_pg(conn: &impl ConnectionTrait, docs: &[Doc]) -> anyhow::Result<()> {
    let mut sql = Sql::new(true);
    sql.push("INSERT INTO search_docs (message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link, text) VALUES ");
    for (i, doc) in docs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ").bind(doc.channel_id).push(", ");
        sql.bind(doc.author_id).push(", ").bind(doc.created_at).push(", ").bind(doc.is_thread).push(", ");
        sql.bind(doc.has_file).push(", ").bind(doc.has_link).push(", ").bind(doc.text.clone()).push(")");
    }
    sql.push(" ON CONFLICT (message_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, is_thread = EXCLUDED.is_thread, has_file = EXCLUDED.has_file, has_link = EXCLUDED.has_link, text = EXCLUDED.text");
    conn.execute_raw(sql.statement()).await?;
    Ok(())
}

/// Replaces the documents of `docs` (one batch, inside the caller's write transaction):
/// old rows out, new rows in with ids assigned here, and their text into both FTS tables
/// with one multi-row statement each.
async fn upsert_sqlite(conn: &impl ConnectionTrait, docs: &[Doc]) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = docs.iter().map(|d| d.message_id).collect();
    let mut find = Sql::new(false);
    find.push("SELECT id FROM search_docs WHERE message_id IN ").bind_list(&ids);
    let mut old: Vec<i64> = Vec::new();
    for row in conn.query_all_raw(find.statement()).await? {
        old.push(row.try_get_by_index(0)?);
    }
    delete_sqlite_rows(conn, &old).await?;
    let next = Statement::from_string(DbBackend::Sqlite, "SELECT COALESCE(MAX(id), 0) + 1 FROM search_docs");
    let first: i64 = match conn.query_one_raw(next).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 1,
    };
    let mut sql = Sql::new(false);
    sql.push("INSERT INTO search_docs (id, message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link) VALUES ");
    for (i, doc) in docs.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(first + i as i64).push(", ").bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ");
        sql.bind(doc.channel_id).push(", ").bind(doc.author_id).push(", ").bind(doc.created_at).push(", ");
        sql.bind(doc.is_thread).push(", ").bind(doc.has_file).push(", ").bind(doc.has_link).push(")");
    }
    conn.execute_raw(sql.statement()).await?;
    for (table, cjk_spaced) in [("search_grams", false), ("search_words", true)] {
        let mut sql = Sql::new(false);
        sql.push(&format!("INSERT INTO {table} (rowid, text) VALUES "));
        for (i, doc) in docs.iter().enumerate() {
            let text = if cjk_spaced { space_cjk(&doc.text) } else { doc.text.clone() };
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(first + i as i64).push(", ").bind(text).push(")");
        }
        conn.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

async fn delete_sqlite_rows(conn: &impl ConnectionTrait, ids: &[i64]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    for (table, key) in [("search_grams", "rowid"), ("search_words", "rowid"), ("search_docs", "id")] {
        let mut sql = Sql::new(false);
        sql.push(&format!("DELETE FROM {table} WHERE {key} IN ("));
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        conn.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

async fn remove_sqlite(conn: &impl ConnectionTrait, message_id: Uuid) -> anyhow::Result<()> {
    let find = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "SELECT id FROM search_docs WHERE message_id = ?",
        [message_id.into()],
    );
    let Some(row) = conn.query_one_raw(find).await? else { return Ok(()) };
    let id: i64 = row.try_get_by_index(0)?;
    delete_sqlite_rows(conn, &[id]).await
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
