//! Write transactions and group commit.
//!
//! On SQLite one writer holds the gate at a time. When others are queued behind it, a
//! finished writer does not commit: it leaves the transaction open for the next one,
//! which runs inside a savepoint of it. The last of a run of queued writers (or a flush
//! task queued behind them) commits the whole group with one COMMIT and one fsync, then
//! answers every member and publishes their events in the order they were recorded.
//! Nobody is answered before the commit that holds their writes is durable, and a
//! writer that fails rolls back its own savepoint only and closes the group, so nobody
//! joins a transaction whose state is in doubt.
//!
//! On PostgreSQL there is no gate: transactions run side by side and the server's own
//! WAL flush already serves concurrent commits with one fsync.
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::error::AppError;
use crate::realtime::bus::SharedBus;
use crate::realtime::event::{Event, NewEvent};
use crate::realtime::log as event_log;

mod group;
use group::{fail_group, finish, join, publish, spawn_flush, wait_for_group};

/// Most writers committed together; the rest start the next group.
const MAX_GROUP: usize = 128;
const GROUP_MARK: &str = "SAVEPOINT parley_group";
const GROUP_RELEASE: &str = "RELEASE SAVEPOINT parley_group";

/// The SQLite write gate and the group of writers waiting for their commit.
#[derive(Clone)]
pub(super) struct Gate {
    group: Arc<Mutex<Option<OpenGroup>>>,
    waiting: Arc<AtomicUsize>,
    stats: Arc<WriteStats>,
    /// Whether an outgoing hook may exist (see `Db::expect_outgoing_hooks`).
    outgoing_hooks: Arc<AtomicBool>,
}

/// Writers and commits so far (a commit serves one writer or a whole group).
#[derive(Default)]
pub(super) struct WriteStats {
    writers: AtomicU64,
    commits: AtomicU64,
    groups: AtomicU64,
}

/// What the write gate has done since start-up.
#[derive(Clone, Copy, Debug)]
pub struct WriteCounts {
    /// Writers that committed (alone or in a group).
    pub writers: u64,
    /// COMMITs issued.
    pub commits: u64,
    /// Transactions left open for the writers queued behind.
    pub groups: u64,
}

impl WriteStats {
    pub fn snapshot(&self) -> WriteCounts {
        WriteCounts {
            writers: self.writers.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            groups: self.groups.load(Ordering::Relaxed),
        }
    }
}

/// A transaction left open for the writers queued behind the one that began it.
struct OpenGroup {
    txn: DatabaseTransaction,
    members: Vec<Member>,
    /// A member failed: commit what the others wrote, let nobody else in.
    closed: bool,
    flush_requested: bool,
    bus: Option<SharedBus>,
}

struct Member {
    events: Vec<Event>,
    done: oneshot::Sender<Result<(), String>>,
}

type GroupGuard = OwnedMutexGuard<Option<OpenGroup>>;

impl Gate {
    pub(super) fn new() -> Self {
        Self {
            group: Arc::new(Mutex::new(None)),
            waiting: Arc::new(AtomicUsize::new(0)),
            stats: Arc::default(),
            outgoing_hooks: Arc::default(),
        }
    }

    pub(super) fn expect_outgoing_hooks(&self) {
        self.outgoing_hooks.store(true, Ordering::SeqCst);
    }

    pub(super) fn stats(&self) -> &WriteStats {
        &self.stats
    }

