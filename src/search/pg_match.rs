//! The embedded index's query on PostgreSQL: the text in the document row, a `simple`
//! tsvector for prefixes and short words, pg_trgm for substrings and typos.
use sea_orm::Statement;

use super::embedded::typo_word;
use super::query::Term;
use super::sql::{authors_and_flags, like_anywhere, time_range, Sql};
use super::text::{char_len, is_cjk};
use super::Scoped;

/// Matching messages newest first, in one query over the searcher's channels (one
/// branch per channel was tried and measured no better: docs/PERFORMANCE.md).
pub fn newest(q: &Scoped, limit: u64, offset: u64) -> Statement {
    let mut sql = Sql::new(true);
    sql.push("SELECT d.message_id FROM search_docs d WHERE d.channel_id IN ").bind_list(&q.channels);
    conditions(&mut sql, q);
    sql.push(" ORDER BY d.created_at DESC, d.message_id DESC").page(limit, offset);
    sql.statement()
}

/// Everything but the channel, on the doc row `d`.
fn conditions(sql: &mut Sql, q: &Scoped) {
    authors_and_flags(sql, q);
    time_range(sql, q);
    for term in &q.query.terms {
        sql.push(" AND ");
        term_condition(sql, term);
    }
}

/// One term's condition on the doc row `d`.
fn term_condition(sql: &mut Sql, term: &Term) {
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
    if let Some(word) = typo_word(term) {
        // pg_trgm's word similarity: `w <% text` is served by the trigram GIN index.
        sql.push(" OR ").bind(word.to_owned()).push(" <% d.text");
    }
    sql.push(")");
}
