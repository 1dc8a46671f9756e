//! Authorization over every operation of the OpenAPI document, for ten kinds of caller.
//!
//! The callers: nobody signed in; an account of another workspace; a guest, a member, the
//! channel's creator, an admin of the workspace; an instance administrator who is not in
//! it; a deactivated member; a bot in the channel whose token has every scope but the one
//! the route needs; one with every scope. Each row holds one letter per caller —
//! `A` answered (let through: anything but 401, 403 or 404, and never a 5xx), `U` 401,
//! `F` 403, `H` 404 byte-identical to the 404 the same caller gets for a missing target
//! (or, where the path names nothing, for a route that does not exist). An operation
//! without a row, or a row without an operation, fails the test: no route added later
//! escapes it (the table is in authz_table.rs, the fixtures in authz_fixture.rs). Set
//! PARLEY_AUTHZ_PRINT=1 to print the rows as observed.
//!
//! Reads run on one fixture. Every other operation runs on a fresh one (a workspace with
//! its channel, message, file, hooks, command, bots and invitation): the callers expected
//! to be refused first, together — a refusal changes nothing — then each caller expected
//! to be let through on a fixture of its own, so one caller's change (a removal, an
//! archive) never decides another's answer.
use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::authz_fixture::{body_of, concrete, fixture, people, unique, Fixture, People, Target};
use crate::authz_table::{CALLERS, EXPECTED};
use crate::helpers::{Client, TestApp, PASSWORD};

/// The WebSocket: a real handshake and hello; `ready` lets the caller in, a close code
/// says why not.
async fn ws_letter(c: &Client) -> (char, String) {
    use crate::ws_client::{Options, Ws};
    let hello = json!({"type": "hello", "token": c.token});
    let origin = Options { origin: Some(c.base.clone()), ..Default::default() };
    let mut stream = match Ws::raw(c, origin, hello).await {
        Ok(s) => s,
        Err(e) if e.contains("401") => return ('U', e),
        Err(e) if e.contains("403") => return ('F', e),
        Err(e) => return ('E', e),
    };
    use futures_util::StreamExt;
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await;
    let text = match first {
        Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => t.to_string(),
        Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame))))) => {
            let code = u16::from(frame.code);
            let letter = match code {
                4001 | 4010 => 'U',
                4003 => 'F',
                _ => 'E',
            };
            return (letter, format!("closed {code} {}", frame.reason));
        }
        other => return ('E', format!("{other:?}")),
    };
    if text.contains("\"ready\"") {
        ('A', text)
    } else {
        ('E', text)
    }
}

/// What an answer says about the caller's reach. A 404 counts as hidden only when it is
/// the one a missing target gets; another (a pin that is not there) got past the check.
fn letter(r: &crate::client::Resp, missing: Option<&Value>) -> char {
    if r.status == 200 && r.body["ok"] == false {
        // The Slack API answers 200 with its own error names.
        return match r.body["error"].as_str().unwrap_or_default() {
            "not_authed" | "invalid_auth" | "account_inactive" => 'U',
            "missing_scope" | "restricted_action" | "not_in_channel" => 'F',
            "channel_not_found" | "message_not_found" | "user_not_found" => 'H',
            _ => 'A',
        };
    }
    match r.status {
        401 => 'U',
        403 => 'F',
        404 if missing.is_none_or(|m| *m == r.body) => 'H',
        s if s >= 500 => 'E',
        _ => 'A',
    }
}

async fn call(c: &Client, method: &str, path: &str, body: &Option<Value>) -> crate::client::Resp {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    c.send(m, path, body.clone()).await
}

/// The caller; "bot_without" gets a token with every scope but the one the route needs
/// (and the path that revokes it after: a bot holds only so many).
async fn caller(who: &str, p: &People, f: &Fixture, method: &str, path: &str) -> (Client, Option<String>) {
    use parley::bots::scopes::{required, BotAccess, Scope, ALL};
    match who {
        "bot_with" => (f.bot_with.clone(), None),
        "bot_without" => {
            let m = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let lacking = match required(&m, path) {
                BotAccess::Needs(scope) => Some(scope),
                _ if path.starts_with("/slack/api/") && method == "get" => Some(Scope::ChannelsHistory),
                _ if path.starts_with("/slack/api/") => Some(Scope::ChatWrite),
                _ => None,
            };
            let scopes: Vec<&str> = ALL.iter().filter(|s| Some(**s) != lacking).map(|s| s.as_str()).collect();
            let wsadmin = &p.callers["workspace_admin"];
            let tokens = format!("/api/v1/bots/{}/tokens", f.bot_without.user_id);
            let t = wsadmin.post(&tokens, json!({"name": unique("t"), "scopes": scopes})).await.expect(201);
            let mut b = f.bot_without.clone();
            b.token = t.body["token"].as_str().map(str::to_owned);
            (b, Some(format!("{tokens}/{}", t.body["id"].as_str().expect("token id"))))
        }
        other => (p.callers[other].clone(), None),
    }
}

