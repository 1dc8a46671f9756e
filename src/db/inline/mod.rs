//! Reads on the caller's own thread (SQLite only).
//!
//! sqlx runs every SQLite connection on a thread of its own, so each statement is a
//! message to that thread and a wake-up back: two context switches, ≈ 100 µs of CPU on a
//! small VM, where SQLite's own work for a primary-key lookup is a few µs. The inline
//! reader keeps a few read-only connections of its own and runs the short reads every
//! request makes — a credential's owner, "may this person do this here" — directly on
//! the thread that asks. The statements are still built by sea-query; rows are read into
//! the same models (see `models`).
//!
//! It sees what every pooled connection sees: the last committed state (WAL). It never
//! writes, and must not be used for reads that belong to an open write transaction, nor
//! for long scans (they would hold up every request on the thread).
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::{DbErr, Statement};

mod bind;
mod models;

pub use models::FromInline;

/// What a statement selects: one block of columns per model, each a prefix and the
/// model's fields (see `models::check_layout`).
pub type Layout<'a> = &'a [(&'a str, &'a [&'a str])];

/// Idle connections kept for reuse; more are opened while many threads read at once.
const MAX_IDLE: usize = 16;
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

#[derive(Debug)]
pub struct InlineReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReader {
    /// A reader of the database file at `path` (which must exist).
    pub fn new(path: PathBuf) -> Self {
        Self { path, idle: Mutex::new(Vec::new()) }
    }

    /// The database file of a `sqlite:` URL, or None for an in-memory database (which a
    /// second connection would not see).
    pub fn file_of(url: &str) -> Option<PathBuf> {
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && !path.starts_with(":memory:") && !rest.contains("mode=memory"))
            .then(|| Path::new(path).to_path_buf())
    }

    /// Runs `stmt`, which selects `layout`, and reads each row with `read`.
    pub fn query<T>(
        &self,
        stmt: &Statement,
        layout: Layout<'_>,
        mut read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, DbErr> {
        let conn = match self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let out = run(&conn, stmt, layout, &mut read);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        out.map_err(|e| DbErr::Query(sea_orm::RuntimeErr::Internal(format!("inline read: {e}"))))
    }
}

fn run<T>(
    conn: &Connection,
    stmt: &Statement,
    layout: Layout<'_>,
    read: &mut impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut prepared = conn.prepare_cached(&stmt.sql)?;
    models::check_layout(&prepared, layout)?;
    let values = stmt.values.as_ref().map(|v| v.0.as_slice()).unwrap_or_default();
    if prepared.parameter_count() != values.len() {
        return Err(rusqlite::Error::InvalidParameterCount(values.len(), prepared.parameter_count()));
    }
    for (i, value) in values.iter().enumerate() {
        prepared.raw_bind_parameter(i + 1, bind::Bind(value))?;
    }
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

fn open(path: &Path) -> Result<Connection, DbErr> {
    let conn_err = |e: rusqlite::Error| DbErr::Conn(sea_orm::RuntimeErr::Internal(format!("inline reader: {e}")));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(conn_err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(conn_err)?;
    // The same settings as the pooled connections (see `Db::connect`).
    conn.pragma_update(None, "mmap_size", 0i64).map_err(conn_err)?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(conn_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_of_reads_the_path_of_file_urls_only() {
        assert_eq!(InlineReader::file_of("sqlite:///data/p.db?mode=rwc"), Some(PathBuf::from("/data/p.db")));
        assert_eq!(InlineReader::file_of("sqlite://rel/p.db"), Some(PathBuf::from("rel/p.db")));
        assert_eq!(InlineReader::file_of("sqlite:p.db"), Some(PathBuf::from("p.db")));
        assert_eq!(InlineReader::file_of("sqlite::memory:"), None);
        assert_eq!(InlineReader::file_of("sqlite://x?mode=memory"), None);
        assert_eq!(InlineReader::file_of("postgres://localhost/p"), None);
    }
}
