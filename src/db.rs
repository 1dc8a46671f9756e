//! Database connection: SQLite (embedded default) or PostgreSQL, plus the write gate.
//!
//! SQLite allows one writer at a time. Writers queue on an in-process async mutex
//! (fair, no busy-spinning) and still begin `IMMEDIATE`, so a second process such as
//! `parley admin` waits on the busy timeout instead of failing with "database is locked".
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::AppError;
use crate::realtime::bus::SharedBus;
use crate::realtime::event::NewEvent;
use crate::realtime::log as event_log;
use crate::settings::SqliteSync;

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    write_gate: Option<Arc<Mutex<()>>>,
    bus: Option<SharedBus>,
}

/// A write transaction; on SQLite it also holds the write gate until dropped.
/// Events emitted on it are recorded in the log as its last statement and
/// published once it has committed.
pub struct WriteTx {
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
    events: std::sync::Mutex<Vec<NewEvent>>,
    bus: Option<SharedBus>,
}

impl Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTx {
    /// Queues an event to record with this transaction.
    pub fn emit(&self, event: NewEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }

    pub async fn commit(self) -> Result<(), AppError> {
        let pending = self.events.lock().map(|mut e| std::mem::take(&mut *e)).unwrap_or_default();
        let recorded = event_log::append(&self.txn, pending).await?;
        crate::webhooks::outgoing::fanout::record(&self.txn, &recorded).await?;
        self.txn.commit().await?;
        if let Some(bus) = &self.bus {
            if !recorded.is_empty() {
                bus.publish(recorded);
            }
        }
        Ok(())
    }
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
            .acquire_timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(synchronous)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
                    // Every write by one pooled connection resets the page cache of the
                    // others; memory-mapped, they re-read pages without a read(2) each.
                    .pragma("mmap_size", "268435456")
            })
            .map_sqlx_sqlite_pool_opts(|pool| pool.after_connect(|conn, _| Box::pin(stable_query_plans(conn))));
        let conn = Database::connect(opts).await?;
        let write_gate = match conn.get_database_backend() {
            DbBackend::Sqlite => Some(Arc::new(Mutex::new(()))),
            _ => None,
        };
        Ok(Self { conn, write_gate, bus: None })
    }

    /// Publishes committed events on `bus` from now on.
    pub fn with_bus(mut self, bus: SharedBus) -> Self {
        self.bus = Some(bus);
        self
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Begin a transaction that will write.
    pub async fn write(&self) -> Result<WriteTx, DbErr> {
        let gate = match &self.write_gate {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: gate.as_ref().map(|_| SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.conn.begin_with_options(options).await?;
        Ok(WriteTx { txn, _gate: gate, events: std::sync::Mutex::new(Vec::new()), bus: self.bus.clone() })
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

/// Whether a failed statement broke a unique index (a lost race or a duplicate name).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
