//! SQLite's group commit, driven from inside: a writer that fails leaves the others'
//! writes to commit, and a group whose transaction was lost fails every member instead
//! of reporting a commit that did not happen.
use std::future::Future;
use std::time::Duration;

use parley::db::{Db, WriteTx};
use parley::jobs::model::job;
use parley::jobs::queue;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestApp;

/// A row of a kind no worker runs, so it stays where the test put it.
async fn mark(conn: &impl ConnectionTrait) -> Uuid {
    queue::enqueue(conn, "test.group_commit", &json!({}), 1, 0).await.expect("insert a row")
}

async fn stored(db: &Db, id: Uuid) -> bool {
    job::Entity::find_by_id(id).one(&db.conn).await.expect("read").is_some()
}

/// A server on SQLite: PostgreSQL runs transactions side by side, not in groups.
async fn sqlite_app() -> Option<TestApp> {
    let app = TestApp::spawn().await;
    (!app.is_postgres()).then_some(app)
}

/// The gate and the pool are healthy: a new write commits and can be read back.
async fn a_later_write_commits(db: &Db) {
    let after = db.write().await.expect("begin after");
    let next = mark(&*after).await;
    after.commit().await.expect("a later write commits");
    assert!(stored(db, next).await, "the later write is stored");
}

async fn until_queued(db: &Db, n: usize) {
    for _ in 0..500 {
        if db.writers_queued() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no writer queued at the gate");
}

/// A leader whose commit finds a second writer queued leaves its transaction open for
/// it; `second` then runs inside a savepoint of that group. Returns the leader's row and
/// how its commit ended.
async fn leader_then<F, Fut>(db: &Db, second: F) -> (Uuid, bool)
where
    F: FnOnce(WriteTx) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let tx = db.write().await.expect("begin");
    let row = mark(&*tx).await;
    let db2 = db.clone();
    let joiner = tokio::spawn(async move {
        let tx = db2.write().await.expect("join");
        second(tx).await;
    });
    until_queued(db, 1).await;
    let committed = tx.commit().await.is_ok();
    joiner.await.expect("joiner");
    (row, committed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_writer_in_a_group_leaves_the_others_to_commit() {
    let Some(app) = sqlite_app().await else { return };
    let db = &app.state.db;
    let (kept_tx, kept_rx) = tokio::sync::oneshot::channel();
    let (row, committed) = leader_then(db, move |tx| async move {
        let lost = mark(&*tx).await;
        let _ = kept_tx.send(lost);
        assert!(tx.execute_unprepared("SELECT * FROM no_such_table").await.is_err());
        // Dropped without commit: its savepoint rolls back, and the group closes.
    })
    .await;
    assert!(committed, "the leader's commit stands");
    assert!(stored(db, row).await, "the leader's row is stored");
    let lost = kept_rx.await.expect("row id");
    assert!(!stored(db, lost).await, "the failed writer's row is not");
    a_later_write_commits(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_whose_transaction_was_lost_fails_every_member() {
    let Some(app) = sqlite_app().await else { return };
    let db = &app.state.db;
    let (row, committed) = leader_then(db, |tx| async move {
        // What SQLite does by itself on a full disk or an I/O error.
        tx.execute_unprepared("ROLLBACK").await.expect("rollback");
        assert!(tx.commit().await.is_err(), "the writer whose transaction is gone is told so");
    })
    .await;
    assert!(!committed, "the leader is not told its writes committed");
    assert!(!stored(db, row).await, "and indeed they did not");
    a_later_write_commits(db).await;
}

/// A request cancelled in the middle of joining (its SAVEPOINT sent, not yet answered)
/// leaves a half-made savepoint whose rollback takes the group's transaction with it
/// (unless the SAVEPOINT finished first, when only it is undone): either way the leader
/// waiting in that group is told exactly what happened to its writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_cancelled_while_joining_leaves_the_group_told_the_truth() {
    let Some(app) = sqlite_app().await else { return };
    let db = app.state.db.clone();
    let tx = db.write().await.expect("begin");
    let row = mark(&*tx).await;
    let mut joining = Box::pin(db.write());
    assert!(futures_util::poll!(joining.as_mut()).is_pending(), "the second writer queues at the gate");
    until_queued(&db, 1).await;
    let groups = db.write_stats().expect("SQLite").groups;
    let leader = tokio::spawn(async move { tx.commit().await.is_ok() });
    // The leader leaves the group open for the queued writer and hands it the gate.
    for _ in 0..500 {
        if db.write_stats().expect("SQLite").groups > groups {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Usually its SAVEPOINT is on its way now; rarely it is already made (then the poll
    // is Ready and only the savepoint is undone). Either way it is dropped here.
    let _ = futures_util::poll!(joining.as_mut());
    drop(joining);
    let committed = leader.await.expect("leader");
    assert_eq!(stored(&db, row).await, committed, "the leader's answer matches what is stored");
    a_later_write_commits(&db).await;
}
