//! Meilisearch only (PARLEY_TEST_MEILI_URL): an outage that posting does not notice and
//! the index catches up from, and an index of an older schema rebuilt beside the live
//! one and swapped in. The query forms, filters, CJK and the canary run against
//! Meilisearch in search.rs.
use std::time::Duration;

use meilisearch_sdk::indexes::Index;
use parley::jobs::model::job;
use parley::jobs::JobRegistry;
use parley::search::meili::schema::{MetaDoc, DOC_VERSION, META_ID};
use parley::search::meili::MeiliIndex;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::files_support::Proxy;
use crate::helpers::{meili_url, use_meili, TestApp};
use crate::search::{indexed, texts};

fn backend(app: &TestApp) -> MeiliIndex {
    MeiliIndex::new(app.state.db.clone(), &app.state.settings.search.meilisearch).expect("meilisearch client")
}

fn live(app: &TestApp) -> (MeiliIndex, Index) {
    let b = backend(app);
    let index = b.client().index(b.uid());
    (b, index)
}

async fn settle(b: &MeiliIndex, task: meilisearch_sdk::task_info::TaskInfo) {
    let done = task.wait_for_completion(b.client(), None, Some(Duration::from_secs(30))).await.expect("task");
    assert!(done.is_success(), "{done:?}");
}

/// Documents in the live index, the version marker included.
pub async fn documents_in(app: &TestApp) -> usize {
    let (_, index) = live(app);
    index.get_stats().await.expect("stats").number_of_documents
}

