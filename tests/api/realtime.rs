//! The WebSocket gateway with real clients: fan-out, permissions, resume, backpressure.
use futures_util::future::join_all;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Client, TestApp};
use crate::ws_client::{close_code_of, Options, Ws};

fn text_of(v: &serde_json::Value) -> &str {
    v["data"]["text"].as_str().unwrap_or_default()
}

async fn team(app: &TestApp) -> (Client, Client, Client, Uuid, Uuid, Uuid) {
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let general = ada.general(ws).await;
    let private = ada.channel(ws, "secret", true).await;
    ada.post(&format!("/api/v1/channels/{private}/members"), json!({"user_id": bob.user_id})).await.expect(200);
    (ada, bob, carol, ws, general, private)
}

#[tokio::test]
async fn a_message_reaches_every_member_and_nobody_else() {
    let app = TestApp::spawn().await;
    let (ada, bob, carol, _, general, private) = team(&app).await;
    let mut ada_ws = Ws::connect(&ada).await;
    let mut bob_ws = Ws::connect(&bob).await;
    let mut bob_phone = Ws::connect(&bob.with_token().await).await;
    let mut carol_ws = Ws::connect(&carol).await;

    ada.say(private, "private plans").await;
    ada.say(general, "hello everyone").await;

    for ws in [&mut ada_ws, &mut bob_ws, &mut bob_phone] {
        let first = ws.next_message().await;
        assert_eq!(text_of(&first), "private plans");
        assert_eq!(first["channel_id"], private.to_string());
        assert!(first["pos"].as_i64().is_some(), "durable events carry a position");
        assert_eq!(text_of(&ws.next_message().await), "hello everyone");
    }
    // Events arrive in position order, so had carol been sent the private message
    // it would have come before the #general one.
    assert_eq!(text_of(&carol_ws.next_message().await), "hello everyone");
}

#[tokio::test]
async fn removal_from_a_private_channel_stops_delivery_at_once() {
    let app = TestApp::spawn().await;
    let (ada, bob, _, _, general, private) = team(&app).await;
    let mut bob_ws = Ws::connect(&bob).await;
    ada.delete(&format!("/api/v1/channels/{private}/members/{}", bob.user_id)).await.expect(204);
    let left = bob_ws.expect("member.left", |v| v["type"] == "member.left").await;
    assert_eq!(left["data"]["user_id"], bob.user_id.to_string());
    ada.say(private, "after bob left").await;
    ada.say(general, "in general").await;
    assert_eq!(text_of(&bob_ws.next_message().await), "in general");
    // And a resume from before the removal does not replay the private channel either.
    let mut again = Ws::resume(&bob, 0).await;
    assert!(again.replayed.iter().all(|e| text_of(e) != "after bob left"), "{:?}", again.replayed);
    ada.say(general, "still here").await;
    assert_eq!(text_of(&again.next_message().await), "still here");
}

#[tokio::test]
async fn joining_starts_delivery_and_deactivation_closes_the_sockets() {
    let app = TestApp::spawn().await;
    let (ada, bob, _, ws, _, _) = team(&app).await;
    let town = ada.channel(ws, "town", false).await;
    let mut bob_ws = Ws::connect(&bob).await;
    bob.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect(204);
    bob_ws.expect("member.joined", |v| v["type"] == "member.joined" && v["channel_id"] == town.to_string()).await;
    ada.say(town, "welcome").await;
    assert_eq!(text_of(&bob_ws.next_message().await), "welcome");

    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", bob.user_id)).await.expect(204);
    assert_eq!(bob_ws.close_code().await, Some(4010));
    let mut refused = Ws::raw(&bob, Options::default(), json!({"type": "hello"})).await.expect("handshake");
    assert_eq!(close_code_of(&mut refused).await, Some(4001), "the cookie no longer authenticates");
}

