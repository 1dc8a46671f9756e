//! Outgoing webhooks: who may subscribe, where deliveries may go, which events reach
//! which hook (public channels, a channel, never a direct conversation), the signature,
//! rotation, the delivery log and test events. Retries, 410, Retry-After and a SIGKILL
//! during a retry are driven from outside by tests/webhooks/check_deliveries.py.
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::helpers::{Client, TestApp};
use crate::receiver::{next, receiver, Received};

async fn nothing_more(rx: &mut mpsc::UnboundedReceiver<Received>) {
    if let Ok(Some(r)) = tokio::time::timeout(Duration::from_millis(1500), rx.recv()).await {
        panic!("unexpected delivery: {}", String::from_utf8_lossy(&r.body));
    }
}

fn signature(secret: &str, r: &Received) -> String {
    let key = STANDARD.decode(secret.trim_start_matches("whsec_")).expect("key");
    let signed =
        format!("{}.{}.{}", r.header("webhook-id"), r.header("webhook-timestamp"), String::from_utf8_lossy(&r.body));
    format!("v1,{}", STANDARD.encode(integrations::signature::hmac_sha256(&key, signed.as_bytes())))
}

async fn local_app() -> TestApp {
    TestApp::spawn_with(|s| s.integrations.allow_hosts = vec!["127.0.0.1".into()], Default::default()).await
}

async fn subscribe(ada: &Client, ws: Uuid, body: Value) -> Value {
    ada.post(&format!("/api/v1/workspaces/{ws}/outgoing-hooks"), body).await.expect(201).body
}

#[tokio::test]
async fn only_public_addresses_known_events_and_the_right_people() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let path = format!("/api/v1/workspaces/{ws}/outgoing-hooks");
    let ok_events = json!(["message.created"]);
    for url in [
        "http://127.0.0.1:8080/x",
        "http://0x7f.1/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://example.com/",
        "http://169.254.169.254/",
    ] {
        ada.post(&path, json!({"name": "x", "url": url, "events": ok_events})).await.expect_err(422, "invalid_input");
    }
    for events in [json!([]), json!(["message.nope"]), json!(["typing"])] {
        ada.post(&path, json!({"name": "x", "url": "https://example.com/", "events": events}))
            .await
            .expect_err(422, "invalid_input");
    }
    let bob = app.join(&ada, ws, "bob", "member").await;
    bob.post(&path, json!({"name": "x", "url": "https://example.com/", "events": ok_events}))
        .await
        .expect_err(403, "not_allowed");
    let (eve, _) = app.outsider(&ada, "eve").await;
    eve.post(&path, json!({"name": "x", "url": "https://example.com/", "events": ok_events})).await.expect(404);

    let created =
        subscribe(&ada, ws, json!({"name": "Audit", "url": "https://example.com/hook", "events": ok_events})).await;
    assert!(created["secret"].as_str().unwrap_or_default().starts_with("whsec_"));
    let id = created["id"].as_str().expect("id");
    let listed = ada.get(&path).await.expect(200).body;
    assert!(listed[0].get("secret").is_none(), "the secret is shown once: {listed}");
    assert_eq!(bob.get(&path).await.expect(200).body, json!([]), "members see only their own");
    bob.get(&format!("/api/v1/outgoing-hooks/{id}/deliveries")).await.expect(404);
    bob.patch(&format!("/api/v1/outgoing-hooks/{id}"), json!({"enabled": false})).await.expect(404);
}

