//! Hand-built SQL for the embedded index: placeholders in each database's style, and
//! user text quoted for FTS5 and LIKE (it only ever reaches the database as bound values).
use super::Scoped;
use sea_orm::{DbBackend, Statement, Value};

/// An FTS5 string literal.
pub fn fts_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A LIKE pattern matching `s` anywhere, with its wildcards escaped.
pub fn like_anywhere(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub struct Sql {
    text: String,
    values: Vec<Value>,
    pg: bool,
}

impl Sql {
    pub fn new(pg: bool) -> Self {
        Self { text: String::new(), values: Vec::new(), pg }
    }
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        if self.pg {
            let n = self.values.len();
            self.text.push_str(&format!("${n}"));
        } else {
            self.text.push('?');
        }
        self
    }
    /// `(?, ?, …)` bound to `values`.
    pub fn bind_list<V: Into<Value> + Copy>(&mut self, values: &[V]) -> &mut Self {
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*v);
        }
        self.push(")")
    }
    /// ` LIMIT … OFFSET …`, both bound.
    pub fn page(&mut self, limit: u64, offset: u64) -> &mut Self {
        self.push(" LIMIT ").bind(i64::try_from(limit).unwrap_or(i64::MAX)).push(" OFFSET ");
        self.bind(i64::try_from(offset).unwrap_or(i64::MAX))
    }
    pub fn statement(self) -> Statement {
        let backend = if self.pg { DbBackend::Postgres } else { DbBackend::Sqlite };
        Statement::from_sql_and_values(backend, self.text, self.values)
    }
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
