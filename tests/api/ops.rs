//! Operations: probes, metrics, request ids, the API documents, and the admin CLI.
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::process::{Command, Output, Stdio};

use parley::error::ERROR_CODES;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Client, TestApp, PASSWORD};

/// Every operation the API serves, kept by hand from src/api/mod.rs.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/setup"),
    ("post", "/api/v1/auth/login"),
    ("get", "/api/v1/ws"),
    ("get", "/api/v1/presence"),
    ("put", "/api/v1/me/presence"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/logout-all"),
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/me/tokens"),
    ("get", "/api/v1/me/tokens"),
    ("delete", "/api/v1/me/tokens/{token_id}"),
    ("get", "/api/v1/auth/sso/providers"),
    ("get", "/api/v1/me/sso-identities"),
    ("post", "/api/v1/me/sso-identities"),
    ("delete", "/api/v1/me/sso-identities/{identity_id}"),
    ("get", "/api/v1/admin/sso"),
    ("post", "/sso/{provider}/backchannel-logout"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/users/{user_id}"),
    ("get", "/api/v1/admin/users"),
    ("get", "/api/v1/admin/overview"),
    ("get", "/api/v1/admin/system"),
    ("get", "/api/v1/admin/users/{user_id}"),
    ("delete", "/api/v1/admin/users/{user_id}/sessions/{session_id}"),
    ("delete", "/api/v1/admin/users/{user_id}/tokens/{token_id}"),
    ("put", "/api/v1/admin/users/{user_id}/role"),
    ("post", "/api/v1/admin/users/{user_id}/password-reset"),
    ("post", "/api/v1/admin/users/{user_id}/deactivate"),
    ("post", "/api/v1/admin/users/{user_id}/reactivate"),
    ("get", "/api/v1/admin/mail"),
    ("post", "/api/v1/admin/mail/{mail_id}/retry"),
    ("delete", "/api/v1/admin/mail/{mail_id}"),
    ("get", "/api/v1/admin/jobs"),
    ("post", "/api/v1/admin/jobs/{job_id}/retry"),
    ("delete", "/api/v1/admin/jobs/{job_id}"),
    ("get", "/api/v1/admin/audit"),
    ("get", "/api/v1/admin/audit/export"),
    ("get", "/api/v1/admin/workspaces"),
    ("post", "/api/v1/admin/workspaces"),
    ("post", "/api/v1/admin/workspaces/{workspace_id}/invites"),
    ("get", "/api/v1/admin/workspaces/{workspace_id}"),
    ("patch", "/api/v1/admin/workspaces/{workspace_id}/settings"),
    ("put", "/api/v1/admin/workspaces/{workspace_id}/limits"),
    ("put", "/api/v1/admin/workspaces/{workspace_id}/name"),
    ("put", "/api/v1/admin/workspaces/{workspace_id}/state"),
    ("post", "/api/v1/admin/workspaces/{workspace_id}/members"),
    ("put", "/api/v1/admin/workspaces/{workspace_id}/members/{user_id}"),
    ("delete", "/api/v1/admin/workspaces/{workspace_id}/members/{user_id}"),
    ("patch", "/api/v1/admin/channels/{channel_id}"),
    ("put", "/api/v1/admin/channels/{channel_id}/state"),
    ("get", "/api/v1/admin/integrations"),
    ("get", "/api/v1/admin/search"),
    ("get", "/api/v1/admin/retention"),
    ("put", "/api/v1/admin/workspaces/{workspace_id}/retention"),
    ("put", "/api/v1/admin/channels/{channel_id}/retention"),
    ("put", "/api/v1/admin/users/{user_id}/legal-hold"),
    ("post", "/api/v1/admin/retention/run"),
    ("post", "/api/v1/admin/search/rebuild"),
    ("get", "/api/v1/admin/tasks/{task_id}"),
    ("post", "/api/v1/admin/exports"),
    ("get", "/api/v1/admin/exports"),
    ("get", "/api/v1/admin/exports/{task_id}/download"),
    ("put", "/api/v1/admin/integrations/{kind}/{id}"),
    ("get", "/api/v1/admin/integrations/outgoing_hook/{hook_id}/deliveries"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/me/email"),
    ("post", "/api/v1/auth/password-reset/complete"),
    ("get", "/api/v1/me/email-notifications"),
    ("put", "/api/v1/me/email-notifications"),
    ("post", "/api/v1/workspaces"),
    ("get", "/api/v1/workspaces"),
    ("get", "/api/v1/workspaces/{workspace_id}"),
    ("get", "/api/v1/workspaces/{workspace_id}/members"),
    ("patch", "/api/v1/workspaces/{workspace_id}/members/{user_id}"),
    ("delete", "/api/v1/workspaces/{workspace_id}/members/{user_id}"),
    ("post", "/api/v1/workspaces/{workspace_id}/invites"),
    ("delete", "/api/v1/workspaces/{workspace_id}/invites/{invite_id}"),
    ("get", "/api/v1/invites/{token}"),
    ("post", "/api/v1/invites/{token}/accept"),
    ("get", "/api/v1/workspaces/{workspace_id}/channels/browse"),
    ("post", "/api/v1/workspaces/{workspace_id}/channels"),
    ("get", "/api/v1/workspaces/{workspace_id}/channels"),
    ("post", "/api/v1/workspaces/{workspace_id}/conversations"),
    ("get", "/api/v1/channels/{channel_id}"),
    ("patch", "/api/v1/channels/{channel_id}"),
    ("post", "/api/v1/channels/{channel_id}/archive"),
    ("post", "/api/v1/channels/{channel_id}/unarchive"),
    ("post", "/api/v1/channels/{channel_id}/join"),
    ("post", "/api/v1/channels/{channel_id}/leave"),
    ("get", "/api/v1/channels/{channel_id}/members"),
    ("post", "/api/v1/channels/{channel_id}/members"),
    ("delete", "/api/v1/channels/{channel_id}/members/{user_id}"),
    ("post", "/api/v1/channels/{channel_id}/read"),
    ("post", "/api/v1/channels/{channel_id}/unread"),
    ("post", "/api/v1/workspaces/{workspace_id}/read"),
    ("post", "/api/v1/workspaces/{workspace_id}/bots"),
    ("get", "/api/v1/workspaces/{workspace_id}/bots"),
    ("patch", "/api/v1/bots/{bot_id}"),
    ("post", "/api/v1/bots/{bot_id}/deactivate"),
    ("post", "/api/v1/bots/{bot_id}/reactivate"),
    ("post", "/api/v1/bots/{bot_id}/tokens"),
    ("get", "/api/v1/bots/{bot_id}/tokens"),
    ("delete", "/api/v1/bots/{bot_id}/tokens/{token_id}"),
    ("post", "/api/v1/channels/{channel_id}/hooks"),
    ("get", "/api/v1/workspaces/{workspace_id}/hooks"),
    ("patch", "/api/v1/hooks/{hook_id}"),
    ("post", "/api/v1/hooks/{hook_id}/rotate"),
    ("delete", "/api/v1/hooks/{hook_id}"),
    ("post", "/api/v1/workspaces/{workspace_id}/outgoing-hooks"),
    ("get", "/api/v1/workspaces/{workspace_id}/outgoing-hooks"),
    ("patch", "/api/v1/outgoing-hooks/{hook_id}"),
    ("delete", "/api/v1/outgoing-hooks/{hook_id}"),
    ("post", "/api/v1/outgoing-hooks/{hook_id}/rotate"),
    ("get", "/api/v1/outgoing-hooks/{hook_id}/deliveries"),
    ("post", "/api/v1/outgoing-hooks/{hook_id}/deliveries/{delivery_id}/redeliver"),
    ("post", "/api/v1/outgoing-hooks/{hook_id}/test"),
    ("get", "/api/v1/workspaces/{workspace_id}/commands"),
    ("post", "/api/v1/channels/{channel_id}/commands"),
    ("post", "/api/v1/workspaces/{workspace_id}/slash-commands"),
    ("get", "/api/v1/workspaces/{workspace_id}/slash-commands"),
    ("patch", "/api/v1/slash-commands/{command_id}"),
    ("delete", "/api/v1/slash-commands/{command_id}"),
    ("post", "/commands/respond/{token}"),
    ("patch", "/api/v1/workspaces/{workspace_id}/settings"),
    ("post", "/hooks/{token}"),
    ("post", "/hooks/{token}/{format}"),
    ("get", "/slack/api/{method}"),
    ("post", "/slack/api/{method}"),
    ("post", "/slack/upload/{token}"),
    ("patch", "/api/v1/channels/{channel_id}/notifications"),
    ("post", "/api/v1/channels/{channel_id}/messages"),
    ("get", "/api/v1/channels/{channel_id}/messages"),
    ("get", "/api/v1/channels/{channel_id}/pins"),
    ("get", "/api/v1/messages/{message_id}"),
    ("patch", "/api/v1/messages/{message_id}"),
    ("delete", "/api/v1/messages/{message_id}"),
    ("get", "/api/v1/messages/{message_id}/thread"),
    ("post", "/api/v1/messages/{message_id}/reactions"),
    ("delete", "/api/v1/messages/{message_id}/reactions/{emoji}"),
    ("post", "/api/v1/messages/{message_id}/pin"),
    ("delete", "/api/v1/messages/{message_id}/pin"),
    ("post", "/api/v1/channels/{channel_id}/files"),
    ("get", "/api/v1/channels/{channel_id}/files"),
    ("get", "/api/v1/files/{file_id}"),
    ("get", "/api/v1/files/{file_id}/content"),
    ("get", "/api/v1/files/{file_id}/thumbnail"),
    ("delete", "/api/v1/files/{file_id}"),
    ("get", "/api/v1/workspaces/{workspace_id}/storage"),
    ("get", "/api/v1/search"),
];

pub fn concrete(path: &str) -> String {
    let mut out = String::new();
    for seg in path.split('/').skip(1) {
        out.push('/');
        match seg {
            "{token}" => out.push_str("inv_missing"),
            "{emoji}" => out.push_str("eyes"),
            s if s.starts_with('{') => out.push_str(&Uuid::now_v7().to_string()),
            s => out.push_str(s),
        }
    }
    out
}

#[tokio::test]
async fn probes_metrics_and_request_ids() {
    let app = TestApp::spawn().await;
    let anon = app.anon();
    assert_eq!(anon.get("/healthz").await.expect(200).body, json!({"status": "ok"}));
    assert_eq!(anon.get("/readyz").await.expect(200).body, json!({"status": "ready"}));

    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    ada.say(general, "counted").await;
    let responses = [
        anon.get("/healthz").await.expect(200),
        ada.get(&format!("/api/v1/channels/{general}")).await.expect(200),
        anon.get("/api/v1/me").await.expect(401),
        anon.get("/definitely/not/here").await.expect(404),
        ada.post(&format!("/api/v1/workspaces/{ws}/channels"), json!({"name": "a b"})).await.expect(422),
        anon.get("/api/docs").await.expect(200),
    ];
    let ids: HashSet<String> = responses
        .iter()
        .map(|r| r.headers.get("x-request-id").expect("x-request-id").to_str().expect("ascii").to_owned())
        .collect();
    assert_eq!(ids.len(), responses.len(), "a fresh id per request");

    let metrics = anon.get("/metrics").await.expect(200);
    let text = metrics.body.as_str().expect("text");
    for want in ["parley_http_requests_total", "parley_db_pool_connections", "parley_http_request_duration_seconds"] {
        assert!(text.contains(want), "{want} missing from /metrics");
    }
    assert!(text.contains("route=\"/api/v1/channels/{channel_id}\""), "routes are labelled by pattern");
    assert!(!text.contains(&general.to_string()), "ids never become label values");
    assert!(text.contains("route=\"unmatched\""));
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_served() {
    let app = TestApp::spawn().await;
    let doc = app.anon().get("/api/v1/openapi.json").await.expect(200).body;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{:?}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            documented.insert((method.clone(), path.clone()));
            let responses = op["responses"].as_object().expect("responses");
            let success = responses.keys().any(|s| s.starts_with('2') || s == "101");
            assert!(success, "{method} {path} documents its success status");
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    let missing: Vec<_> = expected.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "undocumented: {missing:?}; documented but unknown: {extra:?}");

    // Every documented route is really served (an unauthenticated call reaches a handler;
    // the admin API answers only administrators, and everyone else as if it did not exist).
    let anon = app.anon();
    let (admin, _) = app.setup_admin().await;
    for (method, path) in ROUTES {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let caller = if path.starts_with("/api/v1/admin/") { &admin } else { &anon };
        let r = Client::finish(caller.request(m, &concrete(path))).await;
        assert!(r.code() != "route_not_found" && r.status != 405, "{method} {path}: {} {:?}", r.status, r.body);
    }
}

#[tokio::test]
async fn the_docs_page_shows_routes_and_every_error_code() {
    let app = TestApp::spawn().await;
    let r = app.anon().get("/api/docs").await.expect(200);
    assert!(r.headers["content-type"].to_str().expect("ct").starts_with("text/html"));
    let html = r.body.as_str().expect("html");
    for route in
        ["/api/v1/channels/{channel_id}/messages", "/api/v1/auth/login", "/api/v1/messages/{message_id}/thread"]
    {
        assert!(html.contains(route), "{route} missing from /api/docs");
    }
    for (code, status, _) in ERROR_CODES.iter().filter(|(c, _, _)| !c.contains('<')) {
        assert!(html.contains(&format!("<code>{code}</code></td><td>{status}</td>")), "{code} missing from /api/docs");
    }
}

#[test]
fn the_error_code_table_lists_every_code_the_server_answers_with() {
    let pattern = regex::Regex::new(r#"(?:conflict|forbidden|bad_request)\(\s*"([a-z_]+)""#).expect("regex");
    let mut found = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                found.extend(pattern.captures_iter(&text).map(|c| c[1].to_owned()));
            }
        }
    }
    assert!(found.len() > 10, "the scan finds the codes: {found:?}");
    let table: HashSet<&str> = ERROR_CODES.iter().map(|(c, _, _)| *c).collect();
    let missing: Vec<&String> = found.iter().filter(|c| !table.contains(c.as_str())).collect();
    assert!(missing.is_empty(), "codes missing from ERROR_CODES (and so from the docs): {missing:?}");
}