#[tokio::test]
async fn other_events_typing_and_read_state_reach_the_right_people() {
    let app = TestApp::spawn().await;
    let (ada, bob, _, _, general, _) = team(&app).await;
    let mut ada_ws = Ws::connect(&ada).await;
    let mut bob_ws = Ws::connect(&bob).await;
    let mut bob_other_device = Ws::connect(&bob).await;

    bob_ws.send(json!({"type": "typing", "channel_id": general})).await;
    let typing = ada_ws.expect("typing", |v| v["type"] == "typing").await;
    assert_eq!(typing["data"]["user_id"], bob.user_id.to_string());
    assert!(typing.get("pos").is_none(), "typing is ephemeral");

    let m = ada.say(general, "read me").await;
    let mid = m["id"].as_str().expect("id").to_owned();
    // Typing in a thread right after typing in its channel is still announced.
    bob_ws.send(json!({"type": "typing", "channel_id": general, "thread_root_id": mid})).await;
    let in_thread = ada_ws.expect("typing in the thread", |v| v["type"] == "typing").await;
    assert_eq!(in_thread["data"]["thread_root_id"], mid.as_str());
    ada.patch(&format!("/api/v1/messages/{mid}"), json!({"text": "read me!"})).await.expect(200);
    let e = bob_ws.expect("message.edited", |v| v["type"] == "message.edited").await;
    assert_eq!(text_of(&e), "read me!");
    bob.post(&format!("/api/v1/channels/{general}/read"), json!({"seq": m["seq"]})).await.expect(200);
    let read = bob_other_device.expect("read.updated", |v| v["type"] == "read.updated").await;
    assert_eq!(read["data"]["last_read_seq"], m["seq"]);
    ada.post(&format!("/api/v1/messages/{mid}/reactions"), json!({"emoji": "tada"})).await.expect(200);
    let reaction = bob_ws.expect("reaction.added", |v| v["type"] == "reaction.added").await;
    assert_eq!(reaction["data"]["emoji"], "tada");
    // Ada's own read marker is hers alone.
    let next = ada_ws.expect("not bob's read marker", |v| v["type"] != "typing").await;
    assert_ne!(next["type"], "read.updated", "{next}");
}

