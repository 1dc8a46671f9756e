//! Signing in: first-run setup, login, the session cookie, logout, CSRF and throttling.
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Client, Resp, TestApp, PASSWORD};

fn setup_token(app: &TestApp) -> String {
    let link = app.setup_link.clone().expect("a fresh instance prints a setup link");
    link.split("token=").nth(1).expect("token in link").to_owned()
}

fn setup_body(token: &str, email: &str) -> serde_json::Value {
    json!({"token": token, "workspace_name": "Acme", "display_name": "Ada Admin",
           "email": email, "username": "ada", "password": PASSWORD})
}

/// The session cookie's Set-Cookie header, split into lower-cased attributes.
fn session_cookie_attrs(r: &Resp) -> (String, Vec<String>) {
    let raw = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("parley_session="))
        .unwrap_or_else(|| panic!("no session cookie in {:?}", r.headers))
        .to_owned();
    let mut parts = raw.split(';').map(str::trim);
    let pair = parts.next().expect("name=value").to_owned();
    (pair, parts.map(str::to_ascii_lowercase).collect())
}

#[tokio::test]
async fn setup_link_works_once() {
    let app = TestApp::spawn().await;
    let token = setup_token(&app);
    assert!(token.starts_with("setup_"));
    let anon = app.anon();

    anon.get("/setup?token=wrong").await.expect(404);
    let page = anon.get(&format!("/setup?token={token}")).await.expect(200);
    let ct = page.headers["content-type"].to_str().expect("ct");
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = page.body.as_str().expect("html body");
    assert!(html.contains("<form") && html.contains("action=\"/setup\""), "{html}");
    assert!(html.contains("name=\"password\"") && html.contains(&token), "the form carries the token");

    anon.post("/api/v1/setup", setup_body("setup_wrong", "ada@acme.test"))
        .await
        .expect_err(404, "setup_token_not_found");
    // Too short, common, or made of the person's own name or address.
    for weak in ["short", "password", "password1", "qwertyuiop", "ada@acme.test", "adaadmin1"] {
        let mut bad = setup_body(&token, "ada@acme.test");
        bad["password"] = json!(weak);
        let r = anon.post("/api/v1/setup", bad).await.expect_err(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "password", "{weak}");
    }
    let page = Client::finish(anon.request(reqwest::Method::POST, "/setup").header("origin", &app.base).form(&[
        ("token", token.as_str()),
        ("workspace_name", "Acme"),
        ("display_name", "Ada Admin"),
        ("email", "ada@acme.test"),
        ("password", "password"),
    ]))
    .await
    .expect(422);
    assert!(page.body.as_str().expect("html").contains("too easy to guess"), "{:?}", page.body);
    // Neither refusal used up the link.
    anon.get(&format!("/setup?token={token}")).await.expect(200);

    let r = anon.post("/api/v1/setup", setup_body(&token, "ada@acme.test")).await.expect(201);
    assert_eq!(r.body["is_admin"], true);
    let mut ada = app.anon();
    ada.adopt_session(&r);
    let ws = ada.get("/api/v1/workspaces").await.expect(200);
    assert_eq!(ws.body.as_array().expect("list").len(), 1);
    assert_eq!((ws.body[0]["name"].as_str(), ws.body[0]["my_role"].as_str()), (Some("Acme"), Some("owner")));

    let again = anon.post("/api/v1/setup", setup_body(&token, "eve@acme.test")).await;
    assert!(
        (again.status, again.code()) == (409, "setup_done")
            || (again.status, again.code()) == (404, "setup_token_not_found"),
        "second setup: {} {:?}",
        again.status,
        again.body
    );
    let done = anon.get(&format!("/setup?token={token}")).await.expect(404);
    assert!(done.body.as_str().expect("html").contains("already set up"), "{:?}", done.body);
    app.login("eve@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    let users = ada.get("/api/v1/admin/users").await.expect(200);
    assert_eq!(users.body.as_array().expect("users").len(), 1, "exactly one account exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_setup_attempts_create_one_admin() {
    let app = TestApp::spawn().await;
    let token = setup_token(&app);
    let attempts = (0..4).map(|i| {
        let c = app.anon();
        let body = setup_body(&token, &format!("admin{i}@acme.test"));
        let mut body = body;
        body["username"] = json!(format!("admin{i}"));
        body["workspace_name"] = json!(format!("Acme {i}"));
        async move { c.post("/api/v1/setup", body).await }
    });
    let results = join_all(attempts).await;
    let winners: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(winners.len(), 1, "{:?}", results.iter().map(|r| (r.status, r.code().to_owned())).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.status != 201) {
        assert!(matches!((r.status, r.code()), (409, "setup_done") | (404, "setup_token_not_found")), "{:?}", r.body);
    }
    let mut admin = app.anon();
    admin.adopt_session(winners[0]);
    let users = admin.get("/api/v1/admin/users").await.expect(200);
    assert_eq!(users.body.as_array().expect("users").len(), 1);
    assert_eq!(admin.get("/api/v1/workspaces").await.body.as_array().expect("list").len(), 1);
}

#[tokio::test]
async fn setup_form_creates_the_admin_and_redirects_with_a_cookie() {
    let app = TestApp::spawn().await;
    let token = setup_token(&app);
    let anon = app.anon();
    let form = |password: &str, workspace: &str| {
        [
            ("token", token.clone()),
            ("workspace_name", workspace.to_owned()),
            ("display_name", "Ada Admin".to_owned()),
            ("email", "ada@acme.test".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    // Invalid input re-renders the form with the error, escaping what was typed.
    let req = anon.request(Method::POST, "/setup").form(&form("short", "<script>alert(1)</script>"));
    let r = Client::finish(req).await.expect(422);
    let html = r.body.as_str().expect("html");
    assert!(html.contains("<form") && !html.contains("<script>alert(1)"), "{html}");
    let echoed = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;script&#62;alert(1)&#60;/script&#62;"];
    assert!(echoed.iter().any(|e| html.contains(e)), "typed values are echoed escaped: {html}");

    let req = anon.request(Method::POST, "/setup").form(&form(PASSWORD, "Acme"));
    let r = Client::finish(req).await.expect(303);
    assert_eq!(r.headers["location"], "/");
    let mut ada = app.anon();
    let (pair, attrs) = session_cookie_attrs(&r);
    assert!(attrs.contains(&"httponly".to_owned()), "{attrs:?}");
    ada.cookie = Some(pair);
    let me = ada.get("/api/v1/me").await.expect(200);
    assert_eq!((me.body["email"].as_str(), me.body["is_admin"].as_bool()), (Some("ada@acme.test"), Some(true)));
    let ws = ada.get("/api/v1/workspaces").await.expect(200);
    assert_eq!(ws.body[0]["name"], "Acme");
    let done = anon.get(&format!("/setup?token={token}")).await.expect(404);
    assert!(done.body.as_str().expect("html").contains("already set up"), "{:?}", done.body);
    // The API's own password login works for the account the form created.
    app.login("ada@acme.test", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn login_answers_the_same_for_wrong_password_and_unknown_email() {
    let app = TestApp::spawn().await;
    let (_, _) = app.setup_admin().await;
    let ok = app.login("ada@acme.test", PASSWORD).await.expect(200);
    assert_eq!(ok.body["email"], "ada@acme.test");
    assert!(ok.body.get("password_hash").is_none());
    app.login("  ADA@Acme.Test ", PASSWORD).await.expect(200);

    let wrong = app.login("ada@acme.test", "not the password").await.expect_err(401, "bad_credentials");
    let unknown = app.login("nobody@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    assert_eq!(wrong.body, unknown.body, "no hint whether the account exists");
    assert!(wrong.headers.get("set-cookie").is_none(), "no session for a failed login");
}

#[tokio::test]
async fn the_session_cookie_is_host_only_http_only_lax_and_secure() {
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let r = app.login("ada@acme.test", PASSWORD).await.expect(200);
    let (pair, attrs) = session_cookie_attrs(&r);
    let (name, value) = pair.split_once('=').expect("name=value");
    assert_eq!(name, "__Host-parley_session");
    assert!(value.len() >= 40, "a long random secret: {value}");
    for want in ["httponly", "samesite=lax", "secure", "path=/"] {
        assert!(attrs.iter().any(|a| a == want), "missing {want} in {attrs:?}");
    }
    assert!(!attrs.iter().any(|a| a.starts_with("domain")), "__Host- cookies carry no Domain: {attrs:?}");
    // A second login gets a different secret.
    let (pair2, _) = session_cookie_attrs(&app.login("ada@acme.test", PASSWORD).await.expect(200));
    assert_ne!(pair, pair2);
}

#[tokio::test]
async fn logout_ends_this_session_only_and_logout_all_ends_every_one() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.setup_admin().await;
    let phone = app.login_as("ada@acme.test", PASSWORD).await;
    let laptop = app.login_as("ada@acme.test", PASSWORD).await;
    let token = ada.with_token().await;

    let r = phone.post_empty("/api/v1/auth/logout").await.expect(200);
    let (pair, attrs) = session_cookie_attrs(&r);
    assert_eq!(pair, "__Host-parley_session=", "the cookie is cleared");
    assert!(attrs.iter().any(|a| a == "max-age=0"), "{attrs:?}");
    phone.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    laptop.get("/api/v1/me").await.expect(200);
    ada.get("/api/v1/me").await.expect(200);

    let r = laptop.post_empty("/api/v1/auth/logout-all").await.expect(200);
    assert_eq!(r.body["sessions_ended"], 2, "ada's setup session and the laptop's");
    laptop.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    ada.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    // API tokens are not browser sessions; revoking them is a separate act.
    token.get("/api/v1/me").await.expect(200);
    app.login("ada@acme.test", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn cookie_requests_that_change_things_need_our_origin() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let path = format!("/api/v1/channels/{general}/messages");

    let mut no_origin = ada.clone();
    no_origin.origin = None;
    no_origin.post(&path, json!({"text": "forged"})).await.expect_err(403, "csrf_origin_mismatch");
    for foreign in ["http://evil.test", "null", &format!("{}.evil.test", app.base), "https://127.0.0.1"] {
        let mut c = ada.clone();
        c.origin = Some(foreign.to_owned());
        c.post(&path, json!({"text": "forged"})).await.expect_err(403, "csrf_origin_mismatch");
    }
    let cross =
        no_origin.request(Method::POST, &path).header("sec-fetch-site", "cross-site").json(&json!({"text": "x"}));
    Client::finish(cross).await.expect_err(403, "csrf_origin_mismatch");
    // Nothing was stored; reading with the cookie and no Origin is fine.
    assert!(no_origin.history(general, "").await.is_empty());

    let same =
        no_origin.request(Method::POST, &path).header("sec-fetch-site", "same-origin").json(&json!({"text": "a"}));
    Client::finish(same).await.expect(201);
    ada.post(&path, json!({"text": "b"})).await.expect(201);
    let bearer = ada.with_token().await;
    assert!(bearer.origin.is_some() && bearer.cookie.is_none());
    let mut bearer = bearer;
    bearer.origin = None;
    bearer.post(&path, json!({"text": "c"})).await.expect(201);
    let texts: Vec<String> =
        ada.history(general, "").await.iter().map(|m| m["text"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(texts, ["a", "b", "c"]);
}

#[tokio::test]
async fn too_many_failed_logins_for_one_account_are_refused_for_a_while() {
    let app = TestApp::spawn_with(
        |s| {
            s.auth.login_attempts_per_account_per_minute = 3;
            s.auth.login_attempts_per_ip_per_minute = 1000;
        },
        Default::default(),
    )
    .await;
    let (ada, ws) = app.setup_admin().await;
    app.join(&ada, ws, "bob", "member").await;
    for _ in 0..3 {
        app.login("ada@acme.test", "wrong password").await.expect_err(401, "bad_credentials");
    }
    let r = app.login("ada@acme.test", "wrong password").await.expect_err(429, "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    // The right password does not get through either, however the address is written.
    app.login("ada@acme.test", PASSWORD).await.expect_err(429, "rate_limited");
    app.login("ADA@acme.test", PASSWORD).await.expect_err(429, "rate_limited");
    app.login(" ada@acme.test ", PASSWORD).await.expect_err(429, "rate_limited");
    // Other accounts from the same address are unaffected.
    app.login("bob@acme.test", PASSWORD).await.expect(200);
}

async fn failed_logins_from(app: &TestApp, forwarded_for: &[&str]) -> Vec<u16> {
    let mut out = Vec::new();
    for (i, ip) in forwarded_for.iter().enumerate() {
        let req = app
            .anon()
            .request(Method::POST, "/api/v1/auth/login")
            .header("x-forwarded-for", *ip)
            .json(&json!({"email": format!("user{i}@acme.test"), "password": "wrong password"}));
        out.push(Client::finish(req).await.status);
    }
    out
}

#[tokio::test]
async fn a_spoofed_forwarded_for_header_does_not_escape_the_per_ip_limit() {
    let app = TestApp::spawn_with(
        |s| {
            s.auth.login_attempts_per_ip_per_minute = 3;
            s.auth.login_attempts_per_account_per_minute = 1000;
        },
        Default::default(),
    )
    .await;
    let got = failed_logins_from(&app, &["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]).await;
    assert_eq!(got, [401, 401, 401, 429, 429], "with no trusted proxy the peer address is the client");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = TestApp::spawn_with(
        |s| {
            s.auth.login_attempts_per_ip_per_minute = 2;
            s.auth.login_attempts_per_account_per_minute = 1000;
            s.server.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        },
        Default::default(),
    )
    .await;
    let got = failed_logins_from(&app, &["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1", "10.0.0.1"]).await;
    assert_eq!(got, [401, 401, 401, 401, 429]);
}

#[tokio::test]
async fn a_new_password_must_not_be_common_or_personal_wherever_it_is_set() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let inv = ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member"})).await.expect(201);
    let token = inv.body["token"].as_str().expect("token").to_owned();
    for weak in ["iloveyou", "Password123", "bob.builder@acme.test", "bobbuilder"] {
        let r = app
            .anon()
            .post(
                "/api/v1/auth/signup",
                json!({"invite_token": token, "email": "bob.builder@acme.test", "display_name": "Bob Builder",
                       "username": "bobbuilder", "password": weak}),
            )
            .await
            .expect_err(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "password", "{weak}");
    }
    let r = ada
        .post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": "letmein123"}))
        .await
        .expect_err(422, "invalid_input");
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| m.contains("too easy to guess")), "{:?}", r.body);
    app.login("ada@acme.test", PASSWORD).await.expect(200);
}
