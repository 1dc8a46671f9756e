//! Hand-built SQL for the embedded index: placeholders in each database's style, and
//! user text quoted for FTS5 and LIKE (it only ever reaches the database as bound values).
use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;

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
    pub fn bind_list(&mut self, ids: &[Uuid]) -> &mut Self {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        self.push(")")
    }
    pub fn statement(self) -> Statement {
        let backend = if self.pg { DbBackend::Postgres } else { DbBackend::Sqlite };
        Statement::from_sql_and_values(backend, self.text, self.values)
    }
}