#[tokio::test]
async fn resume_after_500_messages_replays_exactly_those_in_order() {
    let app = TestApp::spawn().await;
    let (ada, bob, _, _, general, _) = team(&app).await;
    let ws = Ws::connect(&bob).await;
    let from = ws.pos;
    ws.close().await;
    for i in 1..=500 {
        ada.say(general, &format!("m{i}")).await;
    }
    let back = Ws::resume(&bob, from).await;
    assert_eq!(back.ready["resumed"], true);
    let texts: Vec<String> =
        back.replayed.iter().filter(|e| e["type"] == "message.created").map(|e| text_of(e).to_owned()).collect();
    assert_eq!(texts, (1..=500).map(|i| format!("m{i}")).collect::<Vec<_>>());
    let positions: Vec<i64> = back.replayed.iter().map(|e| e["pos"].as_i64().expect("pos")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "strictly increasing positions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_during_reconnects_arrives_exactly_once() {
    let app = TestApp::spawn().await;
    let (ada, bob, carol, _, general, _) = team(&app).await;
    let mut ws = Ws::connect(&bob).await;
    let posters = [ada.clone(), carol.clone()].into_iter().map(|c| {
        tokio::spawn(async move {
            for i in 0..150 {
                c.say(general, &format!("{} {i}", c.username)).await;
            }
        })
    });
    let burst = tokio::spawn(join_all(posters));
    let mut seqs: Vec<i64> = Vec::new();
    // Drop and resume the socket three times while the burst is under way.
    for _ in 0..3 {
        for _ in 0..40 {
            seqs.push(ws.next_message().await["data"]["seq"].as_i64().expect("seq"));
        }
        let pos = ws.pos;
        ws.close().await;
        ws = Ws::resume(&bob, pos).await;
        seqs.extend(
            ws.replayed
                .iter()
                .filter(|e| e["type"] == "message.created")
                .map(|e| e["data"]["seq"].as_i64().expect("seq")),
        );
    }
    burst.await.expect("burst");
    ada.say(general, "END").await;
    loop {
        let m = ws.next_message().await;
        if text_of(&m) == "END" {
            break;
        }
        seqs.push(m["data"]["seq"].as_i64().expect("seq"));
    }
    assert_eq!(seqs, (1..=300).collect::<Vec<i64>>(), "every message exactly once, in order");
}

#[tokio::test]
async fn a_slow_consumer_is_closed_while_a_fast_one_keeps_receiving() {
    let app = TestApp::spawn_with(|s| s.realtime.queue_len = 16, Default::default()).await;
    let (ada, bob, carol, _, general, _) = team(&app).await;
    let mut fast = Ws::connect(&carol).await;
    let mut slow = Ws::connect_with(&bob, Options { recv_buffer: Some(4096), ..Default::default() }).await;
    let big = "x".repeat(15_000);
    let n = 600;
    let poster = tokio::spawn(async move {
        for i in 0..n {
            ada.say(general, &format!("{i} {big}")).await;
        }
    });
    for i in 0..n {
        let m = fast.next_message().await;
        assert!(text_of(&m).starts_with(&format!("{i} ")), "fast consumer gets every message in order");
    }
    poster.await.expect("poster");
    let mut received = 0;
    let code = loop {
        match slow.next_json().await {
            Some(v) if v["type"] == "message.created" => received += 1,
            Some(_) => {}
            None => break slow.close_code().await,
        }
    };
    assert!(received < n, "the slow consumer was cut off (got {received} of {n})");
    assert!(matches!(code, None | Some(4008)), "closed as too slow: {code:?}");
    assert_eq!(app.state.realtime.hub.socket_count().await, 1, "only the fast consumer (carol) remains");
}

#[tokio::test]
async fn refusals_origin_authentication_and_restart() {
    let app = TestApp::spawn().await;
    let (ada, _, _, _, _, _) = team(&app).await;
    // A page on another site cannot use the cookie.
    let err = Ws::raw(
        &ada,
        Options { origin: Some("https://evil.example".into()), ..Default::default() },
        json!({"type": "hello"}),
    )
    .await
    .expect_err("refused");
    assert!(err.contains("403"), "{err}");
    // No cookie and no token.
    let anon = app.anon();
    let mut s = Ws::raw(&anon, Options::default(), json!({"type": "hello"})).await.expect("handshake");
    assert_eq!(close_code_of(&mut s).await, Some(4001));
    // A bad token.
    let mut bad = anon.clone();
    bad.token = Some("pat_nope".into());
    let mut s =
        Ws::raw(&bad, Options::default(), json!({"type": "hello", "token": "pat_nope"})).await.expect("handshake");
    assert_eq!(close_code_of(&mut s).await, Some(4001));
    // A first frame that is not hello.
    let mut s = Ws::raw(&ada, Options::default(), json!({"type": "typing"})).await.expect("handshake");
    assert_eq!(close_code_of(&mut s).await, Some(4002));
    // A resume position from the future (or pruned away) gets an explicit resync.
    let r = Ws::resume(&ada, 1_000_000).await;
    assert_eq!(r.replayed.first().map(|e| e["type"].clone()), Some(json!("resync_required")));
    // Shutdown closes sockets with "service restart" so clients reconnect elsewhere.
    let mut live = Ws::connect(&ada).await;
    app.shutdown().await;
    assert_eq!(live.close_code().await, Some(1012));
}

#[tokio::test]
async fn a_position_older_than_retention_gets_resync_required_not_silence() {
    let app = TestApp::spawn().await;
    let (ada, _, _, _, general, _) = team(&app).await;
    let first = Ws::connect(&ada).await;
    let old = first.pos;
    first.close().await;
    for i in 0..5 {
        ada.say(general, &format!("old {i}")).await;
    }
    // Retention passes: everything recorded so far is pruned from the log.
    let tx = app.state.db.write().await.expect("write");
    let pruned = parley::realtime::log::prune(&*tx, parley::clock::now_ms() + 1).await.expect("prune");
    tx.commit().await.expect("commit");
    assert!(pruned >= 5, "pruned {pruned}");

    let mut back = Ws::resume(&ada, old).await;
    assert_eq!(back.replayed.len(), 1, "{:?}", back.replayed);
    assert_eq!(back.replayed[0]["type"], "resync_required");
    assert_eq!(back.ready["resumed"], false);
    ada.say(general, "after resync").await;
    assert_eq!(text_of(&back.next_message().await), "after resync");
}

#[tokio::test]
async fn review_fixes_hold() {
    let app = TestApp::spawn().await;
    let (ada, bob, carol, ws, general, private) = team(&app).await;
    let guest = app.join(&ada, ws, "guest", "guest").await;
    let mut carol_ws = Ws::connect(&carol).await;
    let mut guest_ws = Ws::connect(&guest).await;

    // A new public channel is announced to its members only, without anyone's membership.
    let mut ada_ws = Ws::connect(&ada).await;
    let news = ada.channel(ws, "news", false).await;
    let created = ada_ws.expect("channel.created", |v| v["type"] == "channel.created").await;
    assert_eq!(created["channel_id"], news.to_string());
    assert!(created["data"]["membership"].is_null(), "{created}");
    ada.say(general, "after news").await;
    let next = carol_ws
        .expect("created or message", |v| v["type"] == "channel.created" || v["type"] == "message.created")
        .await;
    assert_eq!(next["type"], "message.created", "carol (not a member) is not told of #news: {next}");
    ada.post(&format!("/api/v1/channels/{private}/members"), json!({"user_id": guest.user_id})).await.expect(200);
    let joined = guest_ws.expect("member.joined", |v| v["type"] == "member.joined").await;
    assert_eq!(joined["channel_id"], private.to_string(), "the guest's first channel event is its own join");

    // A departure while disconnected is replayed on resume.
    let bob_ws = Ws::connect(&bob).await;
    let pos = bob_ws.pos;
    bob_ws.close().await;
    ada.delete(&format!("/api/v1/channels/{private}/members/{}", bob.user_id)).await.expect(204);
    let back = Ws::resume(&bob, pos).await;
    assert!(
        back.replayed.iter().any(|e| e["type"] == "member.left" && e["channel_id"] == private.to_string()),
        "{:?}",
        back.replayed
    );

    // Signing out everywhere closes open sockets too.
    let mut carol_live = Ws::connect(&carol).await;
    carol.post_empty("/api/v1/auth/logout-all").await.expect(200);
    assert_eq!(carol_live.close_code().await, Some(4001));

    // Deleting twice at once counts once.
    let root = ada.say(general, "root").await;
    let root_id = root["id"].as_str().expect("id").to_owned();
    let reply = ada
        .post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "r", "thread_root_id": root_id}))
        .await;
    let reply_id = reply.expect(201).body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/messages/{reply_id}");
    let (a, b) = tokio::join!(ada.delete(&path), ada.delete(&path));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 404]);
    let r = ada.get(&format!("/api/v1/messages/{root_id}")).await.expect(200);
    assert_eq!(r.body["reply_count"], 0);
    ada.patch(&path, json!({"text": "back from the dead"})).await.expect_err(404, "message_not_found");
}

