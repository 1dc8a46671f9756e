//! The embedded index's query on SQLite. Each term becomes an FTS5 expression on one of
//! the two tables (substrings of three or more characters on `search_grams`, prefixes and
//! shorter words on `search_words`); the terms of one table are joined with AND into a
//! single MATCH, so FTS5 intersects their lists itself.
//!
//! Documents are keyed by time (writes.rs): one table's matches are walked newest first
//! straight from its index, each joined to its document row for the permission and
//! filter checks, the other table's terms probed by key, and the walk stops after a page.
use sea_orm::Statement;

use super::embedded::typo_word;
use super::query::Term;
use super::sql::{authors_and_flags, fts_quote, time_range, Sql};
use super::text::{char_len, space_cjk};
use super::vocabulary::Vocabulary;
use super::writes::{time_key, KEY_SLACK};
use super::Scoped;
use crate::db::Db;

/// The query's terms as one FTS5 expression per table (empty: no term there).
#[derive(Debug, Default)]
pub struct Matches {
    grams: Vec<String>,
    words: Vec<String>,
}

impl Matches {
    pub async fn of(db: &Db, vocabulary: &Vocabulary, q: &Scoped) -> anyhow::Result<Self> {
        let mut m = Self::default();
        for term in &q.query.terms {
            let text = term.text();
            match term {
                Term::Prefix(p) => m.words.push(format!("{} *", words_phrase(p))),
                _ if char_len(text) >= 3 => {
                    // A typo's candidates are vocabulary words of three or more characters:
                    // the trigram table finds them as it finds the term itself.
                    let mut any = vec![fts_quote(text)];
                    if let Some(word) = typo_word(term) {
                        any.extend(vocabulary.typos_of(db, word).await?.iter().map(|c| fts_quote(c)));
                    }
                    m.grams.push(any.join(" OR "));
                }
                _ => m.words.push(words_phrase(text)),
            }
        }
        Ok(m)
    }

    /// (table, expression) pairs, the table to walk first.
    fn tables(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (table, parts) in [("search_grams", &self.grams), ("search_words", &self.words)] {
            if !parts.is_empty() {
                out.push((table, parts.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(" AND ")));
            }
        }
        out
    }
}

/// A word (or a CJK word spaced into characters) as an FTS5 phrase of the word table.
fn words_phrase(t: &str) -> String {
    fts_quote(&space_cjk(t).split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The filters every plan shares, on the document row `d`.
fn filters(sql: &mut Sql, q: &Scoped) {
    sql.push(" d.channel_id IN ").bind_list(&q.channels);
    authors_and_flags(sql, q);
}

/// Matching documents newest first, walking the first table's matches by time key.
/// Only valid when every document is keyed by time.
pub fn by_key(q: &Scoped, m: &Matches, limit: u64, offset: u64) -> Statement {
    let tables = m.tables();
    let mut sql = Sql::new(false);
    let Some(((walk, expr), probes)) = tables.split_first() else { return by_time(q, m, limit, offset) };
    sql.push(&format!(
        "SELECT d.message_id FROM {walk} f CROSS JOIN search_docs d ON d.id = f.rowid WHERE f.{walk} MATCH "
    ));
    sql.bind(expr.clone());
    // A key is its message's time, or up to KEY_SLACK later: the range narrows the walk,
    // the document's own time decides.
    if let Some(after) = q.query.after_ms {
        sql.push(" AND f.rowid >= ").bind(time_key(after));
    }
    if let Some(before) = q.query.before_ms {
        sql.push(" AND f.rowid < ").bind(time_key(before).saturating_add(KEY_SLACK));
    }
    sql.push(" AND");
    filters(&mut sql, q);
    time_range(&mut sql, q);
    for (table, expr) in probes {
        sql.push(&format!(" AND EXISTS (SELECT 1 FROM {table} p WHERE p.{table} MATCH "));
        sql.bind(expr.clone()).push(" AND p.rowid = f.rowid)");
    }
    sql.push(" ORDER BY f.rowid DESC").page(limit, offset);
    sql.statement()
}

/// Matching documents newest first along the documents' time index, each table's
/// matches collected in full: right whatever the keys (an index written before keys
/// carried time), and the plan for queries of filters alone.
pub fn by_time(q: &Scoped, m: &Matches, limit: u64, offset: u64) -> Statement {
    let mut sql = Sql::new(false);
    sql.push("SELECT d.message_id FROM search_docs d INDEXED BY idx_search_docs_time WHERE");
    filters(&mut sql, q);
    time_range(&mut sql, q);
    for (table, expr) in m.tables() {
        sql.push(&format!(" AND d.id IN (SELECT rowid FROM {table} WHERE {table} MATCH "));
        sql.bind(expr).push(")");
    }
    sql.push(" ORDER BY d.created_at DESC, d.message_id DESC").page(limit, offset);
    sql.statement()
}