/// On SQLite a commit looks for subscribers only once the process knows a hook may
/// exist: a restarted server must learn of the hooks already stored, and a new hook must
/// hear the first message after it.
#[tokio::test]
async fn hooks_hear_events_from_their_first_commit_and_after_a_restart() {
    let app = local_app().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    ada.say(general, "before any hook").await;
    let (url, mut rx) = receiver().await;
    subscribe(&ada, ws, json!({"name": "Audit", "url": url, "events": ["message.created"]})).await;
    ada.say(general, "first").await;
    assert_eq!(next(&mut rx).await.json()["data"]["text"], "first");

    let again = app.restart(|s| s.integrations.allow_hosts = vec!["127.0.0.1".into()]).await;
    let ada = ada.on(&again);
    ada.say(general, "after the restart").await;
    assert_eq!(next(&mut rx).await.json()["data"]["text"], "after the restart");
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn events_reach_the_hooks_that_may_hear_them_signed() {
    let app = local_app().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let secret_room = ada.channel(ws, "secret", true).await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let (ws_url, mut ws_rx) = receiver().await;
    let (ch_url, mut ch_rx) = receiver().await;
    let wide = subscribe(
        &ada,
        ws,
        json!({"name": "Wide", "url": ws_url, "events": ["message.created", "reaction.added", "channel.created"]}),
    )
    .await;
    let narrow = subscribe(
        &ada,
        ws,
        json!({"name": "Narrow", "url": ch_url, "events": ["message.created"], "channel_id": secret_room, "prefix": "!"}),
    )
    .await;

    let posted = ada.say(general, "hello *world*").await;
    let got = next(&mut ws_rx).await;
    let secret = wide["secret"].as_str().expect("secret");
    assert_eq!(got.header("webhook-signature"), signature(secret, &got), "Standard Webhooks signature");
    assert!(got.header("webhook-id").starts_with("msg_"));
    let body = got.json();
    assert_eq!(body["type"], "message.created");
    assert_eq!(body["version"], 1);
    assert_eq!(body["workspace_id"], ws.to_string());
    assert_eq!(body["data"]["id"], posted["id"], "the API's own message view");
    assert_eq!(body["data"]["text"], "hello *world*");

    let mid = posted["id"].as_str().expect("id");
    ada.post(&format!("/api/v1/messages/{mid}/reactions"), json!({"emoji": "eyes"})).await.expect(200);
    assert_eq!(next(&mut ws_rx).await.json()["type"], "reaction.added");

    ada.say(secret_room, "not for the wide hook").await;
    ada.say(secret_room, "!deploy prod").await;
    let dm = ada.post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [bob.user_id]})).await;
    let dm_id = dm.id();
    ada.say(dm_id, "a direct message goes nowhere").await;
    let narrow_got = next(&mut ch_rx).await;
    assert_eq!(narrow_got.json()["data"]["text"], "!deploy prod", "only the prefixed message of its channel");
    assert_eq!(
        narrow_got.header("webhook-signature"),
        signature(narrow["secret"].as_str().expect("secret"), &narrow_got)
    );
    nothing_more(&mut ch_rx).await;
    nothing_more(&mut ws_rx).await;

    // Rotation: both secrets sign for a day.
    let hook_id = wide["id"].as_str().expect("id");
    let rotated = ada.post_empty(&format!("/api/v1/outgoing-hooks/{hook_id}/rotate")).await.expect(200).body;
    let new_secret = rotated["secret"].as_str().expect("secret");
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_secret_until"].is_string());
    ada.say(general, "after rotation").await;
    let got = next(&mut ws_rx).await;
    let sigs: Vec<&str> = got.header("webhook-signature").split(' ').collect();
    assert_eq!(sigs, vec![signature(new_secret, &got), signature(secret, &got)]);

    // A test event, and the log of it all.
    ada.post_empty(&format!("/api/v1/outgoing-hooks/{hook_id}/test")).await.expect(202);
    assert_eq!(next(&mut ws_rx).await.json()["type"], "ping");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = ada.get(&format!("/api/v1/outgoing-hooks/{hook_id}/deliveries")).await.expect(200).body;
    let log = log.as_array().expect("log").clone();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|d| d["state"] == "delivered" && d["attempt_log"][0]["status"] == 200), "{log:?}");
    assert_eq!(log[0]["event_type"], "ping", "newest first");
    assert!(log[0].get("payload").is_none(), "bodies are not shown in the log");
    ada.get(&format!("/api/v1/outgoing-hooks/{hook_id}/deliveries?state=maybe")).await.expect_err(422, "invalid_input");
}

#[tokio::test]
async fn a_refused_address_is_logged_with_its_reason() {
    // Allowed when created (a public name), refused when resolved: the name points at loopback.
    let app = TestApp::spawn_with(|s| s.integrations.webhook_retry_s = vec![], Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let hook =
        subscribe(&ada, ws, json!({"name": "Local", "url": "http://localhost/x", "events": ["message.created"]})).await;
    ada.say(general, "where does this go").await;
    let id = hook["id"].as_str().expect("id");
    let mut log = Value::Null;
    for _ in 0..100 {
        log = ada.get(&format!("/api/v1/outgoing-hooks/{id}/deliveries")).await.expect(200).body;
        if log[0]["state"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log[0]["state"], "failed", "{log}");
    let error = log[0]["attempt_log"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("loopback"), "the refusal reason is recorded: {error}");
}
