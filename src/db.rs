//! Database connection: SQLite (embedded default) or PostgreSQL, plus the write gate.
//!
//! SQLite allows one writer at a time. Writers queue on an in-process async mutex
//! (fair, no busy-spinning) and still begin `IMMEDIATE`, so a second process such as
//! `parley admin` waits on the busy timeout instead of failing with "database is locked".
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
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
            });
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

/// Whether a failed statement broke a unique index (a lost race or a duplicate name).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