/// Signs a caller in again when an operation ended their session (logout, a password).
async fn keep_signed_in(app: &TestApp, p: &mut People, who: &'static str) {
    if matches!(who, "anonymous" | "deactivated" | "bot_with" | "bot_without") {
        return;
    }
    let c = &p.callers[who];
    if c.get("/api/v1/me").await.status == 401 {
        let mut fresh = app.login_as(&c.email, PASSWORD).await;
        fresh.user_id = c.user_id;
        fresh.username = c.username.clone();
        fresh.email = c.email.clone();
        if who == "instance_admin" {
            p.ada = fresh.clone();
        }
        p.callers.insert(who, fresh);
    }
}

#[tokio::test]
async fn every_operation_answers_each_kind_of_caller_as_the_table_says() {
    let app = TestApp::spawn_with(
        |s| {
            s.integrations.allow_hosts = vec!["127.0.0.1".into()];
            s.server.requests_per_minute_per_credential = 0;
            s.server.requests_per_minute_per_address = 0;
            s.auth.login_attempts_per_ip_per_minute = 100_000;
            s.auth.login_attempts_per_account_per_minute = 100_000;
        },
        Default::default(),
    )
    .await;
    let mut p = people(&app).await;
    let doc = p.ada.get("/api/v1/openapi.json").await.expect(200).body;
    let route_missing = app.anon().get("/api/v1/no/such/route").await.expect(404).body;
    let expected: BTreeMap<&str, &str> = EXPECTED.iter().copied().collect();
    let print = std::env::var("PARLEY_AUTHZ_PRINT").is_ok();

    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            operations.push((method.clone(), path.clone(), op.clone()));
        }
    }
    // Reads first, on one fixture; then each change on fixtures of its own.
    operations.sort_by_key(|(m, path, _)| (m != "get", path.clone()));
    let mut failures = Vec::new();
    let mut observed = Vec::new();
    let mut seen = Vec::new();
    let shared = fixture(&app, &p).await;
    for (method, path, op) in &operations {
        let key = format!("{} {path}", method.to_uppercase());
        seen.push(key.clone());
        let want: Vec<char> = match expected.get(key.as_str()) {
            Some(row) => row.chars().collect(),
            None if print => vec!['?'; CALLERS.len()],
            None => {
                failures.push(format!("{key}: no row in EXPECTED"));
                continue;
            }
        };
        let read = method == "get";
        let required: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        let target = Target { path, read, query: &required };
        let mut got = vec!['?'; CALLERS.len()];
        // The refused (all of them, on one fixture), then each let-through on its own.
        let mut order: Vec<usize> = (0..CALLERS.len()).collect();
        order.sort_by_key(|i| want[*i] == 'A');
        let refused_fixture = if read { None } else { Some(fixture(&app, &p).await) };
        for i in order {
            let who = CALLERS[i];
            let own;
            let f = match (&refused_fixture, want[i]) {
                _ if read => &shared,
                (Some(f), c) if c != 'A' && c != '?' => f,
                _ => {
                    own = fixture(&app, &p).await;
                    &own
                }
            };
            let body = body_of(&doc, method, path, op, f, &p);
            let (c, revoke) = caller(who, &p, f, method, path).await;
            if path == "/api/v1/ws" {
                let (l, said) = ws_letter(&c).await;
                got[i] = l;
                if print {
                    eprintln!("cell {key} {who} {said}");
                }
                if got[i] != want[i] && want[i] != '?' || l == 'E' {
                    failures.push(format!("{key} as {who}: expected {}, got {said}", want[i]));
                }
                if let Some(revoke) = revoke {
                    p.callers["workspace_admin"].delete(&revoke).await;
                }
                continue;
            }
            let r = call(&c, method, &concrete(&target, f, false), &body).await;
            let slack_refusal = r.status == 200 && r.body["ok"] == false;
            let missing = if r.status != 404 && !slack_refusal {
                None
            } else if path.contains('{') {
                let body = if path.starts_with("/slack/") {
                    Some(json!({"channel": Uuid::now_v7(), "text": "hi"}))
                } else {
                    body.clone()
                };
                Some(call(&c, method, &concrete(&target, f, true), &body).await.body)
            } else {
                Some(route_missing.clone())
            };
            got[i] = letter(&r, missing.as_ref());
            if print {
                eprintln!("cell {key} {who} {} {}", r.status, r.body.to_string().chars().take(160).collect::<String>());
            }
            if got[i] != want[i] && want[i] != '?' {
                failures.push(format!("{key} as {who}: expected {}, got {} {}", want[i], r.status, r.body));
            }
            if got[i] == 'E' {
                failures.push(format!("{key} as {who}: {} {}", r.status, r.body));
            }
            if let Some(revoke) = revoke {
                p.callers["workspace_admin"].delete(&revoke).await;
            }
            keep_signed_in(&app, &mut p, who).await;
        }
        observed.push(format!("    (\"{key}\", \"{}\"),", got.iter().collect::<String>()));
    }
    for (key, _) in EXPECTED {
        if !seen.iter().any(|s| s == key) {
            failures.push(format!("{key}: in EXPECTED but not in the OpenAPI document"));
        }
    }
    if print {
        println!("{}", observed.join("\n"));
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