/// One transaction may record thousands of events (seeding, bulk membership changes):
/// they are inserted in chunks under SQLite's bound-variable limit, with consecutive
/// positions, and a socket resuming from before them receives them all.
#[tokio::test]
async fn a_transaction_with_thousands_of_events_is_recorded_whole() {
    use parley::realtime::event::NewEvent;
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let start = Ws::connect(&ada).await.pos;
    let tx = app.state.db.write().await.expect("write");
    for i in 0..2_500 {
        tx.emit(NewEvent::workspace("workspace.bulk_test", ws, json!({"i": i})));
    }
    tx.commit().await.expect("commit");
    let events =
        parley::realtime::log::range(&app.state.db.conn, start + 1, start + 2_500, 5_000).await.expect("range");
    assert_eq!(events.len(), 2_500);
    let positions: Vec<i64> = events.iter().filter_map(|e| e.pos).collect();
    assert_eq!(positions, ((start + 1)..=(start + 2_500)).collect::<Vec<_>>());
    let resumed = Ws::resume(&ada, start).await;
    let bulk: Vec<_> = resumed.replayed.iter().filter(|v| v["type"] == "workspace.bulk_test").collect();
    assert_eq!(bulk.len(), 2_500);
    assert!(bulk.iter().enumerate().all(|(i, v)| v["data"]["i"] == i), "replayed in order");
}

#[tokio::test]
async fn a_stalled_event_log_holds_up_neither_typing_nor_new_posts_once_it_frees() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        eprintln!("skipped: PostgreSQL only (a table lock is how a stalled database is made here)");
        return;
    }
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let mut ada_ws = Ws::connect(&ada).await;
    let mut bob_ws = Ws::connect(&bob).await;
    // Another connection takes the event log's tables and keeps them: every read of the
    // log waits, as on a database that has stalled.
    let locker = sea_orm::Database::connect(app.state.settings.database_url()).await.expect("connect");
    let tx = locker.begin().await.expect("begin");
    tx.execute_unprepared("LOCK TABLE events, event_counter IN ACCESS EXCLUSIVE MODE").await.expect("lock");
    // The hub polls the log twice a second: by now a read of it is stuck on the lock.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    bob_ws.send(json!({"type": "typing", "channel_id": general})).await;
    ada_ws.expect("bob typing, while the log is stalled", |v| v["type"] == "typing").await;
    tx.rollback().await.expect("unlock");
    bob.say(general, "after the stall").await;
    let m = ada_ws.next_message().await;
    assert_eq!(m["data"]["text"], "after the stall");
}
