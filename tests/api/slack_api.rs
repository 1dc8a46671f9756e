//! The Slack Web API subset: Slack's envelope and errors, the same permissions as the
//! REST API. (The unmodified Slack SDK drives the happy path in tests/slack_sdk.)
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};

async fn slack(app: &TestApp, token: &str, method: &str, args: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/slack/api/{method}", app.base))
        .bearer_auth(token)
        .json(&args)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

async fn bot_token(admin: &Client, ws: uuid::Uuid, scopes: &[&str]) -> (String, String) {
    let b = admin
        .post(&format!("/api/v1/workspaces/{ws}/bots"), json!({"username": "sb", "display_name": "SB"}))
        .await
        .expect(201);
    let id = b.id();
    let t = admin.post(&format!("/api/v1/bots/{id}/tokens"), json!({"name": "t", "scopes": scopes})).await.expect(201);
    (t.body["token"].as_str().expect("token").to_owned(), id.to_string())
}

#[tokio::test]
async fn slack_errors_and_permissions() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let secret = ada.channel(ws, "secret", true).await;
    let (token, bot_id) = bot_token(&ada, ws, &["chat:write", "channels:history"]).await;

    let r = slack(&app, "bot_wrong", "auth.test", json!({})).await;
    assert_eq!((r["ok"].as_bool(), r["error"].as_str()), (Some(false), Some("invalid_auth")));
    let r = slack(&app, &token, "admin.users.list", json!({})).await;
    assert_eq!(r["error"], "unknown_method");
    let r = slack(&app, &token, "users.list", json!({})).await;
    assert_eq!((r["error"].as_str(), r["needed"].as_str()), (Some("missing_scope"), Some("users:read")));
    assert_eq!(r["provided"], "chat:write,channels:history");
    // Not a member of #general yet, and never of the private channel.
    let r = slack(&app, &token, "chat.postMessage", json!({"channel": "#general", "text": "hi"})).await;
    assert_eq!(r["error"], "channel_not_found", "{r}");
    let r = slack(&app, &token, "chat.postMessage", json!({"channel": secret.to_string(), "text": "hi"})).await;
    assert_eq!(r["error"], "channel_not_found", "{r}");
    ada.post(&format!("/api/v1/channels/{general}/members"), json!({"user_id": bot_id})).await.expect(200);
    let r = slack(&app, &token, "chat.postMessage", json!({"channel": "general"})).await;
    assert_eq!(r["error"], "no_text");
    let posted = slack(&app, &token, "chat.postMessage", json!({"channel": "general", "text": "hello"})).await;
    assert_eq!(posted["ok"], true, "{posted}");
    let ts = posted["ts"].as_str().expect("ts").to_owned();
    // Someone else's message cannot be changed by the bot.
    let theirs = ada.say(general, "mine").await;
    let their_ts = format!("{}.{:06}", 0, theirs["seq"].as_i64().expect("seq"));
    let r = slack(&app, &token, "chat.update", json!({"channel": "general", "ts": their_ts, "text": "edited"})).await;
    assert_eq!(r["error"], "cant_update_message");
    let r = slack(&app, &token, "chat.delete", json!({"channel": "general", "ts": their_ts})).await;
    assert_eq!(r["error"], "cant_delete_message");
    let r = slack(&app, &token, "chat.delete", json!({"channel": "general", "ts": ts})).await;
    assert_eq!(r["ok"], true, "{r}");
    let r = slack(&app, &token, "chat.update", json!({"channel": "general", "ts": ts, "text": "x"})).await;
    assert_eq!(r["error"], "message_not_found");
    let history = ada.history(general, "").await;
    assert!(history.iter().all(|m| m["text"] != "hello"), "deleted");
    assert_eq!(history.iter().find(|m| m["id"] == theirs["id"]).expect("theirs")["text"], "mine", "unchanged");
}
