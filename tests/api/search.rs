//! Search on the embedded backend (SQLite here, PostgreSQL in CI) and on Meilisearch
//! when PARLEY_TEST_MEILI_URL is set: every filter and
//! query form, partial words, typos, CJK, edits and deletes, and a canary word that
//! must never reach anyone who may not read it.
use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp};

/// Waits until every queued indexing job has run.
pub async fn indexed(app: &TestApp) {
    use parley::jobs::model::job;
    for _ in 0..400 {
        let pending = job::Entity::find()
            .filter(job::Column::Kind.eq("search.index_message"))
            .count(&app.state.db.conn)
            .await
            .expect("count jobs");
        if pending == 0 {
            if app.is_meili() {
                crate::search_meili::drained(app).await;
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let stuck = job::Entity::find()
        .filter(job::Column::Kind.eq("search.index_message"))
        .all(&app.state.db.conn)
        .await
        .expect("jobs");
    panic!("indexing jobs did not finish: {stuck:?}");
}

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn search(c: &Client, q: &str, extra: &str) -> Value {
    let r = c.get(&format!("/api/v1/search?q={}{extra}", encode(q))).await;
    assert_eq!(r.status, 200, "{q}: {:?}", r.body);
    r.body
}

/// The texts of the results, in order.
pub async fn texts(c: &Client, q: &str) -> Vec<String> {
    texts_with(c, q, "").await
}

pub async fn texts_with(c: &Client, q: &str, extra: &str) -> Vec<String> {
    let body = search(c, q, extra).await;
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["message"]["text"].as_str().expect("text").to_owned())
        .collect()
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().and_then(|s| s.parse().ok()).expect("id")
}

#[tokio::test]
async fn every_query_form_and_filter() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let ops = ada.channel(ws, "ops", false).await;
    let random = ada.channel(ws, "random", false).await;
    bob.post_empty(&format!("/api/v1/channels/{ops}/join")).await.expect(204);
    bob.post_empty(&format!("/api/v1/channels/{random}/join")).await.expect(204);

    ada.say(ops, "Deployment of the billing service finished").await;
    let plan = bob.say(ops, "Rollback plan for the release train").await;
    bob.say(random, "lunch at noon? https://example.com/menu").await;
    let up = crate::files_support::upload(&ada, ops, "diagram.png", crate::files_support::png(4, 4)).await;
    let fid = up.expect(201).id();
    ada.post(&format!("/api/v1/channels/{ops}/messages"), json!({"text": "architecture sketch", "file_ids": [fid]}))
        .await
        .expect(201);
    ada.post(&format!("/api/v1/channels/{ops}/messages"), json!({"text": "looks good", "thread_root_id": id(&plan)}))
        .await
        .expect(201);
    indexed(&app).await;

    let deployment = "Deployment of the billing service finished".to_owned();
    assert_eq!(texts(&bob, "deployment").await, vec![deployment.clone()], "a whole word, any case");
    if !app.is_meili() {
        // Meilisearch matches the starts of words (below), not their middles.
        assert_eq!(texts(&bob, "ploym").await, vec![deployment.clone()], "part of a word");
    }
    assert_eq!(texts(&bob, "deploym").await, vec![deployment.clone()], "the start of a word");
    assert_eq!(texts(&bob, "deplo*").await, vec![deployment.clone()], "a prefix");
    assert_eq!(texts(&bob, "deploymnet").await, vec![deployment.clone()], "one typo");
    assert_eq!(texts(&bob, "biling servce").await, vec![deployment.clone()], "a typo in each word");
    assert_eq!(texts(&bob, "\"release train\"").await, vec!["Rollback plan for the release train"]);
    assert!(texts(&bob, "\"train release\"").await.is_empty(), "a phrase keeps its order");
    assert_eq!(texts(&bob, "diagram").await, vec!["architecture sketch"], "attachment names are searched");

    assert_eq!(texts(&bob, "from:@bob").await.len(), 2);
    assert_eq!(texts(&bob, "from:bob in:#random").await, vec!["lunch at noon? https://example.com/menu"]);
    assert_eq!(texts(&bob, "has:link").await, vec!["lunch at noon? https://example.com/menu"]);
    assert_eq!(texts(&bob, "has:file").await, vec!["architecture sketch"]);
    let mut threads = texts(&bob, "is:thread").await;
    threads.sort();
    assert_eq!(threads, vec!["Rollback plan for the release train", "looks good"]);

    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let yesterday = today.previous_day().expect("yesterday");
    assert_eq!(texts(&bob, &format!("on:{}", day(today))).await.len(), 5);
    assert!(texts(&bob, &format!("before:{}", day(today))).await.is_empty());
    assert_eq!(texts(&bob, &format!("after:{} from:@ada", day(yesterday))).await.len(), 3);

    // Newest first, paged; the pages do not overlap and say whether more follow.
    let newest = texts_with(&bob, "in:#ops", "&sort=newest").await;
    assert_eq!(newest.first().map(String::as_str), Some("looks good"));
    let p1 = search(&bob, "in:#ops", "&sort=newest&per_page=2&page=1").await;
    let p2 = search(&bob, "in:#ops", "&sort=newest&per_page=2&page=2").await;
    let p3 = search(&bob, "in:#ops", "&sort=newest&per_page=2&page=3").await;
    assert_eq!(
        (p1["has_more"].as_bool(), p2["has_more"].as_bool(), p3["has_more"].as_bool()),
        (Some(true), Some(false), Some(false))
    );
    assert_eq!(p1["results"][0]["message"]["text"], "looks good");
    assert_eq!(p2["results"].as_array().map(Vec::len), Some(2));

    // A result: highlighted snippet, channel, author, time and a permalink that works.
    let r = &search(&bob, "billing", "").await["results"][0];
    assert!(r["snippet"].as_str().expect("snippet").contains("<mark>billing</mark>"), "{r}");
    assert_eq!(
        (r["channel"]["name"].as_str(), r["message"]["author"]["username"].as_str()),
        (Some("ops"), Some("ada"))
    );
    assert!(r["message"]["created_at"].is_string());
    let context = bob.get(r["permalink"].as_str().expect("permalink")).await.expect(200);
    assert!(context.body["messages"].as_array().expect("page").iter().any(|m| m["id"] == r["message"]["id"]));
    // A thread reply's permalink shows it too.
    let reply = &search(&bob, "\"looks good\"", "").await["results"][0];
    assert!(reply["message"]["thread_root_id"].is_string(), "{reply}");
    let context = bob.get(reply["permalink"].as_str().expect("permalink")).await.expect(200);
    assert!(context.body["messages"].as_array().expect("page").iter().any(|m| m["id"] == reply["message"]["id"]));

    // Bad syntax is a clear 400.
    for bad in ["\"unclosed", "before:someday", "has:cats", ""] {
        let r = bob.get(&format!("/api/v1/search?q={}", encode(bad))).await;
        r.expect_err(400, "invalid_search");
    }
    bob.get("/api/v1/search?q=x&per_page=0").await.expect_err(422, "invalid_input");
    bob.get("/api/v1/search?q=x&sort=sideways").await.expect_err(400, "invalid_query");
}

#[tokio::test]
async fn newest_first_orders_by_time_even_against_relevance() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    ada.say(general, "maintenance window tonight").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    ada.say(general, "the maintenanse plan, with a typo").await;
    indexed(&app).await;
    let exact_first = texts_with(&ada, "maintenance", "&sort=relevance").await;
    assert_eq!(exact_first, vec!["maintenance window tonight", "the maintenanse plan, with a typo"]);
    let newest = texts_with(&ada, "maintenance", "&sort=newest").await;
    assert_eq!(newest, vec!["the maintenanse plan, with a typo", "maintenance window tonight"]);
}

