//! The authorization matrix: every kind of caller against every kind of resource.
//! Hidden things answer 404 exactly like missing ones; visible-but-forbidden 403;
//! deactivated accounts 401 everywhere.
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Client, TestApp};

const ACTIONS: [&str; 9] = ["read", "history", "post", "rename", "archive", "members", "read_msg", "edit_msg", "react"];

struct Fixture {
    actors: Vec<(&'static str, Client)>,
    public: (Uuid, Uuid),
    private: (Uuid, Uuid),
    dm: (Uuid, Uuid),
}

async fn fixture(app: &TestApp) -> (Fixture, Client, Uuid) {
    let (ada, ws) = app.setup_admin().await;
    let (outsider, _) = app.outsider(&ada, "outsider").await;
    let guest = app.join(&ada, ws, "guest", "guest").await;
    let member = app.join(&ada, ws, "member", "member").await;
    let member_in = app.join(&ada, ws, "memberin", "member").await;
    let chadmin = app.join(&ada, ws, "chadmin", "member").await;
    let wsadmin = app.join(&ada, ws, "wsadmin", "admin").await;
    let deactivated = app.join(&ada, ws, "gone", "member").await;
    let removed = app.join(&ada, ws, "removed", "member").await;

    let public = chadmin.channel(ws, "town", false).await;
    let private = chadmin.channel(ws, "secret", true).await;
    for (ch, who) in [(public, &member_in), (private, &member_in), (private, &guest)] {
        chadmin.post(&format!("/api/v1/channels/{ch}/members"), json!({"user_id": who.user_id})).await.expect(200);
    }
    for who in [&deactivated, &removed] {
        for ch in [public, private] {
            chadmin.post(&format!("/api/v1/channels/{ch}/members"), json!({"user_id": who.user_id})).await.expect(200);
        }
    }
    let dm = member_in
        .post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [chadmin.user_id]}))
        .await
        .expect(201)
        .id();
    let msg = |ch: Uuid| {
        let m = member_in.clone();
        async move { m.say(ch, "original").await["id"].as_str().expect("id").parse::<Uuid>().expect("uuid") }
    };
    let public = (public, msg(public).await);
    let private = (private, msg(private).await);
    let dm = (dm, msg(dm).await);

    // Deactivation and removal take effect at once, with sessions still held.
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", deactivated.user_id)).await.expect(204);
    ada.delete(&format!("/api/v1/workspaces/{ws}/members/{}", removed.user_id)).await.expect(204);

    let actors = vec![
        ("outsider", outsider),
        ("guest", guest),
        ("member", member),
        ("member_in", member_in),
        ("chadmin", chadmin),
        ("wsadmin", wsadmin),
        ("deactivated", deactivated),
        ("removed", removed),
    ];
    (Fixture { actors, public, private, dm }, ada, ws)
}

async fn attempt(c: &Client, actor: &str, resource: &str, action: &str, (ch, msg): (Uuid, Uuid)) -> u16 {
    let status = match action {
        "read" => c.get(&format!("/api/v1/channels/{ch}")).await.status,
        "history" => c.get(&format!("/api/v1/channels/{ch}/messages")).await.status,
        "post" => {
            c.post(&format!("/api/v1/channels/{ch}/messages"), json!({"text": format!("hi from {actor}")})).await.status
        }
        "rename" => {
            let r = c.patch(&format!("/api/v1/channels/{ch}"), json!({"name": format!("{resource}-{actor}")})).await;
            r.status
        }
        "archive" => {
            let s = c.post_empty(&format!("/api/v1/channels/{ch}/archive")).await.status;
            if s == 204 {
                c.post_empty(&format!("/api/v1/channels/{ch}/unarchive")).await.expect(204);
            }
            s
        }
        "members" => c.get(&format!("/api/v1/channels/{ch}/members")).await.status,
        "read_msg" => c.get(&format!("/api/v1/messages/{msg}")).await.status,
        "edit_msg" => {
            c.patch(&format!("/api/v1/messages/{msg}"), json!({"text": format!("edited by {actor}")})).await.status
        }
        "react" => c.post(&format!("/api/v1/messages/{msg}/reactions"), json!({"emoji": "eyes"})).await.status,
        other => panic!("unknown action {other}"),
    };
    status
}

