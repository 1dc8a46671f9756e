//! The durable job queue: retries with backoff, parking after max attempts, and
//! recovery of jobs whose worker died mid-run.
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley::clock::now_ms;
use parley::jobs::model::job;
use parley::jobs::queue::{self, backoff_s};
use parley::jobs::{JobFuture, JobHandler, JobRegistry};
use parley::settings::{JobSettings, Settings};
use parley::state::AppState;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::TestApp;

/// Fails its first `failures` runs, then succeeds; counts runs and keeps payloads.
struct Scripted {
    runs: Arc<AtomicUsize>,
    failures: usize,
    payloads: Arc<Mutex<Vec<Value>>>,
}

impl JobHandler for Scripted {
    fn run(&self, _state: AppState, payload: Value) -> JobFuture {
        let n = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut p) = self.payloads.lock() {
            p.push(payload);
        }
        let fail = n <= self.failures;
        Box::pin(async move {
            if fail {
                anyhow::bail!("simulated failure {n}");
            }
            Ok(())
        })
    }
}

struct Harness {
    app: TestApp,
    runs: Arc<AtomicUsize>,
    payloads: Arc<Mutex<Vec<Value>>>,
}

/// A server whose worker runs kind "work" with `failures` scripted failures, and
/// kind "marker", which always succeeds (a barrier: once a later marker is done,
/// the worker has had its chance at everything due before it).
async fn harness(failures: usize, tweak: impl FnOnce(&mut Settings)) -> Harness {
    let runs = Arc::new(AtomicUsize::new(0));
    let payloads = Arc::new(Mutex::new(Vec::new()));
    let mut registry = JobRegistry::default();
    registry.register("work", Arc::new(Scripted { runs: runs.clone(), failures, payloads: payloads.clone() }));
    let marker = Scripted { runs: Arc::new(AtomicUsize::new(0)), failures: 0, payloads: Arc::default() };
    registry.register("marker", Arc::new(marker));
    let app = TestApp::spawn_with(tweak, registry).await;
    Harness { app, runs, payloads }
}

async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn row(app: &TestApp, id: Uuid) -> Option<job::Model> {
    job::Entity::find_by_id(id).one(&app.state.db.conn).await.expect("read job row")
}

async fn wait_gone(app: &TestApp, id: Uuid, what: &str) {
    eventually(what, || async move { row(app, id).await.is_none() }).await;
}

async fn barrier(app: &TestApp) {
    let id = queue::enqueue(&app.state.db.conn, "marker", &json!({}), 1, 0).await.expect("enqueue marker");
    wait_gone(app, id, "the marker job ran").await;
}

#[tokio::test]
async fn a_failing_job_is_retried_until_it_succeeds() {
    let h = harness(2, |s| s.jobs.backoff_base_s = 0).await;
    let payload = json!({"message_id": "m-1", "attempt_note": "é ✓"});
    let id = queue::enqueue(&h.app.state.db.conn, "work", &payload, 5, 0).await.expect("enqueue");
    wait_gone(&h.app, id, "the job succeeded and its row was deleted").await;
    assert_eq!(h.runs.load(Ordering::SeqCst), 3, "two failures, then success");
    let seen = h.payloads.lock().expect("payloads").clone();
    assert_eq!(seen, vec![payload.clone(), payload.clone(), payload], "every run gets the stored payload");
    barrier(&h.app).await;
    assert_eq!(h.runs.load(Ordering::SeqCst), 3, "a finished job never runs again");
}

#[tokio::test]
async fn a_job_that_always_fails_is_parked_after_max_attempts() {
    let h = harness(usize::MAX, |s| s.jobs.backoff_base_s = 0).await;
    let id = queue::enqueue(&h.app.state.db.conn, "work", &json!({}), 3, 0).await.expect("enqueue");
    let app = &h.app;
    eventually("the job is parked as failed", || async move {
        row(app, id).await.is_some_and(|r| r.state == queue::FAILED)
    })
    .await;
    let r = row(&h.app, id).await.expect("failed jobs are kept");
    assert_eq!((r.attempts, r.max_attempts), (3, 3));
    assert_eq!(r.last_error.as_deref(), Some("simulated failure 3"));
    assert_eq!(r.locked_until, None);
    barrier(&h.app).await;
    assert_eq!(h.runs.load(Ordering::SeqCst), 3, "a parked job is not retried");
    assert_eq!(row(&h.app, id).await.expect("still there").attempts, 3);
}

