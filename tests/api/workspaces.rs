//! Workspaces: creation, membership, roles, invitations, removal and leaving.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{create_workspace, Client, TestApp, PASSWORD};

async fn role_of(c: &Client, ws: Uuid, user: Uuid) -> Option<String> {
    let r = c.get(&format!("/api/v1/workspaces/{ws}/members")).await.expect(200);
    let members = r.body.as_array().expect("members").clone();
    members.iter().find(|m| m["user"]["id"] == user.to_string()).map(|m| m["role"].as_str().unwrap_or("").to_owned())
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("list").iter().map(|x| x["id"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn creating_listing_and_reading_workspaces() {
    let app = TestApp::spawn().await;
    let (ada, acme) = app.setup_admin().await;
    let bob = app.join(&ada, acme, "bob", "member").await;

    let (design, body) = create_workspace(&ada, "Design & Research  Team").await;
    assert_eq!((body["slug"].as_str(), body["my_role"].as_str()), (Some("design-research-team"), Some("owner")));
    let (_, second) = create_workspace(&ada, "Design & Research Team").await;
    assert_eq!(second["slug"], "design-research-team-2", "slugs stay unique");
    ada.post("/api/v1/workspaces", json!({"name": "X", "slug": "design-research-team"}))
        .await
        .expect_err(409, "already_exists");
    let r = ada.post("/api/v1/workspaces", json!({"name": "   "})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");

    let mine = ada.get("/api/v1/workspaces").await.expect(200);
    assert_eq!(ids(&mine.body).len(), 3, "Acme and the two design workspaces, nothing from refused requests");
    assert!(ids(&mine.body).contains(&design.to_string()));
    assert_eq!(ids(&bob.get("/api/v1/workspaces").await.expect(200).body), [acme.to_string()]);

    let got = ada.get(&format!("/api/v1/workspaces/{design}")).await.expect(200);
    assert_eq!(got.body["name"], "Design & Research  Team");
    bob.get(&format!("/api/v1/workspaces/{design}")).await.expect_err(404, "workspace_not_found");

    // A new workspace has its owner as only member and a #general channel.
    let members = ada.get(&format!("/api/v1/workspaces/{design}/members")).await.expect(200);
    assert_eq!(members.body.as_array().expect("members").len(), 1);
    assert_eq!(members.body[0]["role"], "owner");
    ada.general(design).await;
    let acme_members = bob.get(&format!("/api/v1/workspaces/{acme}/members")).await.expect(200);
    let names: Vec<&str> =
        acme_members.body.as_array().expect("members").iter().filter_map(|m| m["user"]["username"].as_str()).collect();
    assert_eq!(names, ["ada", "bob"]);
}

#[tokio::test]
async fn an_invitation_can_be_previewed_and_accepted_by_a_signed_in_user() {
    let app = TestApp::spawn().await;
    let (ada, acme) = app.setup_admin().await;
    let bob = app.join(&ada, acme, "bob", "member").await;
    let (design, _) = create_workspace(&ada, "Design").await;

    let inv = ada.post(&format!("/api/v1/workspaces/{design}/invites"), json!({"role": "admin"})).await.expect(201);
    let token = inv.body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("inv_"));
    assert!(inv.body["url"].as_str().expect("url").ends_with(&format!("/invite/{token}")));

    let preview = app.anon().get(&format!("/api/v1/invites/{token}")).await.expect(200);
    assert_eq!(
        (preview.body["workspace_name"].as_str(), preview.body["role"].as_str()),
        (Some("Design"), Some("admin"))
    );
    assert!(preview.body.get("token").is_none());
    app.anon().get("/api/v1/invites/inv_nope").await.expect_err(404, "invite_not_found");
    app.anon().post_empty(&format!("/api/v1/invites/{token}/accept")).await.expect_err(401, "unauthenticated");

    let joined = bob.post_empty(&format!("/api/v1/invites/{token}/accept")).await.expect(200);
    assert_eq!(
        (joined.body["id"].as_str(), joined.body["my_role"].as_str()),
        (Some(&*design.to_string()), Some("admin"))
    );
    assert!(ids(&bob.get("/api/v1/workspaces").await.body).contains(&design.to_string()));
    let general = bob.general(design).await;
    bob.say(general, "hello design").await;
    assert_eq!(role_of(&ada, design, bob.user_id).await.as_deref(), Some("admin"));

    // Inviting is for admins; nobody can invite straight into ownership.
    let carol = app.join(&ada, acme, "carol", "member").await;
    carol.post(&format!("/api/v1/workspaces/{acme}/invites"), json!({})).await.expect_err(403, "not_allowed");
    let r = ada.post(&format!("/api/v1/workspaces/{acme}/invites"), json!({"role": "owner"})).await;
    assert_eq!(r.expect_err(422, "invalid_input").body["error"]["field"], "role");
}

#[tokio::test]
async fn roles_change_only_within_the_rules() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let member_path = |u: Uuid| format!("/api/v1/workspaces/{ws}/members/{u}");

    ada.patch(&member_path(bob.user_id), json!({"role": "admin"})).await.expect(204);
    assert_eq!(role_of(&ada, ws, bob.user_id).await.as_deref(), Some("admin"));

    // An admin manages members but cannot hand out or touch ownership.
    bob.patch(&member_path(carol.user_id), json!({"role": "owner"})).await.expect_err(403, "not_allowed");
    bob.patch(&member_path(ada.user_id), json!({"role": "member"})).await.expect_err(403, "not_allowed");
    carol.patch(&member_path(bob.user_id), json!({"role": "member"})).await.expect_err(403, "not_allowed");
    assert_eq!(role_of(&ada, ws, carol.user_id).await.as_deref(), Some("member"));
    assert_eq!(role_of(&ada, ws, ada.user_id).await.as_deref(), Some("owner"));
    assert_eq!(role_of(&ada, ws, bob.user_id).await.as_deref(), Some("admin"));
    bob.patch(&member_path(carol.user_id), json!({"role": "guest"})).await.expect(204);
    assert_eq!(role_of(&ada, ws, carol.user_id).await.as_deref(), Some("guest"));
    // A guest keeps only channels it is explicitly added to.
    let general = ada.general(ws).await;
    carol.get(&format!("/api/v1/channels/{general}")).await.expect_err(404, "channel_not_found");

    ada.patch(&member_path(ada.user_id), json!({"role": "admin"})).await.expect_err(409, "last_owner");
    ada.patch(&member_path(Uuid::now_v7()), json!({"role": "admin"})).await.expect_err(404, "member_not_found");
    let r = ada.patch(&member_path(bob.user_id), json!({"role": "emperor"})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "body");

    // With a second owner the first may step down.
    ada.patch(&member_path(bob.user_id), json!({"role": "owner"})).await.expect(204);
    ada.patch(&member_path(ada.user_id), json!({"role": "admin"})).await.expect(204);
    assert_eq!(role_of(&bob, ws, ada.user_id).await.as_deref(), Some("admin"));
    bob.patch(&member_path(bob.user_id), json!({"role": "member"})).await.expect_err(409, "last_owner");
}

#[tokio::test]
async fn a_removed_member_loses_the_workspace_and_its_channels_at_once() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let general = ada.general(ws).await;
    let secret = ada.channel(ws, "secret", true).await;
    ada.post(&format!("/api/v1/channels/{secret}/members"), json!({"user_id": carol.user_id})).await.expect(200);
    let dm = carol
        .post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [ada.user_id]}))
        .await
        .expect(201)
        .id();
    let msg = carol.say(general, "still here").await["id"].as_str().expect("id").to_owned();

    bob.delete(&format!("/api/v1/workspaces/{ws}/members/{}", carol.user_id)).await.expect_err(403, "not_allowed");
    carol.get(&format!("/api/v1/channels/{secret}")).await.expect(200);

    ada.delete(&format!("/api/v1/workspaces/{ws}/members/{}", carol.user_id)).await.expect(204);
    carol.get(&format!("/api/v1/workspaces/{ws}")).await.expect_err(404, "workspace_not_found");
    assert!(carol.get("/api/v1/workspaces").await.expect(200).body.as_array().expect("list").is_empty());
    for ch in [general, secret, dm] {
        carol.get(&format!("/api/v1/channels/{ch}")).await.expect_err(404, "channel_not_found");
        carol
            .post(&format!("/api/v1/channels/{ch}/messages"), json!({"text": "x"}))
            .await
            .expect_err(404, "channel_not_found");
    }
    carol.get(&format!("/api/v1/messages/{msg}")).await.expect_err(404, "message_not_found");
    assert_eq!(role_of(&ada, ws, carol.user_id).await, None);
    let channel_members = ada.get(&format!("/api/v1/channels/{secret}/members")).await.expect(200);
    assert_eq!(channel_members.body.as_array().expect("members").len(), 1, "only ada is left in #secret");
    // The message carol wrote stays for everyone else.
    assert_eq!(ada.history(general, "").await.len(), 1);

    // Invited again, carol is back as a member of #general (not of #secret).
    let again = ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({})).await.expect(201);
    carol
        .post_empty(&format!("/api/v1/invites/{}/accept", again.body["token"].as_str().expect("token")))
        .await
        .expect(200);
    carol.get(&format!("/api/v1/channels/{general}")).await.expect(200);
    carol.get(&format!("/api/v1/channels/{secret}")).await.expect_err(404, "channel_not_found");
}

