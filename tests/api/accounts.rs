//! Accounts: API tokens, sign-up and invitations, password changes, deactivation.
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Client, TestApp, PASSWORD};

async fn signup(app: &TestApp, invite: Option<&str>, email: &str) -> crate::helpers::Resp {
    app.anon()
        .post(
            "/api/v1/auth/signup",
            json!({"invite_token": invite, "email": email, "display_name": "New Person", "password": PASSWORD}),
        )
        .await
}

async fn invite(admin: &Client, ws: Uuid, body: serde_json::Value) -> String {
    let r = admin.post(&format!("/api/v1/workspaces/{ws}/invites"), body).await.expect(201);
    r.body["token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_without_secret_and_revocable() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;

    let created = ada.post("/api/v1/me/tokens", json!({"name": "ci", "expires_in_hours": 24})).await.expect(201);
    let secret = created.body["token"].as_str().expect("token").to_owned();
    let id = created.id();
    assert!(secret.starts_with("pat_") && secret.len() > 40, "{secret}");
    assert_eq!(created.body["name"], "ci");
    assert!(created.body["expires_at"].is_string());

    let list = ada.get("/api/v1/me/tokens").await.expect(200);
    let rows = list.body.as_array().expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.to_string());
    assert!(rows[0].get("token").is_none());
    assert!(!list.body.to_string().contains(&secret[10..]), "the secret never appears in a listing");
    assert!(secret.starts_with(rows[0]["prefix"].as_str().expect("prefix")));

    let mut by_token = ada.clone();
    by_token.cookie = None;
    by_token.token = Some(secret.clone());
    assert_eq!(by_token.get("/api/v1/me").await.expect(200).id(), ada.user_id);

    // Bob can neither see nor revoke Ada's token; his own stays his.
    let bob_token = bob.with_token().await;
    assert_eq!(bob.get("/api/v1/me/tokens").await.body.as_array().expect("list").len(), 1);
    bob.delete(&format!("/api/v1/me/tokens/{id}")).await.expect_err(404, "token_not_found");
    by_token.get("/api/v1/me").await.expect(200);
    let bob_token_id = bob.get("/api/v1/me/tokens").await.body[0]["id"].as_str().expect("id").to_owned();
    ada.delete(&format!("/api/v1/me/tokens/{bob_token_id}")).await.expect_err(404, "token_not_found");
    bob_token.get("/api/v1/me").await.expect(200);

    ada.delete(&format!("/api/v1/me/tokens/{id}")).await.expect(204);
    by_token.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    ada.delete(&format!("/api/v1/me/tokens/{id}")).await.expect_err(404, "token_not_found");
    assert!(ada.get("/api/v1/me/tokens").await.body.as_array().expect("list").is_empty());

    let mut garbage = by_token.clone();
    garbage.token = Some("pat_not-a-real-token".into());
    garbage.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    let r = ada.post("/api/v1/me/tokens", json!({"name": "x", "expires_in_hours": 0})).await;
    assert_eq!(r.expect_err(422, "invalid_input").body["error"]["field"], "expires_in_hours");
    ada.post("/api/v1/me/tokens", json!({"name": "  "})).await.expect_err(422, "invalid_input");
    assert!(ada.get("/api/v1/me/tokens").await.body.as_array().expect("list").is_empty(), "nothing stored");
}

#[tokio::test]
async fn signup_needs_an_invitation_unless_open_signup_is_on() {
    let app = TestApp::spawn().await;
    app.setup_admin().await;
    let r = signup(&app, None, "walkin@acme.test").await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "invite_token");
    signup(&app, Some(""), "walkin@acme.test").await.expect_err(422, "invalid_input");
    signup(&app, Some("inv_bogus"), "walkin@acme.test").await.expect_err(404, "invite_not_found");
    app.login("walkin@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");

    let open = TestApp::spawn_with(|s| s.auth.open_signup = true, Default::default()).await;
    open.setup_admin().await;
    let r = signup(&open, None, "walkin@acme.test").await.expect(201);
    assert_eq!((r.body["username"].as_str(), r.body["is_admin"].as_bool()), (Some("walkin"), Some(false)));
    let mut walkin = open.anon();
    walkin.adopt_session(&r);
    assert!(walkin.get("/api/v1/workspaces").await.expect(200).body.as_array().expect("list").is_empty());
    open.login("walkin@acme.test", PASSWORD).await.expect(200);
    signup(&open, None, "WALKIN@acme.test").await.expect_err(409, "already_exists");
}

#[tokio::test]
async fn an_addressed_invitation_only_works_for_its_address() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let token = invite(&ada, ws, json!({"email": "carol@acme.test"})).await;
    signup(&app, Some(&token), "mallory@acme.test").await.expect_err(404, "invite_not_found");
    app.login("mallory@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    // The refused attempt did not spend the single use.
    let r = signup(&app, Some(&token), "carol@acme.test").await.expect(201);
    let mut carol = app.anon();
    carol.adopt_session(&r);
    assert_eq!(carol.get(&format!("/api/v1/workspaces/{ws}")).await.expect(200).body["my_role"], "member");
}

