//! Incoming webhooks from outside: Slack's payloads and the tools' own, the answers
//! Slack gives, signatures, limits, and what a hook may never do.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp};

/// A hook in #general made by the admin: (its URL, its id).
async fn hook(ada: &Client, channel: Uuid, body: Value) -> (String, Uuid) {
    let r = ada.post(&format!("/api/v1/channels/{channel}/hooks"), body).await.expect(201);
    let url = r.body["url"].as_str().expect("url").to_owned();
    assert!(url.contains("/hooks/hook_"), "{url}");
    (url, r.id())
}

/// Posts to a hook URL as a tool would: the status and the plain-text answer.
async fn send(
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let mut req = reqwest::Client::new().post(url).header("content-type", content_type).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("send");
    let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (r.status().as_u16(), r.text().await.expect("body"), retry)
}

async fn json_to(url: &str, body: Value) -> (u16, String) {
    let (s, t, _) = send(url, "application/json; charset=utf-8", body.to_string(), &[]).await;
    (s, t)
}

#[tokio::test]
async fn a_slack_payload_posts_as_the_hook_with_its_cards() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (url, id) = hook(&ada, general, json!({"name": "Deploys", "avatar_url": "https://example.com/d.png"})).await;

    assert_eq!(
        json_to(&url, json!({"text": "Deploy *done* <https://ci.example.com/1|run 1>"})).await,
        (200, "ok".into())
    );
    let payload = json!({"username": "CI bot", "attachments": [{"color": "danger", "title": "Build failed",
        "title_link": "https://ci.example.com/2", "text": "*3* tests failed", "fields": [{"title": "Branch", "value": "main", "short": true}]}]});
    let form =
        format!("payload={}", url::form_urlencoded::byte_serialize(payload.to_string().as_bytes()).collect::<String>());
    let (status, answer, _) = send(&url, "application/x-www-form-urlencoded", form, &[]).await;
    assert_eq!((status, answer.as_str()), (200, "ok"), "Slack's legacy form encoding");

    let history = ada.history(general, "").await;
    let first = &history[history.len() - 2];
    assert_eq!(first["author"]["is_bot"], true);
    assert_eq!(first["app"]["name"], "Deploys");
    assert_eq!(first["app"]["icon_url"], "https://example.com/d.png");
    assert!(first["html"].as_str().unwrap_or_default().contains("<strong>done</strong>"), "{first}");
    assert!(first["html"].as_str().unwrap_or_default().contains("href=\"https://ci.example.com/1\""), "{first}");
    let second = &history[history.len() - 1];
    assert_eq!(second["app"]["name"], "CI bot", "the payload's username wins");
    let card = &second["attachments"][0];
    assert_eq!((card["color"].as_str(), card["title"].as_str()), (Some("#e01e5a"), Some("Build failed")));
    assert!(card["text_html"].as_str().unwrap_or_default().contains("<strong>3</strong>"), "{card}");
    assert_eq!(card["fields"][0]["title"], "Branch");

    // Listed (without its token), and it shows when it was last used.
    let listed = ada.get(&format!("/api/v1/workspaces/{ws}/hooks")).await.expect(200);
    let row = &listed.body[0];
    assert_eq!((row["id"].as_str(), row["has_secret"].as_bool()), (Some(&*id.to_string()), Some(false)));
    assert!(row["last_used_at"].is_string() && row.get("url").is_none(), "{row}");
    // The bot identity is marked as such where people are listed.
    let bot_user = row["bot_user_id"].as_str().expect("bot user").to_owned();
    let user = ada.get(&format!("/api/v1/users/{bot_user}")).await.expect(200);
    assert_eq!((user.body["is_bot"].as_bool(), user.body["display_name"].as_str()), (Some(true), Some("Deploys")));
}

