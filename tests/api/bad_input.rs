//! Bad input gets a clear 4xx with a stable code, and nothing is stored.
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, Resp, TestApp};

async fn raw(c: &Client, path: &str, content_type: Option<&str>, body: impl Into<reqwest::Body>) -> Resp {
    let mut req = c.request(Method::POST, path).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    Client::finish(req).await
}

#[track_caller]
fn assert_error_shape(r: &Resp) {
    assert!(r.status >= 400, "{}", r.status);
    let code = r.body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code in {:?}", r.body));
    assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{:?}", r.body);
    assert!(r.headers.get("x-request-id").is_some_and(|v| !v.is_empty()), "x-request-id on {}", r.status);
    let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(ct.starts_with("application/json"), "{ct}");
}

#[tokio::test]
async fn bodies_that_are_not_the_json_we_expect_are_refused() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let path = format!("/api/v1/channels/{general}/messages");
    let json_ct = Some("application/json");
    let mut errors = Vec::new();

    for body in [&b"{\"text\": \"hi\""[..], b"{\"text\": hi}", b"", b"not json", b"{\"text\": \"\xff\xfe\"}"] {
        let r = raw(&ada, &path, json_ct, body.to_vec()).await.expect_err(400, "malformed_json");
        errors.push(r);
    }
    for (body, what) in [
        (json!({"text": 5}), "wrong type"),
        (json!({"text": "hi", "extra": true}), "unknown field"),
        (json!({}), "missing field"),
        (json!(["text"]), "not an object"),
        (json!({"text": "hi", "thread_root_id": "not-a-uuid"}), "bad uuid"),
    ] {
        let r = ada.post(&path, body).await;
        assert_eq!((r.status, r.code()), (422, "invalid_input"), "{what}: {:?}", r.body);
        errors.push(r);
    }
    errors.push(raw(&ada, &path, None, r#"{"text":"hi"}"#).await.expect_err(415, "unsupported_media_type"));
    errors
        .push(raw(&ada, &path, Some("text/plain"), r#"{"text":"hi"}"#).await.expect_err(415, "unsupported_media_type"));
    errors.push(
        raw(&ada, &path, Some("application/x-www-form-urlencoded"), "text=hi")
            .await
            .expect_err(415, "unsupported_media_type"),
    );
    let big = json!({"text": "x".repeat(300 * 1024)}).to_string();
    errors.push(raw(&ada, &path, json_ct, big).await.expect_err(413, "payload_too_large"));

    for r in &errors {
        assert_error_shape(r);
    }
    assert!(ada.history(general, "").await.is_empty(), "none of it was stored");
    assert_eq!(ada.get(&format!("/api/v1/channels/{general}")).await.body["last_seq"], 0, "no seq was burnt");
    // The charset parameter and +json types are fine.
    raw(&ada, &path, Some("application/json; charset=utf-8"), r#"{"text":"ok"}"#).await.expect(201);
}

#[tokio::test]
async fn message_text_is_bounded_in_characters_and_must_not_be_blank() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let path = format!("/api/v1/channels/{general}/messages");

    for text in ["x".repeat(16_001), "é".repeat(16_001), String::new(), "   ".into(), "\n\t \n".into()] {
        let r = ada.post(&path, json!({"text": text})).await.expect_err(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "text");
        assert_error_shape(&r);
    }
    for text in ["a\u{0}b", "red \u{1b}[31m", "c1 \u{85}"] {
        let r = ada.post(&path, json!({"text": text})).await.expect_err(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "body", "refused at the edge, before any field is read");
        assert_error_shape(&r);
    }
    assert!(ada.history(general, "").await.is_empty(), "nothing stored");

    let exact = ada.say(general, &"x".repeat(16_000)).await;
    assert_eq!(exact["text"].as_str().map(str::len), Some(16_000));
    let wide = ada.say(general, &"é".repeat(16_000)).await;
    assert_eq!(wide["text"].as_str().map(|t| t.chars().count()), Some(16_000), "counted in characters, not bytes");
    let history = ada.history(general, "").await;
    assert_eq!(history.iter().map(|m| m["seq"].as_i64().unwrap_or(0)).collect::<Vec<_>>(), [1, 2]);
}

#[tokio::test]
async fn unknown_things_answer_404_with_the_resource_code() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let nobody = Uuid::now_v7();
    let cases = [
        (ada.get(&format!("/api/v1/channels/{nobody}")).await, "channel_not_found"),
        (ada.get(&format!("/api/v1/channels/{nobody}/messages")).await, "channel_not_found"),
        (ada.post(&format!("/api/v1/channels/{nobody}/messages"), json!({"text": "x"})).await, "channel_not_found"),
        (ada.get(&format!("/api/v1/messages/{nobody}")).await, "message_not_found"),
        (ada.get(&format!("/api/v1/messages/{nobody}/thread")).await, "message_not_found"),
        (ada.get(&format!("/api/v1/workspaces/{nobody}")).await, "workspace_not_found"),
        (ada.get(&format!("/api/v1/workspaces/{nobody}/channels")).await, "workspace_not_found"),
        (ada.get(&format!("/api/v1/users/{nobody}")).await, "user_not_found"),
        (ada.get("/api/v1/channels/not-a-uuid").await, "route_not_found"),
        (ada.get("/api/v1/messages/123/thread").await, "route_not_found"),
        (ada.post("/api/v1/channels/0000/messages", json!({"text": "x"})).await, "route_not_found"),
        (ada.get("/api/v1/nope").await, "route_not_found"),
        (app.anon().get("/api/v2/channels").await, "route_not_found"),
        (app.anon().get("/no/such/page").await, "route_not_found"),
    ];
    for (r, code) in cases {
        assert_eq!((r.status, r.code()), (404, code), "{:?}", r.body);
        assert_error_shape(&r);
    }
    for q in ["limit=abc", "before=-x", "include_replies=maybe", "unknown=1", "around_id=nope"] {
        let r = ada.get(&format!("/api/v1/channels/{general}/messages?{q}")).await;
        assert_eq!((r.status, r.code()), (400, "invalid_query"), "{q}: {:?}", r.body);
        assert_error_shape(&r);
    }
    let r = app.anon().get("/api/v1/me").await.expect_err(401, "unauthenticated");
    assert_error_shape(&r);
}

#[tokio::test]
async fn hostile_looking_strings_are_stored_and_returned_verbatim() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let nasty = [
        "'; DROP TABLE messages; --",
        "<script>alert(1)</script>",
        "\" OR 1=1 --",
        "Robert'); DELETE FROM users WHERE ('a'='a",
        "%00 ${jndi:ldap://x} {{7*7}} \\x00",
        "👩‍💻 naïve café 日本語 مرحبا",
    ];
    let town = ada.channel(ws, "town", false).await;
    for (i, s) in nasty.iter().enumerate() {
        let topic = ada.patch(&format!("/api/v1/channels/{town}"), json!({"topic": s})).await.expect(200);
        assert_eq!(topic.body["topic"], *s);
        let me = bob.patch("/api/v1/me", json!({"display_name": s})).await.expect(200);
        assert_eq!(me.body["display_name"], *s);
        let m = bob.say(general, s).await;
        assert_eq!(m["text"], *s);
        assert_eq!(m["author"]["display_name"], *s);
        let stored = ada.get(&format!("/api/v1/messages/{}", m["id"].as_str().expect("id"))).await.expect(200);
        assert_eq!((&stored.body["text"], stored.body["seq"].as_i64()), (&Value::from(*s), Some(i as i64 + 1)));
        let (_, created) = crate::helpers::create_workspace(&ada, s).await;
        assert_eq!(created["name"], *s);
    }
    // Everything still works and nothing went missing.
    let history = ada.history(general, "").await;
    let texts: Vec<&str> = history.iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts, nasty);
    let got = ada.get(&format!("/api/v1/channels/{town}")).await.expect(200);
    assert_eq!(got.body["topic"], nasty[nasty.len() - 1]);
    let members = ada.get(&format!("/api/v1/workspaces/{ws}/members")).await.expect(200);
    assert_eq!(members.body.as_array().expect("members").len(), 2);
    assert_eq!(ada.get("/api/v1/workspaces").await.body.as_array().expect("list").len(), 1 + nasty.len());
    app.login("ada@acme.test", crate::helpers::PASSWORD).await.expect(200);
}

