//! The embedded index's query on PostgreSQL: the text in the document row, a `simple`
//! tsvector for prefixes and short words, a pg_trgm GIN index for substrings; a typo
//! matches as its vocabulary candidates (vocabulary.rs), substrings like the word.
//!
//! Three plans, tried in order (docs/PERFORMANCE.md, "PostgreSQL: a window, then the
//! matches"): the searcher's newest `WINDOW` documents, each tested, answer any query
//! whose matches are common; when they hold too few, the terms' matches are taken from
//! the text indexes first and only then narrowed to the searcher's channels — fast
//! because such matches are few (a CJK word of one or two characters has no trigram: it
//! is looked up in an index of the CJK characters of documents that have any); a term
//! no text index can serve leaves the plan to PostgreSQL.
use sea_orm::Statement;

use super::embedded::typo_word;
use super::query::Term;
use super::sql::{authors_and_flags, like_anywhere, time_range, Sql};
use super::text::{char_len, is_cjk};
use super::vocabulary::Vocabulary;
use super::Scoped;
use crate::db::Db;

/// How many of the searcher's newest documents the first plan tests; when they hold some
/// but too few matches, a window large enough by their rate is tried once, up to
/// `MAX_WIDENING` times as large (a document costs ≈ 2 µs to fetch and test: 10,000 take
/// ≈ 17 ms at a million messages).
pub const WINDOW: i64 = 10_000;
pub const MAX_WIDENING: i64 = 4;

/// Each term's typo candidates, in the order of the query's terms.
pub struct Typos(Vec<Vec<String>>);

impl Typos {
    pub async fn of(db: &Db, vocabulary: &Vocabulary, q: &Scoped) -> anyhow::Result<Self> {
        let mut all = Vec::with_capacity(q.query.terms.len());
        for term in &q.query.terms {
            all.push(match typo_word(term) {
                Some(word) => vocabulary.typos_of(db, word).await?,
                None => Vec::new(),
            });
        }
        Ok(Self(all))
    }

    fn of_term(&self, i: usize) -> &[String] {
        self.0.get(i).map_or(&[], Vec::as_slice)
    }
}

/// The first plan: the searcher's newest `window` documents (every filter but the terms
/// applied), each tested against the terms. Rows: (0, NULL, documents in the window,
/// matches in it) first, then (1, message id, …) for each match of the page, newest first.
pub fn in_window(q: &Scoped, typos: &Typos, window: i64, limit: u64, offset: u64) -> Statement {
    let mut sql = Sql::new(true);
    sql.push("WITH w AS MATERIALIZED (SELECT d.message_id, d.created_at, (TRUE");
    terms(&mut sql, q, typos, false);
    sql.push(") AS hit FROM search_docs d WHERE d.channel_id IN ").bind_list(&q.channels);
    authors_and_flags(&mut sql, q);
    time_range(&mut sql, q);
    sql.push(" ORDER BY d.created_at DESC, d.message_id DESC LIMIT ").bind(window);
    sql.push(
        ") SELECT 0 AS part, NULL::uuid AS message_id, count(*) AS seen, count(*) FILTER (WHERE w.hit) AS hits, \
         NULL::bigint AS created_at FROM w \
         UNION ALL (SELECT 1, w.message_id, NULL, NULL, w.created_at FROM w WHERE w.hit \
         ORDER BY w.created_at DESC, w.message_id DESC",
    );
    sql.page(limit, offset).push(") ORDER BY part, created_at DESC, message_id DESC");
    sql.statement()
}

/// The second plan: every match of the terms from the text indexes, then the searcher's
/// channels and filters, newest first.
pub fn matches_first(q: &Scoped, typos: &Typos, limit: u64, offset: u64) -> Statement {
    let mut sql = Sql::new(true);
    sql.push(
        "WITH m AS MATERIALIZED (SELECT d.message_id, d.channel_id, d.author_id, d.created_at, d.is_thread, \
         d.has_file, d.has_link FROM search_docs d WHERE TRUE",
    );
    terms(&mut sql, q, typos, true);
    sql.push(") SELECT d.message_id FROM m d WHERE d.channel_id IN ").bind_list(&q.channels);
    authors_and_flags(&mut sql, q);
    time_range(&mut sql, q);
    sql.push(" ORDER BY d.created_at DESC, d.message_id DESC").page(limit, offset);
    sql.statement()
}

