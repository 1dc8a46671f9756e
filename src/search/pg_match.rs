//! The embedded index's query on PostgreSQL: the text in the document row, a `simple`
//! tsvector for prefixes and short words, pg_trgm for substrings and typos.
use sea_orm::Statement;

use super::embedded::typo_word;
use super::query::Term;
use super::sql::{authors_and_flags, like_anywhere, time_range, Sql};
use super::text::{char_len, is_cjk};
use super::Scoped;

/// A searcher reading more channels than this reads most of the instance: one query
/// walking all messages by time finds a page soon enough, and plans faster.
const BRANCHES: usize = 64;

/// Matching messages newest first: one branch per readable channel, each the newest
/// `limit + offset` matches there, merged. Each branch is planned for its own channel —
/// the time index walked back for a common word in a busy channel, the trigram index for
/// a rare one — where one query over all channels walks everybody's messages newest first.
pub fn newest(q: &Scoped, limit: u64, offset: u64) -> Statement {
    let mut sql = Sql::new(true);
    if q.channels.len() > BRANCHES {
        sql.push("SELECT d.message_id FROM search_docs d WHERE d.channel_id IN ").bind_list(&q.channels);
        conditions(&mut sql, q);
        sql.push(" ORDER BY d.created_at DESC, d.message_id DESC").page(limit, offset);
        return sql.statement();
    }
    let each = i64::try_from(limit.saturating_add(offset)).unwrap_or(i64::MAX);
    sql.push("SELECT x.message_id FROM (");
    for (i, channel) in q.channels.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { " UNION ALL (" });
        sql.push("SELECT d.message_id, d.created_at FROM search_docs d WHERE d.channel_id = ").bind(*channel);
        conditions(&mut sql, q);
        sql.push(" ORDER BY d.created_at DESC, d.message_id DESC LIMIT ").bind(each).push(")");
    }
    sql.push(") x ORDER BY x.created_at DESC, x.message_id DESC").page(limit, offset);
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