#[tokio::test]
async fn a_single_use_invitation_cannot_be_used_twice() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let token = invite(&ada, ws, json!({"max_uses": 1, "role": "guest"})).await;
    let r = signup(&app, Some(&token), "first@acme.test").await.expect(201);
    let mut first = app.anon();
    first.adopt_session(&r);
    assert_eq!(first.get(&format!("/api/v1/workspaces/{ws}")).await.expect(200).body["my_role"], "guest");
    signup(&app, Some(&token), "second@acme.test").await.expect_err(409, "invite_used_up");
    app.login("second@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    let members = ada.get(&format!("/api/v1/workspaces/{ws}/members")).await.expect(200);
    assert_eq!(members.body.as_array().expect("members").len(), 2);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let bob_phone = app.login_as("bob@acme.test", PASSWORD).await;
    let new_password = "an entirely new passphrase";

    bob.post("/api/v1/me/password", json!({"current_password": "wrong", "new_password": new_password}))
        .await
        .expect_err(401, "bad_credentials");
    let r = bob
        .post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": "short"}))
        .await
        .expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "password");
    // Neither refusal changed anything.
    bob_phone.get("/api/v1/me").await.expect(200);
    bob.get("/api/v1/me").await.expect(200);
    app.login("bob@acme.test", new_password).await.expect_err(401, "bad_credentials");

    bob.post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": new_password}))
        .await
        .expect(204);
    bob_phone.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    bob.get("/api/v1/me").await.expect(200);
    app.login("bob@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    app.login("bob@acme.test", new_password).await.expect(200);
}

#[tokio::test]
async fn deactivation_locks_the_account_out_everywhere_at_once() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let bob_token = bob.with_token().await;
    let msg = bob.say(general, "before").await["id"].as_str().expect("id").to_owned();

    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", bob.user_id)).await.expect(204);
    for who in [&bob, &bob_token] {
        for r in [
            who.get("/api/v1/me").await,
            who.get("/api/v1/workspaces").await,
            who.get(&format!("/api/v1/workspaces/{ws}/members")).await,
            who.get(&format!("/api/v1/channels/{general}")).await,
            who.get(&format!("/api/v1/channels/{general}/messages")).await,
            who.get(&format!("/api/v1/messages/{msg}")).await,
            who.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "after"})).await,
            who.patch(&format!("/api/v1/messages/{msg}"), json!({"text": "edited"})).await,
            who.post("/api/v1/me/tokens", json!({"name": "sneaky"})).await,
            who.post_empty("/api/v1/auth/logout").await,
        ] {
            r.expect_err(401, "unauthenticated");
        }
    }
    // Told plainly — but only once the password is right.
    app.login("bob@acme.test", PASSWORD).await.expect_err(403, "account_deactivated");
    app.login("bob@acme.test", "a wrong password").await.expect_err(401, "bad_credentials");
    let page = Client::finish(
        app.anon()
            .request(reqwest::Method::POST, "/login")
            .header("origin", &app.base)
            .form(&[("email", "bob@acme.test"), ("password", PASSWORD)]),
    )
    .await
    .expect(403);
    assert!(page.body.as_str().expect("html").contains("deactivated"), "{:?}", page.body);
    let history = ada.history(general, "").await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["text"], "before", "nothing was posted or edited after deactivation");
    let users = ada.get("/api/v1/admin/users").await.expect(200);
    let row = users.body.as_array().expect("users").iter().find(|u| u["username"] == "bob").cloned().expect("bob");
    assert_eq!(row["deactivated"], true);

    ada.post_empty(&format!("/api/v1/admin/users/{}/reactivate", bob.user_id)).await.expect(204);
    let bob_again = app.login_as("bob@acme.test", PASSWORD).await;
    bob_again.get(&format!("/api/v1/channels/{general}")).await.expect(200);
    // Reactivation does not revive what deactivation ended.
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    bob_token.get("/api/v1/me").await.expect_err(401, "unauthenticated");
}

#[tokio::test]
async fn instance_administration_is_for_instance_admins() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "admin").await;

    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", ada.user_id))
        .await
        .expect_err(409, "cannot_deactivate_self");
    ada.get("/api/v1/me").await.expect(200);
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", Uuid::now_v7()))
        .await
        .expect_err(404, "user_not_found");

    // A workspace admin is not an instance admin: the admin API does not exist for them.
    bob.get("/api/v1/admin/users").await.expect_err(404, "route_not_found");
    bob.post_empty(&format!("/api/v1/admin/users/{}/deactivate", ada.user_id)).await.expect_err(404, "route_not_found");
    ada.get("/api/v1/me").await.expect(200);
    app.anon().get("/api/v1/admin/users").await.expect_err(404, "route_not_found");
}