#[tokio::test]
async fn a_failed_attempt_waits_out_its_backoff() {
    let h = harness(usize::MAX, |s| s.jobs.backoff_base_s = 30).await;
    let id = queue::enqueue(&h.app.state.db.conn, "work", &json!({}), 5, 0).await.expect("enqueue");
    let app = &h.app;
    eventually("the first attempt failed", || async move {
        row(app, id).await.is_some_and(|r| r.attempts == 1 && r.state == queue::QUEUED)
    })
    .await;
    let r = row(&h.app, id).await.expect("row");
    assert_eq!(r.run_at - r.updated_at, 30_000, "base · 2^0 seconds");
    assert_eq!(r.last_error.as_deref(), Some("simulated failure 1"));
    barrier(&h.app).await;
    assert_eq!(h.runs.load(Ordering::SeqCst), 1, "not retried before its time");
}

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    let s = JobSettings { poll_ms: 500, max_attempts: 8, lease_s: 60, backoff_base_s: 2, backoff_max_s: 3600 };
    let got: Vec<i64> = (1..=13).map(|a| backoff_s(a, &s)).collect();
    assert_eq!(got, [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]);
    for a in [40, 1000, i32::MAX] {
        assert_eq!(backoff_s(a, &s), 3600, "attempt {a}");
    }
    assert_eq!(backoff_s(0, &s), 2, "never below the base");
    let huge = JobSettings { backoff_base_s: i64::MAX / 4, backoff_max_s: 86_400, ..s };
    assert_eq!(backoff_s(30, &huge), 86_400, "no overflow past the cap");
}

async fn insert_running(app: &TestApp, locked_until: i64) -> Uuid {
    insert_running_at(app, locked_until, 1, 5).await
}

async fn insert_running_at(app: &TestApp, locked_until: i64, attempts: i32, max_attempts: i32) -> Uuid {
    let now = now_ms();
    let id = Uuid::now_v7();
    job::ActiveModel {
        id: Set(id),
        kind: Set("work".into()),
        payload: Set(json!({"orphan": true}).to_string()),
        state: Set(queue::RUNNING.into()),
        attempts: Set(attempts),
        max_attempts: Set(max_attempts),
        run_at: Set(now - 120_000),
        locked_until: Set(Some(locked_until)),
        last_error: Set(None),
        created_at: Set(now - 120_000),
        updated_at: Set(now - 120_000),
    }
    .insert(&app.state.db.conn)
    .await
    .expect("insert job row");
    id
}

#[tokio::test]
async fn a_job_whose_worker_died_is_picked_up_again_once_its_lease_runs_out() {
    let h = harness(0, |_| {}).await;
    // One claimed by a worker that died a minute ago, one whose worker is still within its lease.
    let live = insert_running(&h.app, now_ms() + 600_000).await;
    let orphan = insert_running(&h.app, now_ms() - 60_000).await;
    wait_gone(&h.app, orphan, "the orphaned job ran to completion").await;
    assert_eq!(h.runs.load(Ordering::SeqCst), 1);
    assert_eq!(h.payloads.lock().expect("payloads")[0], json!({"orphan": true}));

    barrier(&h.app).await;
    let r = row(&h.app, live).await.expect("a job under a live lease is left alone");
    assert_eq!((r.state.as_str(), r.attempts), (queue::RUNNING, 1));
    assert_eq!(h.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_job_whose_worker_died_on_its_last_attempt_is_parked_not_rerun() {
    let h = harness(0, |_| {}).await;
    let id = insert_running_at(&h.app, now_ms() - 60_000, 3, 3).await;
    barrier(&h.app).await;
    let r = row(&h.app, id).await.expect("the row is kept for inspection");
    assert_eq!((r.state.as_str(), r.attempts), (queue::FAILED, 3));
    assert!(r.last_error.is_some_and(|e| e.contains("last attempt")));
    assert_eq!(h.runs.load(Ordering::SeqCst), 0, "never run beyond max_attempts");
}

/// A completed job is deleted together with the next claim: a burst of due jobs all run
/// exactly once, and none of their rows is left behind.
#[tokio::test]
async fn a_burst_of_jobs_each_runs_once_and_leaves_no_row() {
    let h = harness(0, |_| {}).await;
    let conn = &h.app.state.db.conn;
    let jobs = queue::enqueue_all(
        conn,
        (0..40).map(|i| queue::NewJob { kind: "work", payload: json!({ "n": i }), max_attempts: 3, delay_ms: 0 }),
    );
    jobs.await.expect("enqueue");
    eventually("every job ran", || async { h.runs.load(Ordering::SeqCst) >= 40 }).await;
    barrier(&h.app).await;
    assert_eq!(h.runs.load(Ordering::SeqCst), 40, "each job ran exactly once");
    let left = job::Entity::find().all(conn).await.expect("jobs");
    assert!(left.is_empty(), "no row left behind: {left:?}");
}

/// Takes a while, so a worker is stopped in the middle of a batch.
struct Slow(Arc<AtomicUsize>, Arc<Mutex<Vec<Value>>>);

impl JobHandler for Slow {
    fn run(&self, _state: AppState, payload: Value) -> JobFuture {
        self.0.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut p) = self.1.lock() {
            p.push(payload);
        }
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Ok(())
        })
    }
}

