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

    /// This transaction writes an outgoing hook (see `Db::expect_outgoing_hooks`).
    pub fn expect_outgoing_hooks(&self) {
        if let Role::Leader(turn) | Role::Joiner(turn) = &self.role {
            turn.gate.expect_outgoing_hooks();
        }
    }

    fn outgoing_hooks_possible(&self) -> bool {
        match &self.role {
            Role::Alone => true,
            Role::Leader(turn) | Role::Joiner(turn) => turn.gate.outgoing_hooks.load(Ordering::SeqCst),
        }
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

/// Adds a writer whose savepoint is released to the open group and waits for its commit.
async fn join(mut turn: Turn, events: Vec<Event>) -> Result<(), AppError> {
    turn.gate.stats.writers.fetch_add(1, Ordering::Relaxed);
    let (done, answer) = oneshot::channel();
    turn.group()?.members.push(Member { events, done });
    wait_for_group(turn, answer).await
}

/// Commits the group now if nobody else is queued (or it is full), else leaves it open
/// for the next writer with a flush queued behind them; then waits for the outcome.
async fn wait_for_group(mut turn: Turn, answer: oneshot::Receiver<Result<(), String>>) -> Result<(), AppError> {
    turn.finished = true;
    let alone = turn.gate.waiting.load(Ordering::Acquire) == 0;
    let group = turn.group()?;
    if alone || group.members.len() >= MAX_GROUP {
        if let Some(guard) = turn.guard.take() {
            // The answer below tells how it went.
            let _ = finish(guard, &turn.gate.stats).await;
        }
    } else if !group.flush_requested {
        group.flush_requested = true;
        spawn_flush(&turn.gate);
    }
    drop(turn);
    match answer.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(anyhow::anyhow!("group commit failed: {e}").into()),
        Err(_) => Err(anyhow::anyhow!("group commit abandoned").into()),
    }
}

/// Commits the open group, if any, then answers its members and publishes their events.
/// On a task of its own that keeps the gate until it is done, so a cancelled caller can
/// neither stop a commit half way nor let the next group publish before this one.
async fn finish(mut guard: GroupGuard, stats: &Arc<WriteStats>) -> Result<GroupGuard, sea_orm::DbErr> {
    let stats = stats.clone();
    tokio::spawn(async move {
        if let Some(group) = guard.take() {
            commit_group(group, stats).await;
        }
        guard
    })
    .await
    .map_err(|e| sea_orm::DbErr::Custom(format!("the group commit task failed: {e}")))
}

async fn commit_group(group: OpenGroup, stats: Arc<WriteStats>) {
    if let Err(e) = group.txn.execute_unprepared(GROUP_RELEASE).await {
        fail_group(group, &format!("the group's transaction was lost: {e}")).await;
        return;
    }
    let OpenGroup { txn, mut members, bus, .. } = group;
    let result = txn.commit().await;
    stats.commits.fetch_add(1, Ordering::Relaxed);
    match result {
        Ok(()) => {
            let events: Vec<Event> = members.iter_mut().flat_map(|m| std::mem::take(&mut m.events)).collect();
            publish(bus.as_ref(), events);
            for m in members {
                let _ = m.done.send(Ok(()));
            }
        }
        Err(e) => answer_failure(members, &e.to_string()),
    }
}

/// Rolls the group's transaction back and tells every member it failed.
async fn fail_group(group: OpenGroup, reason: &str) {
    let OpenGroup { txn, members, .. } = group;
    if let Err(e) = txn.rollback().await {
        tracing::warn!(error = %e, "rolling back a failed write group");
    }
    answer_failure(members, reason);
}

fn answer_failure(members: Vec<Member>, reason: &str) {
    tracing::error!(error = %reason, writers = members.len(), "group commit failed");
    for m in members {
        let _ = m.done.send(Err(reason.to_owned()));
    }
}

/// Queues behind the writers waiting now and commits the group they leave open.
fn spawn_flush(gate: &Gate) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let (group, stats) = (gate.group.clone(), gate.stats.clone());
    runtime.spawn(async move {
        let guard = group.lock_owned().await;
        if let Err(e) = finish(guard, &stats).await {
            tracing::error!(error = %e, "flushing a write group");
        }
    });
}

fn publish(bus: Option<&SharedBus>, events: Vec<Event>) {
    if let Some(bus) = bus {
        if !events.is_empty() {
            bus.publish(events);
        }
    }
}
