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
    let r = Client::finish(anon.request(Method::POST, path).form(&bad)).await.expect(422);
    assert!(r.body.as_str().expect("html").contains("at least 8"), "the error is shown");
    assert_eq!(app.login("nia@acme.test", "short").await.status, 401, "nothing was created");

    let good = [("display_name", "Nia"), ("email", "nia@acme.test"), ("password", PASSWORD)];
    let r = Client::finish(anon.request(Method::POST, path).form(&good)).await.expect(303);
    assert_eq!(r.headers["location"], "/");
    let mut nia = app.anon();
    nia.cookie = Some(session_pair(&r));
    let list = nia.get("/api/v1/workspaces").await.expect(200);
    assert_eq!(list.body[0]["name"], "Acme");
    let home = nia.get("/").await.expect(200);
    assert!(home.body.as_str().expect("html").contains("Signed in as <strong>Nia</strong>"));

    // An unknown token leads nowhere.
    anon.get("/invite/inv_nope").await.expect_err(404, "invite_not_found");
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
    let r = Client::finish(foreign.request(Method::POST, &path).form(&[("accept", "1")])).await;
    r.expect_err(403, "csrf_origin_mismatch");
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