#[tokio::test]
async fn chinese_and_japanese_words_are_found() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    ada.say(general, "明日は東京で会議があります").await;
    ada.say(general, "我们明天讨论数据库迁移").await;
    ada.say(general, "日本語の全文検索テスト").await;
    indexed(&app).await;
    assert_eq!(texts(&ada, "会議").await, vec!["明日は東京で会議があります"], "a two-character word");
    assert_eq!(texts(&ada, "東京").await, vec!["明日は東京で会議があります"]);
    assert_eq!(texts(&ada, "迁移").await, vec!["我们明天讨论数据库迁移"]);
    assert_eq!(texts(&ada, "数据库").await, vec!["我们明天讨论数据库迁移"]);
    assert_eq!(texts(&ada, "検索テスト").await, vec!["日本語の全文検索テスト"]);
    assert_eq!(texts(&ada, "明").await.len(), 2, "a single character");
    let r = &search(&ada, "会議", "").await["results"][0];
    assert!(r["snippet"].as_str().expect("snippet").contains("<mark>会議</mark>"));
}

#[tokio::test]
async fn edits_and_deletes_reach_the_index() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let m = ada.say(general, "the alpha release").await;
    indexed(&app).await;
    assert_eq!(texts(&ada, "alpha").await.len(), 1);
    ada.patch(&format!("/api/v1/messages/{}", id(&m)), json!({"text": "the omega release"})).await.expect(200);
    indexed(&app).await;
    assert!(texts(&ada, "alpha").await.is_empty(), "the old words are gone");
    assert_eq!(texts(&ada, "omega").await, vec!["the omega release"]);
    ada.delete(&format!("/api/v1/messages/{}", id(&m))).await.expect(204);
    indexed(&app).await;
    assert!(texts(&ada, "omega").await.is_empty());
    assert!(texts(&ada, "release").await.is_empty());
}

