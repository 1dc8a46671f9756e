//! Presence over REST and the WebSocket; heartbeats that drop dead peers.
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Client, TestApp};
use crate::ws_client::Ws;

async fn status_of(c: &Client, user: Uuid) -> Option<String> {
    let r = c.get(&format!("/api/v1/presence?user_ids={user}")).await.expect(200);
    r.body.as_array().expect("list").first().map(|v| v["status"].as_str().expect("status").to_owned())
}

async fn next_presence(ws: &mut Ws, user: Uuid) -> String {
    let e = ws
        .expect("presence.changed", |v| v["type"] == "presence.changed" && v["data"]["user_id"] == user.to_string())
        .await;
    e["data"]["status"].as_str().expect("status").to_owned()
}

#[tokio::test]
async fn presence_moves_through_online_away_dnd_and_offline() {
    let app = TestApp::spawn_with(
        |s| {
            s.realtime.away_after_s = 1;
            s.realtime.offline_grace_s = 1;
        },
        Default::default(),
    )
    .await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let (outsider, _) = app.outsider(&ada, "outsider").await;
    let mut ada_ws = Ws::connect(&ada).await;
    assert_eq!(status_of(&ada, bob.user_id).await.as_deref(), Some("offline"));
    let snapshot = subscribe(&mut ada_ws, &[bob.user_id]).await;
    assert_eq!(snapshot, json!([{"user_id": bob.user_id, "status": "offline"}]));

    let mut bob_ws = Ws::connect(&bob).await;
    assert_eq!(next_presence(&mut ada_ws, bob.user_id).await, "online");
    assert_eq!(status_of(&ada, bob.user_id).await.as_deref(), Some("online"));

    // No activity on any of bob's sockets for away_after_s.
    assert_eq!(next_presence(&mut ada_ws, bob.user_id).await, "away");
    bob_ws.send(json!({"type": "activity"})).await;
    assert_eq!(next_presence(&mut ada_ws, bob.user_id).await, "online");

    bob.send(reqwest::Method::PUT, "/api/v1/me/presence", Some(json!({"dnd": true}))).await.expect(200);
    assert_eq!(next_presence(&mut ada_ws, bob.user_id).await, "dnd");
    assert_eq!(status_of(&ada, bob.user_id).await.as_deref(), Some("dnd"));
    bob.send(reqwest::Method::PUT, "/api/v1/me/presence", Some(json!({"dnd": false}))).await.expect(200);
    assert_eq!(next_presence(&mut ada_ws, bob.user_id).await, "online");

    // Away by choice (/away): activity does not bring bob back; it outlives a reconnect.
    bob.send(reqwest::Method::PUT, "/api/v1/me/presence", Some(json!({"away": true}))).await.expect(200);
    assert_eq!(next_presence(&mut ada_ws, bob.user_id).await, "away");
    bob_ws.send(json!({"type": "activity"})).await;
    assert_eq!(bob.get("/api/v1/me").await.expect(200).body["away"], true);
    assert_eq!(status_of(&ada, bob.user_id).await.as_deref(), Some("away"));
    bob_ws.close().await;
    bob_ws = Ws::connect(&bob).await;
    assert_eq!(status_of(&ada, bob.user_id).await.as_deref(), Some("away"));
    bob.send(reqwest::Method::PUT, "/api/v1/me/presence", Some(json!({"away": false}))).await.expect(200);
    let mut seen = next_presence(&mut ada_ws, bob.user_id).await;
    while seen == "away" {
        seen = next_presence(&mut ada_ws, bob.user_id).await;
    }
    assert_eq!(seen, "online");
    bob.send(reqwest::Method::PUT, "/api/v1/me/presence", Some(json!({}))).await.expect_err(422, "invalid_input");

    bob_ws.close().await;
    let mut seen = next_presence(&mut ada_ws, bob.user_id).await;
    while seen == "away" {
        seen = next_presence(&mut ada_ws, bob.user_id).await;
    }
    assert_eq!(seen, "offline", "offline once the grace period after the last socket is over");
    // Someone outside bob's workspaces learns nothing about him.
    assert_eq!(status_of(&outsider, bob.user_id).await, None);
    outsider.get("/api/v1/presence?user_ids=nope").await.expect_err(422, "invalid_input");
}

async fn subscribe(ws: &mut Ws, users: &[Uuid]) -> serde_json::Value {
    ws.send(json!({"type": "presence_sub", "user_ids": users})).await;
    ws.expect("presence.snapshot", |v| v["type"] == "presence.snapshot").await["users"].clone()
}

/// Frames a socket receives before the next message.created (a marker posted after the
/// events under test: the hub delivers in order, so anything routed to it came first).
async fn frames_until_marker(ws: &mut Ws) -> Vec<serde_json::Value> {
    let mut frames = Vec::new();
    loop {
        let v = ws.next_json().await.expect("socket open");
        if v["type"] == "message.created" {
            return frames;
        }
        frames.push(v);
    }
}

#[tokio::test]
async fn presence_goes_only_to_subscribers_who_share_a_workspace() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let (outsider, other_ws) = app.outsider(&ada, "outsider").await;
    let mut watcher = Ws::connect(&ada).await;
    let mut bystander = Ws::connect(&carol).await;
    let mut stranger = Ws::connect(&outsider).await;
    subscribe(&mut watcher, &[bob.user_id]).await;
    // The outsider asks for bob and is told nothing, then or later.
    assert_eq!(subscribe(&mut stranger, &[bob.user_id]).await, json!([]));
    let too_many: Vec<Uuid> = (0..501).map(|_| Uuid::now_v7()).collect();
    stranger.send(json!({"type": "presence_sub", "user_ids": too_many})).await;
    let err = stranger.expect("error", |v| v["type"] == "error").await;
    assert_eq!(err["code"], "too_many_users");

    let bob_ws = Ws::connect(&bob).await;
    assert_eq!(next_presence(&mut watcher, bob.user_id).await, "online");
    let general = ada.general(ws).await;
    ada.say(general, "marker").await;
    let seen = frames_until_marker(&mut bystander).await;
    let about_bob = |v: &&serde_json::Value| v["type"] == "presence.changed" && v["user_id"] == bob.user_id.to_string();
    assert!(!seen.iter().any(|v| about_bob(&v)), "an unsubscribed socket got bob's presence: {seen:?}");
    drop(bob_ws);

    let mut status = next_presence(&mut watcher, bob.user_id).await;
    while status != "offline" {
        status = next_presence(&mut watcher, bob.user_id).await;
    }
    // A marker in the outsider's own workspace (which ada also belongs to) comes after
    // every presence event so far.
    let other_general = ada.general(other_ws).await;
    ada.say(other_general, "marker").await;
    let frames = frames_until_marker(&mut stranger).await;
    assert!(!frames.iter().any(|v| about_bob(&v)), "the outsider learned bob's presence: {frames:?}");
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_dropped() {
    let app = TestApp::spawn_with(
        |s| {
            s.realtime.heartbeat_s = 1;
            s.realtime.dead_after_s = 2;
        },
        Default::default(),
    )
    .await;
    let (ada, _) = app.setup_admin().await;
    let silent = Ws::connect(&ada).await; // never read again, so never answers a ping
    assert_eq!(app.state.realtime.hub.socket_count().await, 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.state.realtime.hub.socket_count().await > 0 {
        assert!(Instant::now() < deadline, "the silent socket was not dropped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(silent);
}
