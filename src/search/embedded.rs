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
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait, Value};
use uuid::Uuid;

use super::query::Term;
use super::text::{char_len, is_cjk, space_cjk};
use super::{Doc, Found, Page, Scoped, SearchIndex, Sort};
use crate::db::Db;

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
                sql.push("d.tsv @@ to_tsquery('simple', ").bind(format!("'{}':*", p.replace('\'', "''")));
                sql.push(")");
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

    /// The words of the query, for ranking by how well a document matches them.
    fn rank_words(q: &Scoped) -> Vec<String> {
        q.query
            .terms
            .iter()
            .flat_map(|t| t.text().split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .filter(|w| !w.chars().any(is_cjk))
            .collect()
    }
}

#[async_trait]
impl SearchIndex for DbIndex {
    async fn upsert(&self, docs: Vec<Doc>) -> anyhow::Result<()> {
        let tx = self.db.write().await?;
        for doc in docs {
            if self.pg() {
                upsert_pg(&*tx, doc).await?;
            } else {
                upsert_sqlite(&*tx, doc).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn remove(&self, message_id: Uuid) -> anyhow::Result<()> {
        let tx = self.db.write().await?;
        if self.pg() {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM search_docs WHERE message_id = $1",
                [message_id.into()],
            );
            tx.execute_raw(stmt).await?;
        } else {
            remove_sqlite(&*tx, message_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn search(&self, q: &Scoped, sort: Sort, page: Page) -> anyhow::Result<Found> {
        let pg = self.pg();
        let mut sql = Sql::new(pg);
        sql.push("SELECT d.message_id FROM search_docs d WHERE d.channel_id IN ").bind_list(&q.channels);
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
        let words = Self::rank_words(q);
        sql.push(" ORDER BY ");
        if sort == Sort::Relevance && !words.is_empty() {
            if pg {
                let tsquery = words.join(" OR ");
                sql.push("ts_rank_cd(d.tsv, websearch_to_tsquery('simple', ").bind(tsquery).push(")) DESC, ");
            } else {
                let expr = words.iter().map(|w| format!("{} *", fts_quote(w))).collect::<Vec<_>>().join(" OR ");
                sql.push("COALESCE((SELECT bm25(search_words) FROM search_words WHERE search_words MATCH ");
                sql.bind(expr).push(" AND rowid = d.id), 0) ASC, ");
            }
        }
        sql.push("d.created_at DESC, d.message_id DESC LIMIT ");
        sql.bind(i64::try_from(page.limit + 1).unwrap_or(i64::MAX)).push(" OFFSET ");
        sql.bind(i64::try_from(page.offset).unwrap_or(i64::MAX));
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
        let has_more = ids.len() as u64 > page.limit;
        ids.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
        Ok(Found { message_ids: ids, has_more })
    }

    fn name(&self) -> &'static str {
        "database"
    }
}

async fn upsert_pg(conn: &impl ConnectionTrait, doc: Doc) -> anyhow::Result<()> {
    let mut sql = Sql::new(true);
    sql.push("INSERT INTO search_docs (message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link, text) VALUES (");
    sql.bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ").bind(doc.channel_id).push(", ");
    sql.bind(doc.author_id).push(", ").bind(doc.created_at).push(", ").bind(doc.is_thread).push(", ");
    sql.bind(doc.has_file).push(", ").bind(doc.has_link).push(", ").bind(doc.text);
    sql.push(") ON CONFLICT (message_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, is_thread = EXCLUDED.is_thread, has_file = EXCLUDED.has_file, has_link = EXCLUDED.has_link, text = EXCLUDED.text");
    conn.execute_raw(sql.statement()).await?;
    Ok(())
}

async fn upsert_sqlite(conn: &impl ConnectionTrait, doc: Doc) -> anyhow::Result<()> {
    remove_sqlite(conn, doc.message_id).await?;
    let mut sql = Sql::new(false);
    sql.push("INSERT INTO search_docs (message_id, workspace_id, channel_id, author_id, created_at, is_thread, has_file, has_link) VALUES (");
    sql.bind(doc.message_id).push(", ").bind(doc.workspace_id).push(", ").bind(doc.channel_id).push(", ");
    sql.bind(doc.author_id).push(", ").bind(doc.created_at).push(", ").bind(doc.is_thread).push(", ");
    sql.bind(doc.has_file).push(", ").bind(doc.has_link).push(") RETURNING id");
    let row = conn.query_one_raw(sql.statement()).await?.ok_or_else(|| anyhow::anyhow!("no doc id returned"))?;
    let id: i64 = row.try_get_by_index(0)?;
    for (table, text) in [("search_grams", doc.text.clone()), ("search_words", space_cjk(&doc.text))] {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("INSERT INTO {table} (rowid, text) VALUES (?, ?)"),
            [id.into(), text.into()],
        );
        conn.execute_raw(stmt).await?;
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
    for sql in [
        "DELETE FROM search_grams WHERE rowid = ?",
        "DELETE FROM search_words WHERE rowid = ?",
        "DELETE FROM search_docs WHERE id = ?",
    ] {
        conn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [id.into()])).await?;
    }
    Ok(())
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