#[tokio::test]
async fn a_private_canary_never_reaches_a_non_member() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let guest = app.join(&ada, ws, "gus", "guest").await;
    let (eve, _) = app.outsider(&ada, "eve").await;
    let secret = ada.channel(ws, "secret", true).await;
    ada.post(&format!("/api/v1/channels/{secret}/members"), json!({"user_id": carol.user_id})).await.expect(200);
    ada.say(secret, "the zyxquartz launch code is 1234").await;
    let dm = ada.post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [carol.user_id]})).await;
    ada.say(dm.expect(201).id(), "dmcanary between us").await;
    let public = ada.channel(ws, "lobby", false).await;
    ada.say(public, "public zyxquartz decoy? no: quartzite").await;
    indexed(&app).await;

    let forms = [
        "zyxquartz",
        "zyxq*",
        "xquart",
        "\"zyxquartz launch\"",
        "zyxquarts",
        "launch code",
        "in:#secret",
        "in:#secret zyxquartz",
        "from:@ada launch",
        "has:link launch",
        "is:thread launch",
        "1234",
        "dmcanary",
        "dmcanar*",
        "between us",
    ];
    for who in [&bob, &guest, &eve] {
        for q in forms {
            for extra in ["", "&sort=newest", "&per_page=1", &format!("&workspace_id={ws}")] {
                let body = search(who, q, extra).await;
                let leaked: Vec<&Value> = body["results"]
                    .as_array()
                    .expect("results")
                    .iter()
                    .filter(|r| {
                        let t = r["message"]["text"].as_str().unwrap_or_default();
                        t.contains("launch") || t.contains("dmcanary")
                    })
                    .collect();
                assert!(leaked.is_empty(), "{} found {leaked:?} with {q:?}{extra}", who.username);
                // Only these forms may match the public decoy; every other must find nothing.
                if !["zyxquartz", "zyxq*", "xquart", "zyxquarts"].contains(&q) {
                    assert_eq!(body["results"].as_array().map(Vec::len), Some(0), "{q:?}{extra}: {body}");
                    assert_eq!(body["has_more"], false);
                }
            }
        }
    }
    // The guest cannot even see the public decoy: guests read only channels they are in.
    assert!(texts(&guest, "decoy").await.is_empty());
    assert_eq!(texts(&bob, "decoy").await.len(), 1);

    // Members find it; a member who leaves stops finding it at once.
    assert_eq!(texts(&carol, "zyxquartz launch").await, vec!["the zyxquartz launch code is 1234"]);
    assert_eq!(texts(&carol, "dmcanary").await.len(), 1);
    carol.post_empty(&format!("/api/v1/channels/{secret}/leave")).await.expect(204);
    assert!(texts(&carol, "zyxquartz launch").await.is_empty());
    assert!(texts(&carol, "in:#secret").await.is_empty());
}

#[tokio::test]
async fn reindex_rebuilds_from_the_database() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    ada.say(general, "kept message about turbines").await;
    let gone = ada.say(general, "deleted message about turbines").await;
    indexed(&app).await;
    // An index that lost its documents, and one that kept a deleted message's.
    let db = &app.state.db;
    wipe_index(&app).await;
    let index = app.state.search.clone();
    let docs = parley::search::jobs::documents(&db.conn, &[]).await.expect("docs");
    assert!(docs.is_empty());
    ada.delete(&format!("/api/v1/messages/{}", id(&gone))).await.expect(204);
    indexed(&app).await;
    assert!(texts(&ada, "turbines").await.is_empty(), "the wiped index finds nothing");

    let done = index.rebuild(Default::default()).await.expect("reindex");
    assert_eq!((done.indexed, done.removed), (1, 0));
    assert_eq!(texts(&ada, "turbines").await, vec!["kept message about turbines"]);

    // A message deleted behind the index's back: its document is stale and goes.
    let kept = parley::messages::model::message::Entity::find()
        .filter(parley::messages::model::message::Column::DeletedAt.is_null())
        .one(&db.conn)
        .await
        .expect("find")
        .expect("kept message");
    parley::messages::model::message::Entity::update_many()
        .col_expr(parley::messages::model::message::Column::DeletedAt, Some(1i64).into())
        .filter(parley::messages::model::message::Column::Id.eq(kept.id))
        .exec(&db.conn)
        .await
        .expect("delete behind the index");
    let done = index.rebuild(Default::default()).await.expect("reindex");
    if app.is_meili() {
        // The rebuilt index replaced the old one whole: only the version marker is left.
        assert_eq!(done.indexed, 0);
        assert_eq!(crate::search_meili::documents_in(&app).await, 1);
    } else {
        assert_eq!((done.indexed, done.removed), (0, 1));
    }
}

/// Empties the index behind Parley's back.
async fn wipe_index(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    if app.is_meili() {
        crate::search_meili::delete_all(app).await;
        return;
    }
    let wipe: &[&str] = if app.is_postgres() {
        &["DELETE FROM search_docs"]
    } else {
        &["DELETE FROM search_grams", "DELETE FROM search_words", "DELETE FROM search_docs"]
    };
    for sql in wipe {
        app.state.db.conn.execute_unprepared(sql).await.expect("wipe");
    }
}