fn parley(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .env("PARLEY_DATABASE__URL", app.state.settings.database_url())
        .env("PARLEY_SERVER__DATA_DIR", &app.state.settings.server.data_dir)
        .env("PARLEY_LOG__FILTER", "error")
        .env_remove("PARLEY_TEST_DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run parley");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("parley output")
}

pub async fn cli(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let out = tokio::task::block_in_place(|| parley(app, args, stdin));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_creates_users_and_resets_passwords() {
    let app = TestApp::spawn().await;
    let url = app.state.settings.database_url();
    assert_eq!(app.is_postgres(), url.starts_with("postgres"), "the CLI uses the server's own database: {url}");
    let create = ["admin", "create-user", "--email", "x@acme.test", "--name", "X", "--password-stdin", "--admin"];
    let (ok, out) = cli(&app, &create, &format!("{PASSWORD}\n")).await;
    assert!(ok, "{out}");
    assert!(out.contains("created x@acme.test") && !out.contains(PASSWORD), "{out}");
    let x = app.login_as("x@acme.test", PASSWORD).await;
    let me = x.get("/api/v1/me").await.expect(200);
    assert_eq!((me.body["display_name"].as_str(), me.body["is_admin"].as_bool()), (Some("X"), Some(true)));

    let (ok, out) = cli(&app, &create, &format!("{PASSWORD}\n")).await;
    assert!(!ok, "a second account with the same address is refused: {out}");
    let (ok, out) =
        cli(&app, &["admin", "create-user", "--email", "y@acme.test", "--name", "Y", "--password-stdin"], "short\n")
            .await;
    assert!(!ok && out.contains("password"), "{out}");
    app.login("y@acme.test", "short").await.expect_err(401, "bad_credentials");

    // Without --password-stdin a random password is generated and printed once.
    let (ok, out) = cli(&app, &["admin", "create-user", "--email", "z@acme.test", "--name", "Z"], "").await;
    assert!(ok, "{out}");
    let generated = out.lines().find_map(|l| l.strip_prefix("password: ")).expect("printed password").trim().to_owned();
    assert!(generated.len() >= 16, "{generated}");
    app.login("z@acme.test", &generated).await.expect(200);

    let new_password = "reset by the operator";
    let (ok, out) = cli(
        &app,
        &["admin", "reset-password", "--email", "x@acme.test", "--password-stdin"],
        &format!("{new_password}\n"),
    )
    .await;
    assert!(ok && out.contains("password reset for x@acme.test"), "{out}");
    x.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    app.login("x@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    app.login("x@acme.test", new_password).await.expect(200);
    let (ok, out) =
        cli(&app, &["admin", "reset-password", "--email", "nobody@acme.test", "--password-stdin"], "whatever123\n")
            .await;
    assert!(!ok && out.contains("no account"), "{out}");
}
