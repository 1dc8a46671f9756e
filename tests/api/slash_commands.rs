//! Slash commands: registering them, the built-ins, a command server (a real HTTP server
//! here) answering in the channel or to the caller only, a later answer through the
//! `response_url` reaching the caller's sockets and nobody else's, its 5 uses and 30
//! minutes, and a hostile answer made harmless.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp};
use crate::receiver::{answering, next, Received};
use crate::ws_client::Ws;

fn form(r: &Received) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&r.body).into_owned().collect()
}

fn field(r: &Received, name: &str) -> String {
    form(r).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

/// A command server: `public` → in_channel (with hostile markup), `later` → nothing now,
/// anything else → an ephemeral answer.
fn command_server(r: &Received) -> (u16, String) {
    match field(r, "text").as_str() {
        "public" => (
            200,
            json!({"response_type": "in_channel", "text": "deployed <javascript:alert(1)|click> <b>bold</b> <img src=x onerror=alert(1)>"})
                .to_string(),
        ),
        "later" => (200, String::new()),
        "broken" => (500, "no".into()),
        other => (200, json!({"text": format!("only you see *{other}*")}).to_string()),
    }
}

async fn register(ada: &Client, ws: Uuid, url: &str) -> Value {
    ada.post(
        &format!("/api/v1/workspaces/{ws}/slash-commands"),
        json!({"command": "/deploy", "url": url, "description": "Ship it", "usage_hint": "[env]"}),
    )
    .await
    .expect(201)
    .body
}

async fn run(c: &Client, channel: Uuid, command: &str, text: &str) -> crate::helpers::Resp {
    c.post(&format!("/api/v1/channels/{channel}/commands"), json!({"command": command, "text": text})).await
}

#[tokio::test]
async fn admins_register_commands_people_list_them_and_builtins_run() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let path = format!("/api/v1/workspaces/{ws}/slash-commands");
    let body = |name: &str, url: &str| json!({"command": name, "url": url});
    bob.post(&path, body("deploy", "https://example.com/c")).await.expect_err(403, "not_allowed");
    bob.get(&path).await.expect_err(403, "not_allowed");
    ada.post(&path, body("de ploy", "https://example.com/c")).await.expect_err(422, "invalid_input");
    ada.post(&path, body("/me", "https://example.com/c")).await.expect_err(409, "command_taken");
    ada.post(&path, body("deploy", "http://127.0.0.1:9000/c")).await.expect_err(422, "invalid_input");
    let made = ada
        .post(&path, json!({"command": "/Deploy", "url": "https://example.com/c", "usage_hint": "[env]"}))
        .await
        .expect(201);
    assert_eq!(made.body["command"], "/deploy");
    assert!(made.body["secret"].as_str().unwrap_or_default().starts_with("whsec_"));
    ada.post(&path, body("deploy", "https://example.com/d")).await.expect_err(409, "command_taken");

    let list = bob.get(&format!("/api/v1/workspaces/{ws}/commands")).await.expect(200).body;
    let names: Vec<&str> = list.as_array().expect("list").iter().filter_map(|c| c["command"].as_str()).collect();
    for n in ["/me", "/shrug", "/topic", "/invite", "/leave", "/mute", "/dnd", "/search", "/help", "/deploy"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(list.as_array().expect("list").iter().all(|c| c.get("url").is_none()), "people do not see URLs");

    let me = run(&bob, general, "/me", "waves").await.expect(200).body;
    assert_eq!(me["response_type"], "in_channel");
    assert_eq!(me["message"]["text"], "_waves_");
    let shrug = run(&bob, general, "/shrug", "oh well").await.expect(200).body;
    assert!(shrug["message"]["html"].as_str().unwrap_or_default().contains("oh well ¯\\_(ツ)_/¯"), "{shrug}");
    let help = run(&bob, general, "/help", "").await.expect(200).body;
    assert_eq!(help["response_type"], "ephemeral");
    let html = help["ephemeral"]["html"].as_str().unwrap_or_default();
    assert!(html.contains("<code>/deploy [env]</code>") && html.contains("¯\\_(ツ)_/¯"), "{help}");
    run(&bob, general, "/topic", "x").await.expect_err(400, "client_command");
    run(&bob, general, "/nope", "").await.expect_err(404, "command_not_found");
    let before = bob.history(general, "").await.len();
    assert_eq!(before, 2, "the help answer is not stored");
}

#[tokio::test]
async fn a_command_server_answers_in_channel_privately_and_later() {
    let app = TestApp::spawn_with(|s| s.integrations.allow_hosts = vec!["127.0.0.1".into()], Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let (url, mut rx) = answering(command_server).await;
    let cmd = register(&ada, ws, &url).await;
    let secret = cmd["secret"].as_str().expect("secret");

    // In the channel, as the command, sanitised.
    let r = run(&bob, general, "/deploy", "public").await.expect(200).body;
    let got = next(&mut rx).await;
    assert_eq!(got.header("content-type"), "application/x-www-form-urlencoded");
    let key = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, secret.trim_start_matches("whsec_"))
        .expect("key");
    let signed = format!(
        "{}.{}.{}",
        got.header("webhook-id"),
        got.header("webhook-timestamp"),
        String::from_utf8_lossy(&got.body)
    );
    let expected = format!(
        "v1,{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            integrations::signature::hmac_sha256(&key, signed.as_bytes())
        )
    );
    assert_eq!(got.header("webhook-signature"), expected, "signed like outgoing webhooks");
    assert_eq!(field(&got, "command"), "/deploy");
    assert_eq!(field(&got, "user_name"), "bob");
    assert_eq!(field(&got, "channel_id"), general.to_string());
    assert_eq!(field(&got, "team_id"), ws.to_string());
    assert!(!field(&got, "trigger_id").is_empty());
    assert!(field(&got, "response_url").starts_with(&format!("{}/commands/respond/cmdr_", app.base)));
    assert_eq!(r["response_type"], "in_channel");
    let html = r["message"]["html"].as_str().unwrap_or_default();
    assert!(!html.contains("javascript:") && !html.contains("<b>") && !html.contains("<img"), "{html}");
    assert_eq!(r["message"]["app"]["name"], "/deploy");
    assert_eq!(r["message"]["author"]["is_bot"], true);

    // Privately, now: in the answer only.
    let r = run(&bob, general, "/deploy", "secretly").await.expect(200).body;
    next(&mut rx).await;
    assert_eq!(r["response_type"], "ephemeral");
    assert!(r["ephemeral"]["html"].as_str().unwrap_or_default().contains("<strong>secretly</strong>"), "{r}");
    assert_eq!(bob.history(general, "").await.len(), 1, "ephemeral answers are not stored");

    // Later, through the response URL: to Bob's sockets only.
    let mut bob_ws = Ws::connect(&bob).await;
    let mut ada_ws = Ws::connect(&ada).await;
    let r = run(&bob, general, "/deploy", "later").await.expect(200).body;
    assert_eq!(r["response_type"], "none");
    let respond = field(&next(&mut rx).await, "response_url");
    let http = reqwest::Client::new();
    let answer = |body: Value| http.post(&respond).json(&body).send();
    let sent = answer(json!({"text": "done *later*"})).await.expect("respond");
    assert_eq!(sent.status().as_u16(), 200);
    let ev = bob_ws.expect("the ephemeral answer", |v| v["type"] == "message.ephemeral").await;
    assert_eq!(ev["data"]["text"], "done **later**", "Slack mrkdwn, as Markdown");
    assert_eq!(ev["data"]["app"]["name"], "/deploy");
    ada.say(general, "marker").await;
    let first_for_ada =
        ada_ws.expect("a message event", |v| v["type"].as_str().unwrap_or("").starts_with("message.")).await;
    assert_eq!(first_for_ada["type"], "message.created", "Ada never sees Bob's ephemeral answer: {first_for_ada}");
    assert_eq!(ada.history(general, "").await.len(), 2, "nor is it stored");

    let sent = answer(json!({"response_type": "in_channel", "text": "announced"})).await.expect("respond");
    assert_eq!(sent.status().as_u16(), 200);
    assert_eq!(ada.history(general, "").await.last().expect("last")["text"], "announced");
    for _ in 0..3 {
        assert_eq!(answer(json!({"text": "again"})).await.expect("respond").status().as_u16(), 200);
    }
    let used_up = answer(json!({"text": "sixth"})).await.expect("respond");
    assert_eq!(used_up.status().as_u16(), 404, "5 uses");
    assert_eq!(used_up.json::<Value>().await.expect("json")["error"], "expired_url");

    // 30 minutes: a URL past its time is refused.
    run(&bob, general, "/deploy", "later").await.expect(200);
    let respond = field(&next(&mut rx).await, "response_url");
    {
        use parley::commands::model::response;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let token = respond.rsplit('/').next().expect("token");
        response::Entity::update_many()
            .col_expr(response::Column::ExpiresAt, sea_orm::sea_query::Expr::value(1i64))
            .filter(response::Column::TokenHash.eq(parley::auth::secret_token::hash(token)))
            .exec(&app.state.db.conn)
            .await
            .expect("expire");
    }
    let late = http.post(&respond).json(&json!({"text": "too late"})).send().await.expect("respond");
    assert_eq!(late.status().as_u16(), 404);

    // A server that fails: the caller is told, privately.
    let r = run(&bob, general, "/deploy", "broken").await.expect(200).body;
    assert_eq!(r["response_type"], "ephemeral");
    assert!(r["ephemeral"]["text"].as_str().unwrap_or_default().contains("answered 500"), "{r}");
}