/// A worker claims jobs in batches; stopped after the first of five, it finishes that
/// one and hands the four it never started back to the queue, their attempt not counted.
#[tokio::test]
async fn a_stopped_worker_hands_back_the_jobs_it_had_not_started() {
    let runs = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(Mutex::new(Vec::new()));
    let mut registry = JobRegistry::default();
    registry.register("slow", Arc::new(Slow(runs.clone(), ran.clone())));
    let app = TestApp::spawn_with(|_| {}, registry).await;
    let conn = &app.state.db.conn;
    let jobs = (0..5).map(|i| queue::NewJob { kind: "slow", payload: json!({ "n": i }), max_attempts: 3, delay_ms: 0 });
    queue::enqueue_all(conn, jobs).await.expect("enqueue");
    eventually("the first job started", || async { runs.load(Ordering::SeqCst) >= 1 }).await;
    let claimed = job::Entity::find().all(conn).await.expect("jobs");
    assert!(
        claimed.iter().all(|j| j.state == queue::RUNNING && j.attempts == 1),
        "all five are claimed in one batch: {claimed:?}"
    );
    app.shutdown().await;
    eventually("the worker settled its batch", || async {
        job::Entity::find().all(conn).await.expect("jobs").iter().all(|j| j.state == queue::QUEUED)
    })
    .await;
    let left = job::Entity::find().all(conn).await.expect("jobs");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "only the first job ran");
    assert_eq!(left.len(), 4, "the finished job is deleted: {left:?}");
    let ran = ran.lock().expect("payloads")[0].to_string();
    assert!(!left.iter().any(|j| j.payload == ran), "the job that ran ({ran}) is the one deleted");
    assert!(left.iter().all(|j| j.attempts == 0 && j.locked_until.is_none()), "handed back unspent: {left:?}");
}

/// Takes every claimed job of its kind at once; fails any call that holds `{"n": 3}`.
struct Batching(Arc<Mutex<Vec<usize>>>);

impl JobHandler for Batching {
    fn run(&self, state: AppState, payload: Value) -> JobFuture {
        self.run_many(state, vec![payload])
    }
    fn batches(&self) -> bool {
        true
    }
    fn run_many(&self, _state: AppState, payloads: Vec<Value>) -> JobFuture {
        if let Ok(mut calls) = self.0.lock() {
            calls.push(payloads.len());
        }
        let bad = payloads.iter().any(|p| p["n"] == 3);
        Box::pin(async move {
            if bad {
                anyhow::bail!("job 3 always fails");
            }
            Ok(())
        })
    }
}

/// Jobs of a kind that batches, claimed together, run in one call. When that call
/// fails they run again one by one, so the one bad job fails alone and the other nine
/// are done (not charged an attempt each, nor held back with it).
#[tokio::test]
async fn a_bad_job_in_a_batch_fails_alone() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut registry = JobRegistry::default();
    registry.register("batched", Arc::new(Batching(calls.clone())));
    let app = TestApp::spawn_with(|s| s.jobs.backoff_base_s = 60, registry).await;
    let conn = &app.state.db.conn;
    let jobs =
        (0..10).map(|i| queue::NewJob { kind: "batched", payload: json!({ "n": i }), max_attempts: 3, delay_ms: 0 });
    queue::enqueue_all(conn, jobs).await.expect("enqueue");
    eventually("only the bad job is left", || async { job::Entity::find().all(conn).await.expect("jobs").len() == 1 })
        .await;
    let left = job::Entity::find().all(conn).await.expect("jobs");
    assert!(left[0].payload.contains("\"n\":3"), "the one left is the bad one: {left:?}");
    assert_eq!((left[0].state.as_str(), left[0].attempts), (queue::QUEUED, 1), "waiting for its retry");
    assert_eq!(
        calls.lock().expect("calls")[..],
        [10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "all ten at once, then one by one"
    );
}

/// An idle worker only reads: once its last completed job is deleted, polling for more
/// takes no turn at the write gate (it would join and slow the requests' writes).
#[tokio::test]
async fn an_idle_worker_writes_nothing() {
    let h = harness(0, |s| s.jobs.poll_ms = 20).await;
    barrier(&h.app).await;
    let Some(before) = h.app.state.db.write_stats().map(|c| c.writers) else { return }; // SQLite's gate only
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after = h.app.state.db.write_stats().expect("stats").writers;
    assert!(after - before <= 1, "an idle worker wrote {} times in a second", after - before);
}