    pub(super) fn queued(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    async fn enter(&self) -> GroupGuard {
        let _queued = Queued::new(&self.waiting);
        self.group.clone().lock_owned().await
    }

    /// `finished`: nothing to clean up if the writer stops early (a leader's own
    /// transaction rolls back by itself; a joiner's failure must close the group).
    fn turn(&self, guard: GroupGuard, finished: bool) -> Turn {
        Turn { guard: Some(guard), gate: self.clone(), finished }
    }
}

/// Counts a writer queued for the gate until it gets in (or gives up).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::AcqRel);
        Self(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One writer's hold on the gate (`guard` is taken only to hand the gate to a commit task).
struct Turn {
    guard: Option<GroupGuard>,
    gate: Gate,
    finished: bool,
}

impl Turn {
    fn group(&mut self) -> Result<&mut OpenGroup, AppError> {
        Ok(self
            .guard
            .as_mut()
            .and_then(|g| g.as_mut())
            .ok_or_else(|| anyhow::anyhow!("the open write group vanished"))?)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The writer failed or was cancelled: its savepoint is rolled back (queued on the
        // connection before anyone else can use it); the others' writes still commit.
        if let Some(group) = self.guard.as_mut().and_then(|g| g.as_mut()) {
            group.closed = true;
            if !group.flush_requested {
                group.flush_requested = true;
                spawn_flush(&self.gate);
            }
        }
    }
}

enum Role {
    /// PostgreSQL: a transaction of its own.
    Alone,
    /// First writer of a (possible) group: holds the top-level transaction.
    Leader(Turn),
    /// Writes inside a savepoint of an open group's transaction.
    Joiner(Turn),
}

/// A write transaction. Events emitted on it are recorded in the log as its last
/// statements and published once it has committed.
pub struct WriteTx {
    txn: DatabaseTransaction,
    role: Role,
    events: std::sync::Mutex<Vec<NewEvent>>,
    bus: Option<SharedBus>,
}

impl Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

pub(super) async fn begin(
    conn: &DatabaseConnection,
    gate: Option<&Gate>,
    bus: Option<SharedBus>,
) -> Result<WriteTx, sea_orm::DbErr> {
    let events = std::sync::Mutex::new(Vec::new());
    let Some(gate) = gate else {
        let txn = conn.begin().await?;
        return Ok(WriteTx { txn, role: Role::Alone, events, bus });
    };
    let mut guard = gate.enter().await;
    if guard.as_ref().is_some_and(|g| g.closed || g.members.len() >= MAX_GROUP) {
        guard = finish(guard, &gate.stats).await?;
    }
    if guard.is_some() {
        // The turn exists before the SAVEPOINT: a caller cancelled half way leaves a
        // half-made savepoint whose rollback takes the group's transaction with it, and
        // the turn's drop then closes the group, whose commit finds its marker gone and
        // tells every member.
        let mut turn = gate.turn(guard, false);
        let joined = match turn.guard.as_ref().and_then(|g| g.as_ref()) {
            Some(group) => group.txn.begin().await,
            None => Err(sea_orm::DbErr::Custom("no open write group".into())),
        };
        return match joined {
            Ok(txn) => Ok(WriteTx { txn, role: Role::Joiner(turn), events, bus }),
            Err(e) => {
                // sea-orm rolled back what it began: the group's transaction is gone.
                if let Some(group) = turn.guard.as_mut().and_then(|g| g.take()) {
                    fail_group(group, &e.to_string()).await;
                }
                Err(e)
            }
        };
    }
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let txn = conn.begin_with_options(options).await?;
    Ok(WriteTx { txn, role: Role::Leader(gate.turn(guard, true)), events, bus })
}

impl WriteTx {
    /// Queues an event to record with this transaction.
    pub fn emit(&self, event: NewEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }

    /// The SQLite write gate this transaction went through (none on PostgreSQL).
    fn gate(&self) -> Option<&Gate> {
        match &self.role {
            Role::Alone => None,
            Role::Leader(turn) | Role::Joiner(turn) => Some(&turn.gate),
        }
    }

    /// This transaction writes an outgoing hook (see `Db::expect_outgoing_hooks`).
    pub fn expect_outgoing_hooks(&self) {
        if let Some(gate) = self.gate() {
            gate.expect_outgoing_hooks();
        }
    }

    fn outgoing_hooks_possible(&self) -> bool {
        self.gate().is_none_or(|gate| gate.outgoing_hooks.load(Ordering::SeqCst))
    }

    /// Commits; returns once the writes are durable.
    pub async fn commit(self) -> Result<(), AppError> {
        let pending = self.events.lock().map(|mut e| std::mem::take(&mut *e)).unwrap_or_default();
        let recorded = event_log::append(&self.txn, pending).await?;
        if self.outgoing_hooks_possible() {
            crate::webhooks::outgoing::fanout::record(&self.txn, &recorded).await?;
        }
        let WriteTx { txn, role, bus, .. } = self;
        match role {
            Role::Alone => {
                txn.commit().await?;
                publish(bus.as_ref(), recorded);
                Ok(())
            }
            Role::Leader(mut turn) => {
                turn.gate.stats.writers.fetch_add(1, Ordering::Relaxed);
                if turn.gate.waiting.load(Ordering::Acquire) == 0 {
                    txn.commit().await?;
                    turn.gate.stats.commits.fetch_add(1, Ordering::Relaxed);
                    publish(bus.as_ref(), recorded);
                    return Ok(());
                }
                // A marker the group's commit releases first: if SQLite rolled the
                // transaction back on its own (disk full, I/O error), that fails, and the
                // group is failed instead of trusting a COMMIT with nothing to commit.
                txn.execute_unprepared(GROUP_MARK).await?;
                turn.gate.stats.groups.fetch_add(1, Ordering::Relaxed);
                let (done, answer) = oneshot::channel();
                let guard = turn.guard.as_mut().ok_or_else(|| anyhow::anyhow!("the write gate vanished"))?;
                **guard = Some(OpenGroup {
                    txn,
                    members: vec![Member { events: recorded, done }],
                    closed: false,
                    flush_requested: false,
                    bus,
                });
                wait_for_group(turn, answer).await
            }
            Role::Joiner(turn) => {
                txn.commit().await?;
                join(turn, recorded).await
            }
        }
    }

    /// Undoes this transaction's own writes and returns once every write committed
    /// before it is durable (so what the caller reads next is stored for good).
    pub async fn abandon(self) -> Result<(), AppError> {
        let WriteTx { txn, role, .. } = self;
        txn.rollback().await?;
        match role {
            Role::Alone | Role::Leader(_) => Ok(()),
            Role::Joiner(turn) => join(turn, Vec::new()).await,
        }
    }
}