#[tokio::test]
async fn bad_requests_get_slacks_answers_and_store_nothing() {
    let app = TestApp::spawn_with(|s| s.integrations.hook_burst = 1000, Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (url, _) = hook(&ada, general, json!({"name": "Tool"})).await;

    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let big = json!({"text": "x".repeat(1024 * 1024)}).to_string();
    for (body, ct, want) in [
        ("{\"text\": ".to_owned(), "application/json", (400, "invalid_payload")),
        ("{}".to_owned(), "application/json", (400, "invalid_payload")),
        ("[]".to_owned(), "application/json", (400, "invalid_payload")),
        (deep, "application/json", (400, "invalid_payload")),
        (json!({"text": "x".repeat(16_001)}).to_string(), "application/json", (400, "invalid_payload")),
        ("payload=%7Bnot".to_owned(), "application/x-www-form-urlencoded", (400, "invalid_payload")),
        ("text=no+payload+field".to_owned(), "application/x-www-form-urlencoded", (400, "invalid_payload")),
        (big, "application/json", (413, "payload_too_large")),
    ] {
        let (status, answer, _) = send(&url, ct, body.clone(), &[]).await;
        assert_eq!((status, answer.as_str()), want, "{}", &body[..body.len().min(60)]);
    }
    let (status, answer, _) = send(&format!("{url}x"), "application/json", "{\"text\":\"hi\"}", &[]).await;
    assert_eq!((status, answer.as_str()), (404, "no_service"));
    let (status, _, _) = send(&format!("{url}/teamcity"), "application/json", "{\"text\":\"hi\"}", &[]).await;
    assert_eq!(status, 404, "an unknown format");
    assert_eq!(json_to(&url, json!({"text": "hi", "channel": "#nowhere"})).await, (404, "channel_not_found".into()));
    assert!(ada.history(general, "").await.is_empty(), "nothing was stored");

    ada.post_empty(&format!("/api/v1/channels/{general}/archive")).await;
    let town = ada.channel(ws, "town", false).await;
    let (town_url, _) = hook(&ada, town, json!({"name": "Town tool"})).await;
    ada.post_empty(&format!("/api/v1/channels/{town}/archive")).await.expect(204);
    assert_eq!(json_to(&town_url, json!({"text": "hi"})).await, (410, "channel_is_archived".into()));
}

#[tokio::test]
async fn markup_in_every_field_ends_up_inert() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (url, _) = hook(&ada, general, json!({"name": "Hostile"})).await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(1)>[x](javascript:alert(1))";
    let payload = json!({"text": evil, "username": evil, "icon_url": "javascript:alert(1)",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": format!("{evil} <javascript:alert(1)|click>")}}],
        "attachments": [{"title": evil, "title_link": "javascript:alert(1)", "pretext": evil, "text": evil,
            "color": "red;background:url(x)", "image_url": "data:image/png;base64,AAAA",
            "fields": [{"title": evil, "value": evil}], "footer": evil}]});
    assert_eq!(json_to(&url, payload).await, (200, "ok".into()));
    let m = ada.history(general, "").await.pop().expect("posted");
    let html_parts = [
        m["html"].as_str().unwrap_or_default().to_owned(),
        m["attachments"][0]["pretext_html"].as_str().unwrap_or_default().to_owned(),
        m["attachments"][0]["text_html"].as_str().unwrap_or_default().to_owned(),
        m["attachments"][0]["fields"][0]["value_html"].as_str().unwrap_or_default().to_owned(),
    ];
    for html in &html_parts {
        // Text may say anything; what matters is that no tag or attribute carries it.
        let tags: Vec<&str> = html.split('<').skip(1).filter_map(|t| t.split('>').next()).collect();
        for tag in &tags {
            let lower = tag.to_lowercase();
            assert!(!lower.starts_with("script") && !lower.starts_with("img"), "<{tag}> in {html}");
            assert!(!lower.contains("onerror") && !lower.contains("javascript:"), "<{tag}> in {html}");
        }
    }
    let card = &m["attachments"][0];
    assert!(card["title_link"].is_null() && card["image_url"].is_null() && card["color"].is_null(), "{card}");
    assert!(m["app"]["icon_url"].is_null(), "{}", m["app"]);
}