const HIDDEN: [u16; 9] = [404; 9];
const REFUSED: [u16; 9] = [401; 9];

fn expected(resource: &str, actor: &str) -> [u16; 9] {
    //                          read history post rename archive members read_msg edit_msg react
    match (resource, actor) {
        (_, "outsider") | (_, "removed") => HIDDEN,
        (_, "deactivated") => REFUSED,
        ("public", "guest") => HIDDEN,
        ("public", "member") => [200, 200, 403, 403, 403, 200, 200, 403, 403],
        ("public", "member_in") => [200, 200, 201, 403, 403, 200, 200, 200, 200],
        ("public", "chadmin") => [200, 200, 201, 200, 204, 200, 200, 403, 200],
        ("public", "wsadmin") => [200, 200, 403, 200, 204, 200, 200, 403, 403],
        ("private", "guest") => [200, 200, 201, 403, 403, 200, 200, 403, 200],
        ("private", "member") | ("private", "wsadmin") => HIDDEN,
        ("private", "member_in") => [200, 200, 201, 403, 403, 200, 200, 200, 200],
        ("private", "chadmin") => [200, 200, 201, 200, 204, 200, 200, 403, 200],
        ("dm", "member_in") => [200, 200, 201, 403, 403, 200, 200, 200, 200],
        ("dm", "chadmin") => [200, 200, 201, 403, 403, 200, 200, 403, 200],
        ("dm", _) => HIDDEN,
        other => panic!("no expectation for {other:?}"),
    }
}

#[tokio::test]
async fn channel_and_message_access_matrix() {
    let app = TestApp::spawn().await;
    let (f, _, _) = fixture(&app).await;
    let mut failures = Vec::new();
    for (resource, target) in [("public", f.public), ("private", f.private), ("dm", f.dm)] {
        for (actor, client) in &f.actors {
            let want = expected(resource, actor);
            for (i, action) in ACTIONS.iter().enumerate() {
                let got = attempt(client, actor, resource, action, target).await;
                if got != want[i] {
                    failures.push(format!("{actor} {action} on {resource}: expected {}, got {got}", want[i]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix mismatches:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn hidden_resources_look_exactly_like_missing_ones() {
    let app = TestApp::spawn().await;
    let (f, _, _) = fixture(&app).await;
    let (_, outsider) = &f.actors[0];
    let hidden = outsider.get(&format!("/api/v1/channels/{}", f.private.0)).await.expect(404);
    let missing = outsider.get(&format!("/api/v1/channels/{}", Uuid::now_v7())).await.expect(404);
    assert_eq!(hidden.body, missing.body, "same body for hidden and missing channels");
    let hidden = outsider.get(&format!("/api/v1/messages/{}", f.private.1)).await.expect(404);
    let missing = outsider.get(&format!("/api/v1/messages/{}", Uuid::now_v7())).await.expect(404);
    assert_eq!(hidden.body, missing.body, "same body for hidden and missing messages");
    assert_eq!(hidden.code(), "message_not_found");
}

#[tokio::test]
async fn workspace_access_matrix() {
    let app = TestApp::spawn().await;
    let (f, ada, ws) = fixture(&app).await;
    let mut failures = Vec::new();
    // get, members, browse, invite
    let table: [(&str, [u16; 4]); 8] = [
        ("outsider", [404, 404, 404, 404]),
        ("guest", [200, 200, 403, 403]),
        ("member", [200, 200, 200, 403]),
        ("member_in", [200, 200, 200, 403]),
        ("chadmin", [200, 200, 200, 403]),
        ("wsadmin", [200, 200, 200, 201]),
        ("deactivated", [401, 401, 401, 401]),
        ("removed", [404, 404, 404, 404]),
    ];
    for (actor, want) in table {
        let c = &f.actors.iter().find(|(a, _)| *a == actor).expect("actor").1;
        let got = [
            c.get(&format!("/api/v1/workspaces/{ws}")).await.status,
            c.get(&format!("/api/v1/workspaces/{ws}/members")).await.status,
            c.get(&format!("/api/v1/workspaces/{ws}/channels/browse")).await.status,
            c.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({})).await.status,
        ];
        if got != want {
            failures.push(format!("{actor}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The owner can do all of it.
    ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({})).await.expect(201);
}