/// The last plan, PostgreSQL's own choice: matching messages newest first in one query
/// over the searcher's channels.
pub fn newest(q: &Scoped, typos: &Typos, limit: u64, offset: u64) -> Statement {
    let mut sql = Sql::new(true);
    sql.push("SELECT d.message_id FROM search_docs d WHERE d.channel_id IN ").bind_list(&q.channels);
    authors_and_flags(&mut sql, q);
    time_range(&mut sql, q);
    terms(&mut sql, q, typos, false);
    sql.push(" ORDER BY d.created_at DESC, d.message_id DESC").page(limit, offset);
    sql.statement()
}

/// Whether a text index finds every term's matches by itself (`matches_first` is then
/// bounded by their number, not by the size of the index).
pub fn indexable(q: &Scoped, typos: &Typos) -> bool {
    q.query.terms.iter().enumerate().all(|(i, term)| match term {
        // A prefix of one or two letters matches much of any index.
        Term::Prefix(p) => char_len(p) >= 3,
        _ if uses_tsvector(term.text()) || short_cjk(term.text()) => true,
        _ => has_trigram(term.text()) && typos.of_term(i).iter().all(|c| has_trigram(c)),
    })
}

/// pg_trgm takes trigrams only from runs of three or more letters or digits.
fn has_trigram(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        run = if c.is_alphanumeric() { run + 1 } else { 0 };
        if run >= 3 {
            return true;
        }
    }
    false
}

/// Short words (not CJK) match as whole words in the tsvector, longer ones as substrings.
fn uses_tsvector(text: &str) -> bool {
    char_len(text) < 3 && !text.chars().any(is_cjk)
}

/// Characters of scripts written without spaces (text.rs, `is_cjk`), as the partial
/// index `idx_search_docs_cjk` (migration m0016) spells them: the expressions below must
/// be the index's, character for character, or it goes unused.
const CJK_CLASS: &str =
    "[\u{3040}-\u{30ff}\u{3400}-\u{4dbf}\u{4e00}-\u{9fff}\u{ac00}-\u{d7af}\u{f900}-\u{faff}\u{ff66}-\u{ff9f}]";

/// ` AND (…)` for each term, on the doc row `d`. `by_index`: a short CJK word is looked
/// up in the CJK index first (the other plans test it on each row they pass).
fn terms(sql: &mut Sql, q: &Scoped, typos: &Typos, by_index: bool) {
    for (i, term) in q.query.terms.iter().enumerate() {
        sql.push(" AND (");
        if by_index && short_cjk(term.text()) {
            cjk_lookup(sql, term.text());
            sql.push(" AND ");
        }
        term_condition(sql, term, typos.of_term(i));
        sql.push(")");
    }
}

/// A CJK word without a trigram, all of its characters in the CJK index's class (which
/// leaves out the supplementary planes' ideographs, U+20000 on): the index of spaced-apart
/// characters finds the documents holding all of them.
fn short_cjk(text: &str) -> bool {
    !has_trigram(text) && !text.is_empty() && text.chars().all(|c| is_cjk(c) && u32::from(c) < 0x20000)
}

fn cjk_lookup(sql: &mut Sql, text: &str) {
    let all: Vec<String> = text.chars().map(String::from).collect();
    sql.push(&format!(
        "d.text ~ '{CJK_CLASS}' AND to_tsvector('simple', regexp_replace(d.text, '({CJK_CLASS})', ' \\1 ', 'g')) \
         @@ to_tsquery('simple', "
    ));
    sql.bind(all.join(" & ")).push(")");
}

fn term_condition(sql: &mut Sql, term: &Term, typos: &[String]) {
    let text = term.text();
    match term {
        Term::Prefix(p) => {
            // Only letters and digits reach the tsquery syntax: nothing to escape.
            let stem: String = p.chars().filter(|c| c.is_alphanumeric()).collect();
            sql.push("d.tsv @@ to_tsquery('simple', ").bind(format!("'{stem}':*")).push(")");
        }
        _ if uses_tsvector(text) => {
            sql.push("d.tsv @@ plainto_tsquery('simple', ").bind(text.to_owned()).push(")");
        }
        _ => {
            sql.push("d.text ILIKE ").bind(like_anywhere(text)).push(" ESCAPE '\\'");
        }
    }
    for candidate in typos {
        sql.push(" OR d.text ILIKE ").bind(like_anywhere(candidate)).push(" ESCAPE '\\'");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_need_three_letters_in_a_row() {
        assert!(has_trigram("deploy") && has_trigram("会議室") && has_trigram("c++ abc"));
        assert!(!has_trigram("会議") && !has_trigram("c++") && !has_trigram("a-b-c"));
        assert!(short_cjk("会議") && !short_cjk("会a") && !short_cjk("\u{20000}議") && !short_cjk("会議室"));
    }
}