#[tokio::test]
async fn native_formats_check_the_senders_signature() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (url, id) = hook(&ada, general, json!({"name": "GitHub", "secret": "It's a Secret to Everybody"})).await;
    let body = json!({"zen": "Keep it logically awesome.", "hook_id": 1, "repository": {"full_name": "acme/widgets",
        "html_url": "https://github.example.com/acme/widgets"}, "sender": {"login": "alice"}})
    .to_string();
    let sign = |secret: &[u8], body: &str| integrations::signature::github_signature(secret, body.as_bytes());
    let gh = format!("{url}/github");
    let good = sign(b"It's a Secret to Everybody", &body);
    let bad = sign(b"another secret", &body);
    let (status, answer, _) = send(&gh, "application/json", body.clone(), &[("x-github-event", "ping")]).await;
    assert_eq!((status, answer.as_str()), (401, "missing_signature"));
    let (status, answer, _) =
        send(&gh, "application/json", body.clone(), &[("x-github-event", "ping"), ("x-hub-signature-256", &bad)]).await;
    assert_eq!((status, answer.as_str()), (401, "invalid_signature"));
    assert!(ada.history(general, "").await.is_empty(), "nothing posted without a good signature");
    let (status, answer, _) =
        send(&gh, "application/json", body.clone(), &[("x-github-event", "ping"), ("x-hub-signature-256", &good)])
            .await;
    assert_eq!((status, answer.as_str()), (200, "ok"));
    let posted = ada.history(general, "").await;
    assert!(posted[0]["text"].as_str().unwrap_or_default().contains("GitHub is connected"), "{}", posted[0]);

    // GitLab sends the secret itself; a wrong one is refused the same way.
    ada.patch(&format!("/api/v1/hooks/{id}"), json!({"secret": "gitlab-token-123"})).await.expect(200);
    let gl = format!("{url}/gitlab");
    let push =
        json!({"object_kind": "push", "ref": "refs/heads/main", "user_username": "dana", "total_commits_count": 0,
        "project": {"path_with_namespace": "platform/billing"}, "commits": []})
        .to_string();
    let (status, _, _) = send(&gl, "application/json", push.clone(), &[("x-gitlab-token", "nope")]).await;
    assert_eq!(status, 401);
    let (status, _, _) = send(&gl, "application/json", push, &[("x-gitlab-token", "gitlab-token-123")]).await;
    assert_eq!(status, 200);
    // The secret is stored sealed, never as given.
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.state.db.conn,
        sea_orm::Statement::from_string(app.state.db.backend(), "SELECT secret_sealed FROM incoming_hooks".to_owned()),
    )
    .await
    .expect("query");
    let sealed: String = rows[0].try_get("", "secret_sealed").expect("column");
    assert!(sealed.starts_with("v1:") && !sealed.contains("gitlab-token-123"), "{sealed}");
}

#[tokio::test]
async fn a_hook_is_rate_limited_rotated_and_ends_with_its_creator() {
    let app = TestApp::spawn_with(
        |s| {
            s.integrations.hook_burst = 3;
            s.integrations.hook_per_minute = 1;
        },
        Default::default(),
    )
    .await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let (url, id) = hook(&ada, general, json!({"name": "Chatty"})).await;
    for i in 0..3 {
        assert_eq!(json_to(&url, json!({"text": format!("n{i}")})).await.0, 200);
    }
    let (status, answer, retry) = send(&url, "application/json", json!({"text": "n3"}).to_string(), &[]).await;
    assert_eq!((status, answer.as_str()), (429, "rate_limited"));
    assert!(retry.and_then(|r| r.parse::<u64>().ok()).is_some_and(|s| s >= 1), "Retry-After in seconds");
    assert_eq!(ada.history(general, "").await.len(), 3);

    // Rotating ends the old URL at once.
    let rotated = ada.post_empty(&format!("/api/v1/hooks/{id}/rotate")).await.expect(200);
    let new_url = rotated.body["url"].as_str().expect("url").to_owned();
    assert_ne!(new_url, url);
    assert_eq!(json_to(&url, json!({"text": "old"})).await, (404, "no_service".into()));

    // A member the workspace lets create hooks; the hook dies when its creator is deactivated.
    let bob = app.join(&ada, ws, "bob", "member").await;
    bob.post(&format!("/api/v1/channels/{general}/hooks"), json!({"name": "Bob's"}))
        .await
        .expect_err(403, "not_allowed");
    ada.patch(&format!("/api/v1/workspaces/{ws}/settings"), json!({"members_create_hooks": true})).await.expect(200);
    let (bob_url, bob_hook) = hook(&bob, general, json!({"name": "Bob's"})).await;
    assert_eq!(json_to(&bob_url, json!({"text": "from bob's hook"})).await.0, 200);
    // Bob sees his own hook; not Ada's.
    let mine = bob.get(&format!("/api/v1/workspaces/{ws}/hooks")).await.expect(200);
    assert_eq!(mine.body.as_array().map(Vec::len), Some(1));
    bob.patch(&format!("/api/v1/hooks/{id}"), json!({"name": "mine now"})).await.expect_err(404, "hook_not_found");
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", bob.user_id)).await.expect(204);
    assert_eq!(json_to(&bob_url, json!({"text": "after"})).await, (404, "no_service".into()));
    // Deleting a hook keeps what it posted.
    ada.delete(&format!("/api/v1/hooks/{bob_hook}")).await.expect(204);
    let texts: Vec<String> =
        ada.history(general, "").await.iter().map(|m| m["text"].as_str().unwrap_or_default().to_owned()).collect();
    assert!(texts.contains(&"from bob's hook".to_owned()), "{texts:?}");
}
