//! Server-rendered pages: the home page and where an invitation link leads.
use reqwest::Method;
use serde_json::json;

use crate::helpers::{session_pair, Client, TestApp, PASSWORD};

#[tokio::test]
async fn an_invitation_link_lets_a_new_person_sign_up_and_join() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let inv = ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member"})).await.expect(201);
    let url = inv.body["url"].as_str().expect("url");
    let path = url.strip_prefix(&app.base).expect("link on this site");

    let anon = app.anon();
    let page = anon.get(path).await.expect(200);
    let html = page.body.as_str().expect("html");
    assert!(html.contains("Join Acme") && html.contains("name=\"password\""), "{html}");

    let bad = [("display_name", "Nia"), ("email", "nia@acme.test"), ("password", "short")];
    let r = Client::finish(anon.request(Method::POST, path).header("origin", &app.base).form(&bad)).await.expect(422);
    assert!(r.body.as_str().expect("html").contains("at least 8"), "the error is shown");
    assert_eq!(app.login("nia@acme.test", "short").await.status, 401, "nothing was created");

    let good = [("display_name", "Nia"), ("email", "nia@acme.test"), ("password", PASSWORD)];
    let foreign = anon.request(Method::POST, path).header("origin", "https://evil.example").form(&good);
    Client::finish(foreign).await.expect(403);
    let r = Client::finish(anon.request(Method::POST, path).header("origin", &app.base).form(&good)).await.expect(303);
    assert_eq!(r.headers["location"], "/");
    let mut nia = app.anon();
    nia.cookie = Some(session_pair(&r));
    let list = nia.get("/api/v1/workspaces").await.expect(200);
    assert_eq!(list.body[0]["name"], "Acme");
    let home = nia.get("/").await.expect(200);
    assert!(
        home.body.as_str().expect("html").contains("<script type=\"module\" src=\"/static/js/main.js\"></script>"),
        "the chat screen"
    );

    // An unknown token leads to a page that says so, not to JSON.
    let gone = anon.get("/invite/inv_nope").await.expect(404);
    assert!(gone.body.as_str().expect("html").contains("This link does not work"), "{:?}", gone.body);
}

#[tokio::test]
async fn a_signed_in_person_joins_with_one_click_without_spending_a_second_use() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let (other_ws, _) = crate::helpers::create_workspace(&ada, "Beta").await;
    let bob = app.join(&ada, other_ws, "bob", "member").await;
    let inv = ada
        .post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member", "max_uses": 2}))
        .await
        .expect(201);
    let token = inv.body["token"].as_str().expect("token").to_owned();
    let path = format!("/invite/{token}");

    let page = bob.get(&path).await.expect(200);
    assert!(page.body.as_str().expect("html").contains("Join as bob"));
    // The one-click join is a cookie-authenticated POST: it needs our Origin.
    let mut foreign = bob.clone();
    foreign.origin = Some("https://evil.example".into());
    let r = Client::finish(foreign.request(Method::POST, &path).form(&[("accept", "1")])).await.expect(403);
    assert!(r.body.as_str().expect("html").contains("sent from another site"), "{:?}", r.body);
    // Someone whose session ended is sent to sign in and brought back here.
    let r =
        Client::finish(app.anon().request(Method::POST, &path).header("origin", &app.base).form(&[("accept", "1")]))
            .await
            .expect(303);
    assert_eq!(r.headers["location"].to_str().expect("location"), format!("/login?next={path}"));
    for _ in 0..2 {
        Client::finish(bob.request(Method::POST, &path).form(&[("accept", "1")])).await.expect(303);
    }
    bob.get(&format!("/api/v1/workspaces/{ws}")).await.expect(200);
    // Joining twice spent one use: the invitation still admits one more person.
    let preview = app.anon().get(&format!("/api/v1/invites/{token}")).await.expect(200);
    assert_eq!(preview.body["workspace_name"], "Acme");
    app.signup_with(&token, "carol").await;
    app.anon().get(&format!("/api/v1/invites/{token}")).await.expect_err(409, "invite_used_up");
}

