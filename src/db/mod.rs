//! Database connection: SQLite (embedded default) or PostgreSQL, plus the write gate.
//!
//! SQLite allows one writer at a time. Writers queue on an in-process async mutex
//! (fair, no busy-spinning) and commit in groups (see `write`); a group's transaction
//! begins `IMMEDIATE`, so a second process such as `parley admin` waits on the busy
//! timeout instead of failing with "database is locked".
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

use crate::realtime::bus::SharedBus;
use crate::settings::SqliteSync;

mod inline;
mod read;
pub mod sql;
mod write;

pub use inline::{FromInline, InlineReader, Layout};
pub use read::ReadSource;
pub use write::{WriteCounts, WriteTx};

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// Short reads on the caller's own thread (SQLite on a file; see `ReadSource`).
    inline: Option<Arc<InlineReader>>,
    write_gate: Option<Arc<write::Gate>>,
    bus: Option<SharedBus>,
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32, sync: SqliteSync) -> anyhow::Result<Self> {
        let synchronous = match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        let max_connections = match max_connections {
            0 if url.starts_with("sqlite:") => 4,
            0 => 16,
            n => n,
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(max_connections)
            // An unreachable database answers 503 within seconds rather than holding requests.
            .acquire_timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(5))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(synchronous)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
                    // No memory map: a connection that sees another's commit unmaps the
                    // whole file and faults its pages back in, which cost more than
                    // reading the few pages it needs (docs/PERFORMANCE.md, issue 19).
                    .pragma("mmap_size", "0")
            })
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|conn, _| Box::pin(stable_query_plans(conn)))
                    .after_release(|conn, _| Box::pin(out_of_transaction(conn)))
            });
        let conn = Database::connect(opts).await?;
        let write_gate = match conn.get_database_backend() {
            DbBackend::Sqlite => Some(Arc::new(write::Gate::new())),
            _ => None,
        };
        // The pool made the file (mode=rwc) before the reader opens it read-only.
        let inline = InlineReader::file_of(url).map(|path| Arc::new(InlineReader::new(path)));
        Ok(Self { conn, inline, write_gate, bus: None })
    }

    /// Publishes committed events on `bus` from now on.
    pub fn with_bus(mut self, bus: SharedBus) -> Self {
        self.bus = Some(bus);
        self
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// Whether short reads run on the caller's own thread (SQLite on a file).
    pub fn reads_inline(&self) -> bool {
        self.inline.is_some()
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Begin a transaction that will write (on SQLite: wait for the write gate, and
    /// commit together with the writers queued behind).
    pub async fn write(&self) -> Result<WriteTx, DbErr> {
        write::begin(&self.conn, self.write_gate.as_deref(), self.bus.clone()).await
    }

    /// An outgoing hook is stored or about to be: commits look for subscribers from
    /// now on. Without it, commits on SQLite skip that lookup: an SQLite database has
    /// one server process (the CLI writes no hooks), so no hook can exist that this
    /// process has not seen. PostgreSQL, which other nodes share, always looks.
    pub fn expect_outgoing_hooks(&self) {
        if let Some(gate) = &self.write_gate {
            gate.expect_outgoing_hooks();
        }
    }

    /// Writers committed and COMMITs issued through the SQLite write gate.
    pub fn write_stats(&self) -> Option<WriteCounts> {
        self.write_gate.as_ref().map(|g| g.stats().snapshot())
    }

    /// Writers waiting for the SQLite write gate now.
    pub fn writers_queued(&self) -> usize {
        self.write_gate.as_ref().map_or(0, |g| g.queued())
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }
}

/// sea-orm's `.one()` binds `LIMIT ?`. Since 3.48 SQLite lets a bound LIMIT shape the plan,
/// so every new binding expires the cached statement and `sqlite3_step` prepares it again
/// (`sqlite3Reprepare`: 11 % of the server's CPU under sustained posting). With the
/// query-planner stability guarantee plans never depend on bound values, and cached
/// statements are reused as they are.
async fn stable_query_plans(conn: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{sqlite3_db_config, SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK};
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut enabled: std::ffi::c_int = 0;
    // SAFETY: `db` is this connection's open handle, locked by `handle` for the call; the
    // option takes an int (1: on) and a pointer to an int that receives the new setting.
    let rc = unsafe {
        sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1 as std::ffi::c_int, &mut enabled as *mut std::ffi::c_int)
    };
    if rc != SQLITE_OK || enabled != 1 {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("enabling SQLITE_DBCONFIG_ENABLE_QPSG failed ({rc})").into(),
        ));
    }
    Ok(())
}

/// Whether a connection going back to the pool may be used again: only outside any
/// transaction, by sqlx's count and by SQLite's. After SQLite rolled a transaction back
/// on its own (disk full, I/O error) the two disagree, and the next user would begin a
/// savepoint where it meant a transaction.
async fn out_of_transaction(conn: &mut SqliteConnection) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;
    if conn.is_in_transaction() {
        return Ok(false);
    }
    let mut handle = conn.lock_handle().await?;
    // SAFETY: `handle` holds this connection's open database handle for the call.
    let autocommit = unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) };
    Ok(autocommit != 0)
}

/// Whether a failed statement broke a unique index (a lost race or a duplicate name).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