#[tokio::test]
async fn a_member_can_leave_but_the_last_owner_cannot() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let dave = app.join(&ada, ws, "dave", "member").await;
    let general = ada.general(ws).await;

    dave.delete(&format!("/api/v1/workspaces/{ws}/members/{}", dave.user_id)).await.expect(204);
    dave.get(&format!("/api/v1/workspaces/{ws}")).await.expect_err(404, "workspace_not_found");
    dave.get(&format!("/api/v1/channels/{general}")).await.expect_err(404, "channel_not_found");
    dave.delete(&format!("/api/v1/workspaces/{ws}/members/{}", dave.user_id))
        .await
        .expect_err(404, "workspace_not_found");

    ada.delete(&format!("/api/v1/workspaces/{ws}/members/{}", ada.user_id)).await.expect_err(409, "last_owner");
    ada.get(&format!("/api/v1/workspaces/{ws}")).await.expect(200);
}

#[tokio::test]
async fn a_revoked_invitation_no_longer_works() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let inv = ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({})).await.expect(201);
    let (id, token) = (inv.id(), inv.body["token"].as_str().expect("token").to_owned());
    app.anon().get(&format!("/api/v1/invites/{token}")).await.expect(200);

    bob.delete(&format!("/api/v1/workspaces/{ws}/invites/{id}")).await.expect_err(403, "not_allowed");
    app.anon().get(&format!("/api/v1/invites/{token}")).await.expect(200);
    let (other_ws, _) = create_workspace(&ada, "Other").await;
    ada.delete(&format!("/api/v1/workspaces/{other_ws}/invites/{id}")).await.expect_err(404, "invite_not_found");

    ada.delete(&format!("/api/v1/workspaces/{ws}/invites/{id}")).await.expect(204);
    let r = app.anon().get(&format!("/api/v1/invites/{token}")).await;
    assert!(matches!((r.status, r.code()), (409, "invite_used_up") | (404, "invite_not_found")), "{:?}", r.body);
    let signup = app
        .anon()
        .post(
            "/api/v1/auth/signup",
            json!({"invite_token": token, "email": "late@acme.test", "display_name": "Late", "password": PASSWORD}),
        )
        .await;
    assert!(matches!(signup.status, 404 | 409), "{:?}", signup.body);
    app.login("late@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    let (outsider, _) = app.outsider(&ada, "outsider").await;
    let r = outsider.post_empty(&format!("/api/v1/invites/{token}/accept")).await;
    assert!(matches!(r.status, 404 | 409), "{:?}", r.body);
    outsider.get(&format!("/api/v1/workspaces/{ws}")).await.expect_err(404, "workspace_not_found");
}