#[tokio::test]
async fn the_sign_in_page_signs_in_and_every_page_forbids_inline_script() {
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let anon = app.anon();
    let r = anon.get("/").await.expect(303);
    assert_eq!(r.headers["location"], "/login", "the signed-out are sent to sign in");
    let page = anon.get("/login").await.expect(200);
    let csp = page.headers["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");

    let wrong = [("email", "ada@acme.test"), ("password", "not the password")];
    let r =
        Client::finish(anon.request(Method::POST, "/login").header("origin", &app.base).form(&wrong)).await.expect(401);
    let html = r.body.as_str().expect("html");
    assert!(html.contains("do not match") && html.contains("value=\"ada@acme.test\""), "{html}");
    let evil = [("email", "\"><script>alert(1)</script>"), ("password", "x")];
    let r = Client::finish(anon.request(Method::POST, "/login").header("origin", &app.base).form(&evil)).await;
    let html = r.expect(401).body.as_str().expect("html").to_owned();
    assert!(!html.contains("<script>alert") && html.contains("alert(1)"), "the typed e-mail is kept, escaped");
    let foreign = Client::finish(
        anon.request(Method::POST, "/login").header("origin", "https://evil.example").form(&good_form()),
    )
    .await
    .expect(403);
    assert!(foreign.body.as_str().expect("html").contains("sent from another site"));

    let r = Client::finish(anon.request(Method::POST, "/login").header("origin", &app.base).form(&good_form()))
        .await
        .expect(303);
    assert_eq!(r.headers["location"], "/");
    let mut ada = app.anon();
    ada.cookie = Some(session_pair(&r));
    let home = ada.get("/").await.expect(200);
    assert!(home.headers["content-security-policy"].to_str().expect("csp").contains("script-src 'self'"));
    ada.get("/login").await.expect(303);

    // `next` brings a person back to the page that sent them to sign in, on this site only.
    let page = anon.get("/login?next=/invite/inv_abc").await.expect(200);
    assert!(page.body.as_str().expect("html").contains("name=\"next\" value=\"/invite/inv_abc\""));
    let mut back = good_form().to_vec();
    back.push(("next", "/invite/inv_abc"));
    let r =
        Client::finish(anon.request(Method::POST, "/login").header("origin", &app.base).form(&back)).await.expect(303);
    assert_eq!(r.headers["location"], "/invite/inv_abc");
    for away in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\\t\\evil.example",
        "/.//evil.example",
    ] {
        let mut f = good_form().to_vec();
        f.push(("next", away));
        let r =
            Client::finish(anon.request(Method::POST, "/login").header("origin", &app.base).form(&f)).await.expect(303);
        assert_eq!(r.headers["location"], "/", "{away} is not followed");
    }
    // Browsers drop tabs and newlines from a URL: a `next` that becomes another host
    // once they do is dropped, on the form and for someone already signed in.
    for query in ["next=/%09/evil.example", "next=/%0A/x", "next=/%5C%09evil.example"] {
        let page = anon.get(&format!("/login?{query}")).await.expect(200);
        assert!(!page.body.as_str().expect("html").contains("name=\"next\""), "{query}");
        let r = ada.get(&format!("/login?{query}")).await.expect(303);
        assert_eq!(r.headers["location"], "/", "{query}");
    }
    for asset in ["/static/js/main.js", "/static/js/theme.js", "/static/app.css", "/static/parley.css"] {
        let r = anon.get(asset).await.expect(200);
        let tag = r.headers["etag"].to_str().expect("etag").to_owned();
        let again = Client::finish(anon.request(Method::GET, asset).header("if-none-match", tag)).await;
        assert_eq!(again.status, 304, "{asset} revalidates");
    }
    anon.get("/static/js/nope.js").await.expect(404);
    anon.get("/static/js/..%2Fapp.css").await.expect(404);
}

fn good_form() -> [(&'static str, &'static str); 2] {
    [("email", "ada@acme.test"), ("password", PASSWORD)]
}

/// One middleware puts the security headers on every response: pages, the API docs,
/// JSON answers, errors from extractors and the default 404.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.setup_admin().await;
    let anon = app.anon();
    let responses = [
        ("/api/docs", anon.get("/api/docs").await),
        ("/login", anon.get("/login").await),
        ("/api/v1/me", ada.get("/api/v1/me").await),
        ("/api/v1/me anon", anon.get("/api/v1/me").await),
        ("/nope", anon.get("/nope").await),
        ("/api/v1/openapi.json", anon.get("/api/v1/openapi.json").await),
        ("bad json", ada.post("/api/v1/workspaces", serde_json::json!({"name": 5})).await),
    ];
    for (what, r) in responses {
        let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(h("referrer-policy"), "same-origin", "{what}");
        assert_eq!(h("x-frame-options"), "DENY", "{what}");
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        let html = h("content-type").starts_with("text/html");
        assert!(html || csp.starts_with("default-src 'none'"), "{what}: not a page, so nothing may load: {csp}");
        assert!(!csp.contains("unsafe"), "{what}: {csp}");
    }
}
