//! Bots: an identity of their own, scoped tokens, and exactly the reach they were given.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp};
use crate::ws_client::Ws;

async fn bot(app: &TestApp, admin: &Client, ws: Uuid, username: &str, scopes: &[&str]) -> (Client, Value) {
    let created = admin
        .post(
            &format!("/api/v1/workspaces/{ws}/bots"),
            json!({"username": username, "display_name": "Deploy Bot",
            "description": "ships things"}),
        )
        .await
        .expect(201);
    let id = created.id();
    let t = admin.post(&format!("/api/v1/bots/{id}/tokens"), json!({"name": "ci", "scopes": scopes})).await.expect(201);
    let token = t.body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("bot_"), "{token}");
    let mut c = app.anon();
    c.token = Some(token);
    c.user_id = id;
    (c, created.body)
}

#[tokio::test]
async fn a_bot_reaches_only_what_it_was_given() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let secret = ada.channel(ws, "secret", true).await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    bob.post(&format!("/api/v1/workspaces/{ws}/bots"), json!({"username": "mine", "display_name": "Mine"}))
        .await
        .expect_err(403, "not_allowed");
    let all = ["channels:read", "channels:history", "chat:write", "reactions:write", "users:read"];
    let (deploy, view) = bot(&app, &ada, ws, "deploy", &all).await;
    assert_eq!(view["owner_id"], ada.user_id.to_string());

    // Not added anywhere yet: even #general's history is hidden, the private channel is 404.
    deploy.get(&format!("/api/v1/channels/{general}/messages")).await.expect_err(404, "channel_not_found");
    deploy.get(&format!("/api/v1/channels/{secret}/messages")).await.expect_err(404, "channel_not_found");
    deploy
        .post(&format!("/api/v1/channels/{secret}/messages"), json!({"text": "in?"}))
        .await
        .expect_err(404, "channel_not_found");
    // Public channels are listed for a bot with channels:read.
    let browse = deploy.get(&format!("/api/v1/workspaces/{ws}/channels/browse")).await.expect(200);
    assert!(browse.body.to_string().contains("general"), "{:?}", browse.body);

    // Added to #general, it posts there as itself, shown as a bot.
    ada.post(&format!("/api/v1/channels/{general}/members"), json!({"user_id": deploy.user_id})).await.expect(200);
    let mut socket = Ws::connect(&deploy).await;
    ada.say(secret, "not for bots").await;
    ada.say(general, "hello bot").await;
    let seen = socket.next_message().await;
    assert_eq!(seen["data"]["text"], "hello bot", "the private channel's message never reached its socket");
    let posted =
        deploy.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "deployed v2"})).await.expect(201);
    assert_eq!(posted.body["author"]["is_bot"], true);
    let members = ada.get(&format!("/api/v1/workspaces/{ws}/members")).await.expect(200);
    let row = members
        .body
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["user"]["id"] == deploy.user_id.to_string() || m["user_id"] == deploy.user_id.to_string())
        .cloned()
        .expect("bot listed");
    assert!(row.to_string().contains("\"bot\""), "marked as a bot: {row}");

    // Never tokens, profile or administration.
    deploy.post("/api/v1/me/tokens", json!({"name": "more"})).await.expect_err(403, "not_allowed");
    deploy.get("/api/v1/admin/users").await.expect_err(404, "route_not_found");
    deploy
        .post(&format!("/api/v1/bots/{}/tokens", deploy.user_id), json!({"name": "x", "scopes": ["chat:write"]}))
        .await
        .expect_err(403, "not_allowed");
    deploy.patch("/api/v1/me", json!({"display_name": "Root"})).await.expect_err(403, "not_allowed");
    deploy.get("/api/v1/me").await.expect(200);
}

#[tokio::test]
async fn scopes_are_checked_and_deactivation_ends_every_token() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (reader, view) = bot(&app, &ada, ws, "reader", &["channels:history"]).await;
    ada.post(&format!("/api/v1/channels/{general}/members"), json!({"user_id": reader.user_id})).await.expect(200);
    let m = ada.say(general, "read me").await;
    reader.get(&format!("/api/v1/channels/{general}/messages")).await.expect(200);
    let r = reader.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "hi"})).await;
    assert_eq!((r.status, r.code()), (403, "missing_scope"), "{:?}", r.body);
    assert!(r.body["error"]["message"].as_str().is_some_and(|t| t.contains("chat:write")));
    reader
        .post(&format!("/api/v1/messages/{}/reactions", m["id"].as_str().expect("id")), json!({"emoji": "eyes"}))
        .await
        .expect_err(403, "missing_scope");
    reader.get(&format!("/api/v1/channels/{general}")).await.expect_err(403, "missing_scope");
    // Unknown scopes are refused when the token is made.
    ada.post(
        &format!("/api/v1/bots/{}/tokens", view["id"].as_str().expect("id")),
        json!({"name": "x", "scopes": ["admin"]}),
    )
    .await
    .expect_err(422, "invalid_input");
    // A token without channels:history cannot open the socket.
    let (blind, _) = bot(&app, &ada, ws, "blind", &["chat:write"]).await;
    let mut s =
        Ws::raw(&blind, Default::default(), json!({"type": "hello", "token": blind.token})).await.expect("upgrade");
    assert_eq!(crate::ws_client::close_code_of(&mut s).await, Some(4001));

    // Its owner deactivates it: tokens stop at once; an admin brings it back, without them.
    ada.post_empty(&format!("/api/v1/bots/{}/deactivate", reader.user_id)).await.expect(204);
    reader.get(&format!("/api/v1/channels/{general}/messages")).await.expect_err(401, "unauthenticated");
    let listed = ada.get(&format!("/api/v1/workspaces/{ws}/bots")).await.expect(200);
    let me = listed.body.as_array().expect("bots").iter().find(|b| b["username"] == "reader").cloned().expect("listed");
    assert_eq!(me["deactivated"], true);
    ada.post_empty(&format!("/api/v1/bots/{}/reactivate", reader.user_id)).await.expect(204);
    reader.get(&format!("/api/v1/channels/{general}/messages")).await.expect_err(401, "unauthenticated");
    assert_eq!(
        ada.get(&format!("/api/v1/bots/{}/tokens", reader.user_id)).await.expect(200).body.as_array().map(Vec::len),
        Some(0)
    );
}
