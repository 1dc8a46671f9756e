//! Concurrent writers: idempotent client_msg_id and gapless per-channel seqs.
use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_posts_with_one_client_msg_id_make_one_message() {
    let app = TestApp::spawn().await;
    let (admin, ws) = app.setup_admin().await;
    let general = admin.general(ws).await;
    let path = format!("/api/v1/channels/{general}/messages");
    let posts = (0..50).map(|i| {
        let c = admin.clone();
        let path = path.clone();
        async move { c.post(&path, json!({"text": format!("attempt {i}"), "client_msg_id": "same-id"})).await }
    });
    let results = join_all(posts).await;

    let created = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "exactly one request creates the message");
    assert!(results.iter().all(|r| r.status == 200 || r.status == 201), "others get the original back");
    let ids: HashSet<String> = results.iter().map(|r| r.body["id"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(ids.len(), 1, "every response names the same message");

    let history = admin.history(general, "limit=200").await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["seq"], 1);
    assert_eq!(history[0]["client_msg_id"], "same-id");
    let ch = admin.get(&format!("/api/v1/channels/{general}")).await.expect(200);
    assert_eq!(ch.body["last_seq"], 1, "no seq was burnt by the losing requests");
}

#[tokio::test]
async fn a_retried_post_answers_the_stored_message_and_burns_no_seq() {
    let app = TestApp::spawn().await;
    let (admin, ws) = app.setup_admin().await;
    let general = admin.general(ws).await;
    let other = admin.channel(ws, "other", false).await;
    let path = format!("/api/v1/channels/{general}/messages");
    let first = admin.post(&path, json!({"text": "hello", "client_msg_id": "retry-1"})).await.expect(201);
    let again = admin.post(&path, json!({"text": "hello (resent)", "client_msg_id": "retry-1"})).await.expect(200);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["text"], "hello", "the stored message, not the resent text");
    admin
        .post(&format!("/api/v1/channels/{other}/messages"), json!({"text": "x", "client_msg_id": "retry-1"}))
        .await
        .expect_err(409, "client_msg_id_reused");
    let next = admin.post(&path, json!({"text": "next"})).await.expect(201);
    assert_eq!(next.body["seq"], 2, "the retry burnt no seq");
    let ch = admin.get(&format!("/api/v1/channels/{other}")).await.expect(200);
    assert_eq!(ch.body["last_seq"], 0, "nor did the refused post in the other channel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_posters_times_fifty_messages_get_seqs_one_to_a_thousand() {
    let app = TestApp::spawn().await;
    let (admin, ws) = app.setup_admin().await;
    let general = admin.general(ws).await;
    let mut posters = vec![admin.clone()];
    for i in 1..20 {
        posters.push(app.join(&admin, ws, &format!("poster{i}"), "member").await);
    }
    let tasks = posters.into_iter().enumerate().map(|(p, c)| {
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for m in 0..50 {
                let r = c
                    .post(
                        &format!("/api/v1/channels/{general}/messages"),
                        json!({"text": format!("poster {p} message {m}")}),
                    )
                    .await
                    .expect(201);
                seqs.push(r.body["seq"].as_i64().expect("seq"));
            }
            seqs
        })
    });
    let mut acknowledged: Vec<i64> = Vec::new();
    for t in join_all(tasks).await {
        let seqs = t.expect("poster task");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "one poster's seqs increase: {seqs:?}");
        acknowledged.extend(seqs);
    }
    acknowledged.sort_unstable();
    assert_eq!(acknowledged, (1..=1000).collect::<Vec<i64>>(), "acknowledged seqs are exactly 1..=1000");

    let mut stored: Vec<i64> = Vec::new();
    let mut after = 0;
    loop {
        let page = admin.history(general, &format!("after={after}&limit=200")).await;
        if page.is_empty() {
            break;
        }
        after = page.last().and_then(|m| m["seq"].as_i64()).expect("seq");
        stored.extend(page.iter().map(|m| m["seq"].as_i64().expect("seq")));
    }
    assert_eq!(stored, (1..=1000).collect::<Vec<i64>>(), "stored history has no gap and no duplicate");
}

/// 50 clients post into 10 channels at once. On SQLite the writers queued at the gate
/// commit in groups; every answer must come after its own commit (the message is already
/// readable on another pooled connection), and each channel's seqs stay 1..=N.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_in_ten_channels_are_answered_after_their_own_commit() {
    use parley::messages::model::message;
    use sea_orm::EntityTrait;

    let app = TestApp::spawn().await;
    let (admin, ws) = app.setup_admin().await;
    let mut channels = Vec::new();
    for i in 0..10 {
        channels.push(admin.channel(ws, &format!("load-{i}"), false).await);
    }
    let before = app.state.db.write_stats();
    let tasks = (0..50).map(|client| {
        let c = admin.clone();
        let channel = channels[client % 10];
        let db = app.state.db.clone();
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for m in 0..20 {
                let r = c
                    .post(
                        &format!("/api/v1/channels/{channel}/messages"),
                        json!({"text": format!("client {client} message {m}"), "client_msg_id": format!("c{client}-m{m}")}),
                    )
                    .await
                    .expect(201);
                let id: uuid::Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
                let stored = message::Entity::find_by_id(id).one(&db.conn).await.expect("read");
                assert!(stored.is_some(), "message {id} was answered before its commit");
                seqs.push(r.body["seq"].as_i64().expect("seq"));
            }
            (channel, seqs)
        })
    });
    let mut per_channel: std::collections::HashMap<uuid::Uuid, Vec<i64>> = Default::default();
    for t in join_all(tasks).await {
        let (channel, seqs) = t.expect("client task");
        per_channel.entry(channel).or_default().extend(seqs);
    }
    for (channel, mut seqs) in per_channel {
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=100).collect::<Vec<i64>>(), "acknowledged seqs in {channel}");
        let stored: Vec<i64> =
            admin.history(channel, "after=0&limit=200").await.iter().map(|m| m["seq"].as_i64().expect("seq")).collect();
        assert_eq!(stored, (1..=100).collect::<Vec<i64>>(), "stored seqs in {channel}");
    }
    if let (Some(b), Some(a)) = (before, app.state.db.write_stats()) {
        let (writers, commits) = (a.writers - b.writers, a.commits - b.commits);
        assert!(writers >= 1000, "every post went through the write gate ({writers})");
        assert!(commits < writers, "queued writers shared commits ({commits} commits for {writers} writers)");
    }
}
