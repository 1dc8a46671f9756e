//! Hand-built SQL with placeholders in each database's style (`?` for SQLite, `$n` for
//! PostgreSQL), for statements the query builder cannot express; values are always bound.
use sea_orm::{DbBackend, Statement, Value};

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
