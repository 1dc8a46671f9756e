//! The embedded index's query plans: a term's matches paged newest first across readable
//! and unreadable channels, with terms on both of SQLite's tables; on SQLite, documents
//! keyed by their time (two of one millisecond sharing their key's bits; an index
//! written before keys carried time, re-keyed in the background while searches stay right).
use std::time::Duration;

use parley::search::pg_match::{indexable, matches_first, Typos};
use parley::search::query::parse;
use parley::search::service::{search_in, Request, SearchPage};
use parley::search::vocabulary::Vocabulary;
use parley::search::{Doc, Scoped, Sort};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::search::{indexed, texts, texts_with};

/// 24 messages over three channels, one private to ada; bob reads two of them. Returns
/// bob and the texts he may find, newest first.
async fn world(app: &TestApp) -> (crate::helpers::Client, Vec<String>) {
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let ops = ada.channel(ws, "ops", false).await;
    let secret = ada.channel(ws, "secret", true).await;
    bob.post_empty(&format!("/api/v1/channels/{ops}/join")).await.expect(204);
    let mut readable = Vec::new();
    for i in 0..24 {
        let text = format!("turbine report {i:02}");
        let channel = [general, ops, secret][i % 3];
        ada.say(channel, &text).await;
        if channel != secret {
            readable.push(text);
        }
        // One message per millisecond or more: "newest first" has one right answer.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    indexed(app).await;
    readable.reverse();
    (bob, readable)
}

#[tokio::test]
async fn pages_of_a_common_word_are_newest_first_without_overlap() {
    let app = TestApp::spawn().await;
    let (bob, expected) = world(&app).await;
    for q in ["turbine", "report tu*", "turbine \"report 1\"", "urbin"] {
        let mut pages = Vec::new();
        for page in 1..=4 {
            pages.extend(texts_with(&bob, q, &format!("&sort=newest&per_page=5&page={page}")).await);
        }
        let want: Vec<String> = expected
            .iter()
            .filter(|t| !q.contains("\"report 1\"") || t.starts_with("turbine report 1"))
            .cloned()
            .collect();
        assert_eq!(pages, want, "{q}");
        let mut relevance = texts_with(&bob, q, "&per_page=50").await;
        relevance.sort();
        let mut want = want;
        want.sort();
        assert_eq!(relevance, want, "{q}: relevance finds the same messages");
    }
}

fn doc(id: Uuid, channel: Uuid, created_at: i64, text: &str) -> Doc {
    Doc {
        message_id: id,
        workspace_id: channel,
        channel_id: channel,
        author_id: channel,
        created_at,
        is_thread: false,
        has_file: false,
        has_link: false,
        text: text.to_owned(),
        file_names: Vec::new(),
    }
}

async fn keys(app: &TestApp) -> Vec<(i64, i64)> {
    let rows = app
        .state
        .db
        .conn
        .query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT id, created_at FROM search_docs ORDER BY id"))
        .await
        .expect("keys");
    rows.iter().map(|r| (r.try_get_by_index(0).expect("id"), r.try_get_by_index(1).expect("created_at"))).collect()
}

/// Every key is its message's time, or a little later when that millisecond was taken.
fn keyed_by_time(keys: &[(i64, i64)]) -> bool {
    keys.iter().all(|(key, at)| key >= at && *key < at + (1 << 20))
}

#[tokio::test]
async fn documents_of_one_millisecond_get_the_next_free_keys_and_keep_them() {
    let app = TestApp::spawn().await;
    if app.is_postgres() || app.is_meili() {
        return;
    }
    let ms = 1_765_000_000_123;
    let channel = Uuid::now_v7();
    let index = app.state.search.clone();
    // One already there, one a millisecond later, then 300 more of the first millisecond
    // in one batch (an import): they fill the free keys around the one taken.
    let (first, later) = (Uuid::now_v7(), Uuid::now_v7());
    index.upsert(vec![doc(first, channel, ms, "first")]).await.expect("first");
    index.upsert(vec![doc(later, channel, ms + 1, "later")]).await.expect("later");
    let burst: Vec<Doc> = (0..300).map(|i| doc(Uuid::now_v7(), channel, ms, &format!("burst {i}"))).collect();
    index.upsert(burst.clone()).await.expect("burst");
    let before = keys(&app).await;
    assert_eq!(before.len(), 302);
    assert!(keyed_by_time(&before), "{before:?}");
    assert_eq!(before.first().map(|k| k.0), Some(ms));
    assert_eq!(before.last().map(|k| k.0), Some(ms + 301), "no key skipped, none shared");
    // Indexed again (an edit of each): every document keeps its key.
    index.upsert(burst).await.expect("again");
    index.upsert(vec![doc(first, channel, ms, "first, edited")]).await.expect("edit");
    assert_eq!(keys(&app).await, before);
}

#[tokio::test]
async fn an_index_written_before_keys_carried_time_is_rekeyed_and_stays_right() {
    let app = TestApp::spawn().await;
    if app.is_postgres() || app.is_meili() {
        return;
    }
    let (bob, expected) = world(&app).await;
    // Renumber the documents 1, 2, 3, … as the first version did, newest first so that
    // key order is the reverse of time order; the FTS rows move with them.
    // One transaction: the temporary tables live on its connection.
    let tx = app.state.db.conn.begin().await.expect("begin");
    for sql in [
        "CREATE TEMP TABLE renumber AS SELECT id AS old, ROW_NUMBER() OVER (ORDER BY message_id DESC) AS new FROM search_docs",
        "CREATE TEMP TABLE grams_copy AS SELECT r.new AS rowid_new, m.body AS text FROM renumber r \
         JOIN search_docs d ON d.id = r.old JOIN messages m ON m.id = d.message_id",
        "DELETE FROM search_grams",
        "DELETE FROM search_words",
        "UPDATE search_docs SET id = -(SELECT new FROM renumber WHERE old = search_docs.id)",
        "UPDATE search_docs SET id = -id",
        "INSERT INTO search_grams (rowid, text) SELECT rowid_new, text FROM grams_copy",
        "INSERT INTO search_words (rowid, text) SELECT rowid_new, text FROM grams_copy",
    ] {
        tx.execute_unprepared(sql).await.expect(sql);
    }
    tx.commit().await.expect("commit");
    assert!(keys(&app).await.iter().all(|(key, _)| *key < 100));
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(
        texts_with(&bob, "turbine", "&sort=newest&per_page=50").await,
        reversed,
        "walking keys that are not times gives the wrong order: what prepare must detect"
    );

    app.state.search.prepare().await.expect("prepare");
    // Right while the background rebuild runs, and after it.
    for _ in 0..200 {
        assert_eq!(texts_with(&bob, "turbine", "&sort=newest&per_page=50").await, expected);
        if keyed_by_time(&keys(&app).await) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(keyed_by_time(&keys(&app).await), "every document re-keyed");
    assert_eq!(texts_with(&bob, "turbine", "&sort=newest&per_page=50").await, expected);
    assert_eq!(texts(&bob, "\"report 07\"").await, vec!["turbine report 07"]);
}

/// PostgreSQL answers from a window of the searcher's newest documents, a wider window,
/// the matches first, or its planner's plan (pg_match.rs); with a window of four
/// documents each is taken here, and each must answer as the default index does — and
/// as the messages say. On SQLite the window is unused: the same answers, one plan.
#[tokio::test]
async fn every_plan_answers_the_same_whatever_the_window() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let secret = ada.channel(ws, "secret", true).await;
    let mut readable = Vec::new();
    for i in 0..30 {
        // The older messages hold the rarer words: the newest few hold none of them.
        let text = match i {
            0..=5 => format!("zeppelin 会議 x-y-z turbine {i:02}"),
            6..=11 => format!("status update turbine {i:02}"),
            _ => format!("turbine report {i:02}"),
        };
        let channel = if i % 5 == 4 { secret } else { general };
        ada.say(channel, &text).await;
        if channel == general {
            readable.push(text);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    indexed(&app).await;
    readable.reverse();

    let db = &app.state.db;
    let narrow = parley::search::embedded::DbIndex::new(db.clone()).with_window(4);
    // Every plan: "turbine" from the window, the wider window and (pages 2–3) matches
    // first; "zeppelin" and "会議" (its CJK index) matches first; "x-y-z" has no
    // trigram, so PostgreSQL's planner answers it.
    let queries =
        ["turbine", "turbime", "report", "\"status update\"", "zeppelin", "会議", "turb* 会議", "x-y-z", "nothing"];
    for q in queries {
        let words: Vec<&str> = q.split(' ').collect();
        let want: Vec<&String> = readable
            .iter()
            .filter(|t| match q {
                "turbime" => t.contains("turbine"),
                "turb* 会議" => t.contains("会議"),
                _ => t.contains(words[0].trim_matches('"')),
            })
            .collect();
        for sort in [Sort::Newest, Sort::Relevance] {
            for page in 1..=3 {
                let ask = || Request { q: q.to_owned(), workspace_id: None, sort, page, per_page: 5 };
                let default = search_in(db, app.state.search.as_ref(), bob.user_id, ask()).await.expect("default");
                let narrowed = search_in(db, &narrow, bob.user_id, ask()).await.expect("narrow window");
                let ids = |p: &SearchPage| p.results.iter().map(|r| r.message.id).collect::<Vec<_>>();
                assert_eq!(ids(&narrowed), ids(&default), "{q}, {sort:?}, page {page}");
                assert_eq!(narrowed.has_more, default.has_more, "{q}, {sort:?}, page {page}");
                if sort == Sort::Newest {
                    let texts: Vec<&String> = narrowed.results.iter().map(|r| &r.message.text).collect();
                    let from = usize::try_from((page - 1) * 5).expect("offset").min(want.len());
                    assert_eq!(texts, want[from..(from + 5).min(want.len())].to_vec(), "{q}, page {page}");
                }
            }
        }
    }
}

/// PostgreSQL: a CJK word of two characters has no trigram; the matches-first plan
/// looks it up in the partial index of CJK characters (migration m0016), which it uses
/// only if the query's expression is the index's, character for character.
#[tokio::test]
async fn a_short_cjk_word_is_looked_up_in_its_index() {
    let app = TestApp::spawn().await;
    if !app.state.db.is_postgres() {
        return;
    }
    let q = Scoped { query: parse("会議").expect("query"), channels: vec![Uuid::now_v7()], authors: Vec::new() };
    let typos = Typos::of(&app.state.db, &Vocabulary::default(), &q).await.expect("typos");
    assert!(indexable(&q, &typos));
    let stmt = matches_first(&q, &typos, 20, 0);
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN {}", stmt.sql),
        stmt.values.map(|v| v.0).unwrap_or_default(),
    );
    let tx = app.state.db.conn.begin().await.expect("begin");
    tx.execute_unprepared("SET LOCAL enable_seqscan = off").await.expect("set");
    let mut plan = String::new();
    for row in tx.query_all_raw(explain).await.expect("explain") {
        plan.push_str(&row.try_get_by_index::<String>(0).expect("line"));
        plan.push('\n');
    }
    tx.rollback().await.expect("rollback");
    assert!(plan.contains("idx_search_docs_cjk"), "{plan}");
}