/// Waits until Meilisearch has applied every task sent to the live index (index jobs
/// finish when their task is accepted), and checks that none failed.
pub async fn drained(app: &TestApp) {
    use meilisearch_sdk::tasks::TasksSearchQuery;
    let b = backend(app);
    let uid = b.uid().to_owned();
    for _ in 0..600 {
        let mut q = TasksSearchQuery::new(b.client());
        q.with_index_uids([uid.as_str()]).with_statuses(["enqueued", "processing"]);
        if b.client().get_tasks_with(&q).await.expect("tasks").total == 0 {
            let mut failed = TasksSearchQuery::new(b.client());
            failed.with_index_uids([uid.as_str()]).with_statuses(["failed"]);
            let failed = b.client().get_tasks_with(&failed).await.expect("tasks");
            assert_eq!(failed.total, 0, "{:?}", failed.results);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("meilisearch did not apply its tasks");
}

pub async fn delete_all(app: &TestApp) {
    let (b, index) = live(app);
    settle(&b, index.delete_all_documents().await.expect("delete all")).await;
}

async fn jobs_of(app: &TestApp, kind: &str) -> Vec<job::Model> {
    job::Entity::find().filter(job::Column::Kind.eq(kind)).all(&app.state.db.conn).await.expect("jobs")
}

#[tokio::test]
async fn an_outage_delays_indexing_and_loses_nothing() {
    let Some(url) = meili_url() else { return };
    let mut proxy = Proxy::new(&url).await;
    let via = proxy.url();
    // Backoff long enough that only the recovery watcher can bring the jobs back in time.
    let app = TestApp::spawn_with(
        |s| {
            use_meili(s, &via);
            s.search.meilisearch.request_timeout_s = 2;
            s.jobs.backoff_base_s = 600;
        },
        JobRegistry::default(),
    )
    .await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let first = ada.say(general, "before the outage: kestrel").await;
    indexed(&app).await;
    assert_eq!(texts(&ada, "kestrel").await.len(), 1);

    proxy.stop();
    ada.say(general, "during the outage: falcon").await;
    let first_id = first["id"].as_str().expect("id");
    ada.patch(&format!("/api/v1/messages/{first_id}"), json!({"text": "before the outage: osprey"})).await.expect(200);
    ada.get("/api/v1/search?q=falcon").await.expect_err(503, "service_unavailable");
    // Both jobs have tried and failed, and wait ten minutes for their next attempt.
    for _ in 0..200 {
        let jobs = jobs_of(&app, "search.index_message").await;
        if jobs.len() == 2 && jobs.iter().all(|j| j.attempts >= 1 && j.state == "queued") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waiting = jobs_of(&app, "search.index_message").await;
    assert!(waiting.len() == 2 && waiting.iter().all(|j| j.attempts >= 1), "{waiting:?}");

    proxy.start().await;
    indexed(&app).await;
    assert_eq!(texts(&ada, "falcon").await, vec!["during the outage: falcon"]);
    assert_eq!(texts(&ada, "osprey").await, vec!["before the outage: osprey"]);
    assert!(texts(&ada, "kestrel").await.is_empty(), "the edit replaced the old words");
}

#[tokio::test]
async fn an_index_of_an_older_schema_is_rebuilt_beside_and_swapped_in() {
    if meili_url().is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    for word in ["heron", "egret", "bittern"] {
        ada.say(general, &format!("wading bird: {word}")).await;
    }
    indexed(&app).await;
    let (b, index) = live(&app);
    let meta: MetaDoc = index.get_document(META_ID).await.expect("version marker");
    assert_eq!(meta.doc_version, DOC_VERSION);
    // Start-up again changes nothing and queues nothing.
    app.state.search.prepare().await.expect("prepare");
    assert!(jobs_of(&app, "search.rebuild").await.is_empty());

    // Now the index looks written by an older Parley: older marker, a document missing,
    // a setting drifted.
    let old = MetaDoc { id: META_ID.into(), doc_version: 0 };
    settle(&b, index.add_or_replace(&[old], Some("id")).await.expect("marker")).await;
    let heron = texts(&ada, "heron").await;
    assert_eq!(heron.len(), 1);
    let found = ada.get("/api/v1/search?q=heron").await.body;
    let heron_id = found["results"][0]["message"]["id"].as_str().expect("id").to_owned();
    settle(&b, index.delete_document(&heron_id).await.expect("delete")).await;
    let drifted = meilisearch_sdk::settings::Settings::new().with_sortable_attributes(Vec::<String>::new());
    settle(&b, index.set_settings(&drifted).await.expect("settings")).await;

    // Posted long before the rebuild starts: only the bulk fill (not the catch-up of
    // recent changes) can bring the missing document back.
    use sea_orm::ConnectionTrait;
    app.state.db.conn.execute_unprepared("UPDATE messages SET created_at = created_at - 86400000").await.expect("age");
    app.state.search.prepare().await.expect("prepare");
    let sortable = index.get_sortable_attributes().await.expect("sortable");
    assert_eq!(sortable, vec!["created_at".to_owned()], "settings are put back at start-up");
    assert_eq!(jobs_of(&app, "search.rebuild").await.len(), 1, "a rebuild is queued");
    for _ in 0..400 {
        if jobs_of(&app, "search.rebuild").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(jobs_of(&app, "search.rebuild").await.is_empty(), "the rebuild finished");
    assert_eq!(texts(&ada, "heron").await, heron, "the rebuilt index has every message");
    assert_eq!(texts(&ada, "wading").await.len(), 3);
    let meta: MetaDoc = index.get_document(META_ID).await.expect("version marker");
    assert_eq!(meta.doc_version, DOC_VERSION);
    let mut all = meilisearch_sdk::indexes::IndexesQuery::new(b.client());
    all.with_limit(10_000);
    let indexes = all.execute().await.expect("indexes");
    let left: Vec<&str> = indexes.results.iter().map(|i| i.uid.as_str()).filter(|u| u.starts_with(b.uid())).collect();
    assert_eq!(left, vec![b.uid()], "the old index was dropped after the swap");
    let count = job::Entity::find().count(&app.state.db.conn).await.expect("count");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn the_index_of_a_rebuild_cut_short_by_a_crash_is_dropped_and_a_running_ones_kept() {
    if meili_url().is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let b = backend(&app);
    let seven_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7 * 3600);
    let since = seven_hours_ago.duration_since(std::time::UNIX_EPOCH).expect("clock");
    let old = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, since.as_secs(), since.subsec_nanos()));
    let crashed = format!("{}_next_{}", b.uid(), old.simple());
    let running = format!("{}_next_{}", b.uid(), uuid::Uuid::now_v7().simple());
    let unrelated = format!("{}x_next_{}", b.uid(), old.simple());
    for uid in [&crashed, &running, &unrelated] {
        settle(&b, b.client().create_index(uid.as_str(), Some("id")).await.expect("create")).await;
    }
    assert_eq!(b.drop_stray_rebuilds().await.expect("sweep"), vec![crashed.clone()]);
    let exists = |uid: String| {
        let client = b.client().clone();
        async move { client.get_index(uid).await.is_ok() }
    };
    assert!(!exists(crashed).await, "the crashed rebuild's index is gone");
    assert!(exists(running.clone()).await, "a rebuild still filling is left alone");
    assert!(exists(unrelated.clone()).await, "another index's names are not ours");
    for uid in [running, unrelated] {
        settle(&b, b.client().delete_index(uid).await.expect("delete")).await;
    }
}
