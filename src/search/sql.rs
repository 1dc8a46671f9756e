//! Hand-built SQL for the embedded index: placeholders in each database's style, and
//! user text quoted for FTS5 and LIKE (it only ever reaches the database as bound values).
pub use crate::db::sql::Sql;

use super::Scoped;

/// An FTS5 string literal.
pub fn fts_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A LIKE pattern matching `s` anywhere, with its wildcards escaped.
pub fn like_anywhere(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `from:` and `has:` / `is:` filters, on the document row `d`.
pub fn authors_and_flags(sql: &mut Sql, q: &Scoped) {
    if !q.authors.is_empty() {
        sql.push(" AND d.author_id IN ").bind_list(&q.authors);
    }
    for (on, column) in
        [(q.query.has_file, "has_file"), (q.query.has_link, "has_link"), (q.query.is_thread, "is_thread")]
    {
        if on {
            sql.push(&format!(" AND d.{column}"));
        }
    }
}

/// `after:` / `before:` (and `on:`), on the document row `d`.
pub fn time_range(sql: &mut Sql, q: &Scoped) {
    if let Some(after) = q.query.after_ms {
        sql.push(" AND d.created_at >= ").bind(after);
    }
    if let Some(before) = q.query.before_ms {
        sql.push(" AND d.created_at < ").bind(before);
    }
}