/// One rule for both databases: a NUL (or another control character) in any string the
/// API accepts is refused with 422 before anything is read or stored. PostgreSQL would
/// otherwise fail with a 500; SQLite would store it.
#[tokio::test]
async fn nul_is_refused_in_every_text_field_on_every_route() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let msg = ada.say(general, "hello").await["id"].as_str().expect("id").to_owned();
    let me = ada.user_id;
    let nul = "a\u{0}b";
    let cases: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/api/v1/auth/login".into(), json!({"email": format!("{nul}@x.test"), "password": "p"})),
        (Method::POST, "/api/v1/auth/login".into(), json!({"email": "ada@acme.test", "password": nul})),
        (
            Method::POST,
            "/api/v1/auth/signup".into(),
            json!({"invite_token": nul, "email": "z@x.test",
            "display_name": "Z", "username": "z", "password": "correct horse battery staple"}),
        ),
        (
            Method::POST,
            "/api/v1/setup".into(),
            json!({"token": nul, "workspace_name": "W", "display_name": "D",
            "email": "d@x.test", "username": "d", "password": "correct horse battery staple"}),
        ),
        (Method::POST, "/api/v1/me/tokens".into(), json!({"name": nul})),
        (Method::PATCH, "/api/v1/me".into(), json!({"display_name": nul})),
        (Method::PATCH, "/api/v1/me".into(), json!({"status": {"text": nul}})),
        (Method::PATCH, "/api/v1/me".into(), json!({"preferences": {nul: true}})),
        (Method::POST, "/api/v1/me/password".into(), json!({"current_password": nul, "new_password": "x"})),
        (Method::POST, "/api/v1/workspaces".into(), json!({"name": nul})),
        (Method::POST, format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member", "email": nul})),
        (Method::POST, format!("/api/v1/workspaces/{ws}/channels"), json!({"name": nul})),
        (Method::POST, format!("/api/v1/workspaces/{ws}/channels"), json!({"name": "ok", "topic": nul})),
        (Method::PATCH, format!("/api/v1/channels/{general}"), json!({"topic": nul})),
        (Method::PATCH, format!("/api/v1/channels/{general}"), json!({"purpose": nul})),
        (Method::POST, format!("/api/v1/channels/{general}/messages"), json!({"text": nul})),
        (Method::POST, format!("/api/v1/channels/{general}/messages"), json!({"text": "ok", "client_msg_id": nul})),
        (Method::PATCH, format!("/api/v1/messages/{msg}"), json!({"text": nul})),
        (Method::POST, format!("/api/v1/messages/{msg}/reactions"), json!({"emoji": nul})),
        (Method::PUT, "/api/v1/me/presence".into(), json!({"status": nul})),
        (Method::PATCH, format!("/api/v1/workspaces/{ws}/members/{me}"), json!({"role": nul})),
    ];
    for (method, path, body) in cases {
        let r = ada.send(method.clone(), &path, Some(body.clone())).await;
        assert_eq!((r.status, r.code()), (422, "invalid_input"), "{method} {path} {body}: {:?}", r.body);
        assert_error_shape(&r);
    }
    // In query strings and paths too.
    for path in [
        "/api/v1/search?q=a%00b".to_owned(),
        format!("/api/v1/channels/{general}/messages?before=%00"),
        format!("/api/v1/messages/{msg}/reactions/a%00b"),
    ] {
        let r = ada.get(&path).await;
        assert_eq!((r.status, r.code()), (422, "invalid_input"), "{path}: {:?}", r.body);
    }
    let r = ada.delete(&format!("/api/v1/messages/{msg}/reactions/a%00b")).await;
    assert_eq!((r.status, r.code()), (422, "invalid_input"), "{:?}", r.body);
    // Nothing of it was stored.
    let history = ada.history(general, "").await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["text"], "hello");
    assert_eq!(ada.get("/api/v1/workspaces").await.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn numbers_past_what_the_database_takes_are_refused_not_crashed_on() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.setup_admin().await;
    // Found by schemathesis: an offset over i64::MAX reached the database driver, which
    // panicked and took the connection down without an answer.
    for offset in ["9223372036854775808", "18446744073709551615", "10000001"] {
        ada.get(&format!("/api/v1/admin/users?offset={offset}")).await.expect_err(422, "invalid_input");
    }
    ada.get("/api/v1/admin/users?offset=10000000").await.expect(200);
    ada.get("/api/v1/me").await.expect(200);
}
