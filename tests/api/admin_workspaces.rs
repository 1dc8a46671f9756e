//! Admin: workspaces and channels — settings, limits, members, moves, nodes.
use reqwest::Method;
use uuid::Uuid;

use crate::admin::html;
use crate::helpers::{Client, TestApp};

#[tokio::test]
async fn an_admin_renames_archives_and_hides_channels_and_manages_members_of_any_workspace() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let plans = carol.channel(ws, "plans", false).await;
    let general = ada.general(ws).await;

    let all = ada.get("/api/v1/admin/workspaces").await.expect(200).body;
    let acme = all.as_array().expect("list").iter().find(|w| w["name"] == "Acme").expect("Acme").clone();
    let detail = ada.get(&format!("/api/v1/admin/workspaces/{ws}")).await.expect(200).body;
    assert_eq!(acme["member_count"].as_i64(), detail["members"].as_array().map(|m| m.len() as i64), "{detail}");
    assert!(detail["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .any(|c| c["name"] == "plans" && c["kind"] == "public"));
    let page = ada.get(&format!("/admin/workspaces/{ws}")).await.expect(200);
    assert!(html(&page).contains("data-channel=\"plans\" data-kind=\"public\""));

    let act = |path: String, fields: Vec<(&'static str, String)>| {
        let req = ada.request(Method::POST, &path).form(&fields);
        async move { Client::finish(req).await }
    };
    let on_plans = format!("/admin/channels/{plans}");
    bob.get(&format!("/api/v1/channels/{plans}")).await.expect(200);
    act(on_plans.clone(), vec![("act", "private".into())]).await.expect(303);
    bob.get(&format!("/api/v1/channels/{plans}")).await.expect_err(404, "channel_not_found");
    carol.get(&format!("/api/v1/channels/{plans}")).await.expect(200);
    act(on_plans.clone(), vec![("act", "public".into())]).await.expect(303);
    bob.get(&format!("/api/v1/channels/{plans}")).await.expect(200);
    act(on_plans.clone(), vec![("act", "rename".into()), ("name", "roadmap".into())]).await.expect(303);
    assert_eq!(bob.get(&format!("/api/v1/channels/{plans}")).await.expect(200).body["name"], "roadmap");
    act(on_plans.clone(), vec![("act", "archive".into())]).await.expect(303);
    carol
        .post(&format!("/api/v1/channels/{plans}/messages"), serde_json::json!({"text": "hi"}))
        .await
        .expect_err(409, "channel_archived");
    let refused = act(format!("/admin/channels/{general}"), vec![("act", "private".into())]).await.expect(409);
    assert!(html(&refused).contains("stays public"));
    ada.send(
        Method::PUT,
        &format!("/api/v1/admin/channels/{plans}/state"),
        Some(serde_json::json!({"archived": false})),
    )
    .await
    .expect(204);
    carol.say(plans, "back").await;

    let on_bob = format!("/admin/workspaces/{ws}/members/{}", bob.user_id);
    act(on_bob.clone(), vec![("act", "admin".into())]).await.expect(303);
    let members = ada.get(&format!("/api/v1/admin/workspaces/{ws}")).await.expect(200).body;
    let row =
        members["members"].as_array().expect("members").iter().find(|m| m["username"] == "bob").expect("bob").clone();
    assert_eq!(row["role"], "admin");
    act(on_bob, vec![("act", "remove".into())]).await.expect(303);
    bob.get(&format!("/api/v1/workspaces/{ws}")).await.expect_err(404, "workspace_not_found");

    let settings = format!("/admin/workspaces/{ws}/settings");
    let sso = act(settings.clone(), vec![("sign_in_policy", "sso_only".into())]).await.expect(422);
    assert!(html(&sso).contains("identity provider"));
    act(settings, vec![("sign_in_policy", "password_and_sso".into()), ("members_create_hooks", "on".into())])
        .await
        .expect(303);
    let after = ada.get("/api/v1/admin/workspaces").await.expect(200).body;
    assert!(after.as_array().expect("list").iter().any(|w| w["name"] == "Acme" && w["members_create_hooks"] == true));

    // A new workspace, and an invitation to it as a link (no address) from the page.
    let made = Client::finish(ada.request(Method::POST, "/admin/workspaces").form(&[("name", "Gamma Team")]))
        .await
        .expect(303);
    let gamma: Uuid =
        made.headers["location"].to_str().expect("location").rsplit('/').next().expect("id").parse().expect("uuid");
    let page = Client::finish(
        ada.request(Method::POST, &format!("/admin/workspaces/{gamma}/invites"))
            .form(&[("email", ""), ("role", "member")]),
    )
    .await
    .expect(200);
    let page = html(&page);
    let from = page.find("/invite/").expect("the link is shown");
    let token: String =
        page[from + 8..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c)).collect();
    let dana = app.signup_with(&token, "dana").await;
    let theirs = dana.get("/api/v1/workspaces").await.expect(200).body;
    assert_eq!(theirs[0]["name"], "Gamma Team");
    let mailed = json!({"email": "erin@acme.test", "role": "guest"});
    let invited = ada.post(&format!("/api/v1/admin/workspaces/{gamma}/invites"), mailed).await.expect(201);
    assert_eq!(
        (invited.body["role"].as_str(), invited.body["email"].as_str()),
        (Some("guest"), Some("erin@acme.test"))
    );

    let audit = ada.get(&format!("/api/v1/admin/audit?target={plans}")).await.expect(200).body;
    let actions: Vec<&str> =
        audit["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for want in ["channel.visibility_changed", "channel.renamed", "channel.archived", "channel.unarchived"] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

#[tokio::test]
async fn an_admin_sets_a_workspaces_guest_access_and_quota_and_sees_every_node() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;

    let limits = format!("/admin/workspaces/{ws}/limits");
    Client::finish(ada.request(Method::POST, &limits).form(&[("quota_mb", "0")])).await.expect(303);
    let invite = json!({"role": "guest"});
    ada.post(&format!("/api/v1/workspaces/{ws}/invites"), invite.clone()).await.expect_err(409, "guests_not_allowed");
    let to_guest = format!("/api/v1/workspaces/{ws}/members/{}", bob.user_id);
    ada.send(Method::PATCH, &to_guest, Some(json!({"role": "guest"}))).await.expect_err(409, "guests_not_allowed");
    let quota = json!({"guests_allowed": true, "storage_quota_bytes": 1500});
    ada.send(Method::PUT, &format!("/api/v1/admin/workspaces/{ws}/limits"), Some(quota)).await.expect(204);
    ada.post(&format!("/api/v1/workspaces/{ws}/invites"), invite).await.expect(201);
    let storage = ada.get(&format!("/api/v1/workspaces/{ws}/storage")).await.expect(200).body;
    assert_eq!(storage["quota_bytes"], 1500);
    crate::files_support::upload(&ada, general, "small.txt", vec![b'a'; 1000]).await.expect(201);
    let over = crate::files_support::upload(&ada, general, "big.txt", vec![b'b'; 1000]).await;
    assert_eq!((over.status, over.code()), (413, "storage_quota_exceeded"));
    let negative = json!({"guests_allowed": true, "storage_quota_bytes": -1});
    ada.send(Method::PUT, &format!("/api/v1/admin/workspaces/{ws}/limits"), Some(negative))
        .await
        .expect_err(422, "invalid_input");
    let rows = ada.get("/api/v1/admin/workspaces").await.expect(200).body;
    assert_eq!(rows[0]["storage_quota_bytes"], 1500);

    // People by how they sign in (an identity as a provider sign-in would leave it).
    {
        use parley::sso::model::identity;
        use sea_orm::{ActiveModelTrait, Set};
        identity::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(bob.user_id),
            provider_id: Set("corp".into()),
            issuer: Set("https://idp.example".into()),
            subject: Set("bob-1".into()),
            email: Set(Some("bob@acme.test".into())),
            created_at: Set(0),
            last_login_at: Set(0),
        }
        .insert(&app.state.db.conn)
        .await
        .expect("identity");
    }
    let names = |v: serde_json::Value| -> Vec<String> {
        v.as_array().expect("list").iter().filter_map(|p| p["username"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(names(ada.get("/api/v1/admin/users?sso=linked").await.expect(200).body), ["bob"]);
    assert_eq!(names(ada.get("/api/v1/admin/users?sso=corp").await.expect(200).body), ["bob"]);
    assert!(names(ada.get("/api/v1/admin/users?sso=other").await.expect(200).body).is_empty());
    assert!(!names(ada.get("/api/v1/admin/users?sso=none").await.expect(200).body).contains(&"bob".to_owned()));

    // This node reports itself among the cluster's.
    let mut listed = serde_json::Value::Null;
    for _ in 0..50 {
        listed = ada.get("/api/v1/admin/system").await.expect(200).body["cluster"].clone();
        if listed.as_array().is_some_and(|n| !n.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(listed[0]["this_node"], true, "{listed}");
    let overview = ada.get("/api/v1/admin/overview").await.expect(200).body;
    assert!(overview["nodes"].as_array().is_some_and(|n| n.len() == 1), "{overview}");
}

#[tokio::test]
async fn an_admin_renames_a_workspace_and_moves_a_person_to_another() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let mut socket = crate::ws_client::Ws::connect(&bob).await;
    let rename =
        ada.request(Method::POST, &format!("/admin/workspaces/{ws}/name")).form(&[("name", "Acme Corporation")]);
    Client::finish(rename).await.expect(303);
    socket
        .expect("renamed live", |v| v["type"] == "workspace.updated" && v["data"]["name"] == "Acme Corporation")
        .await;
    assert_eq!(bob.get("/api/v1/workspaces").await.expect(200).body[0]["name"], "Acme Corporation");
    ada.send(Method::PUT, &format!("/api/v1/admin/workspaces/{ws}/name"), Some(json!({"name": "  "})))
        .await
        .expect_err(422, "invalid_input");

    let beta = ada.post("/api/v1/admin/workspaces", json!({"name": "Beta"})).await.expect(201).body["id"]
        .as_str()
        .expect("id")
        .parse::<Uuid>()
        .expect("uuid");
    let add = ada.request(Method::POST, &format!("/admin/workspaces/{beta}/members"));
    let form = [("username", "@bob".to_owned()), ("role", "member".to_owned()), ("move_from", ws.to_string())];
    Client::finish(add.form(&form)).await.expect(303);
    let theirs = bob.get("/api/v1/workspaces").await.expect(200).body;
    let names: Vec<&str> = theirs.as_array().expect("list").iter().filter_map(|w| w["name"].as_str()).collect();
    assert_eq!(names, ["Beta"], "moved: in Beta, no longer in Acme");
    bob.get(&format!("/api/v1/workspaces/{ws}")).await.expect_err(404, "workspace_not_found");
    let general = bob.get(&format!("/api/v1/workspaces/{beta}/channels")).await.expect(200).body;
    assert!(general.as_array().is_some_and(|c| c.iter().any(|c| c["name"] == "general")), "joined Beta's #general");

    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", bob.user_id)).await.expect(204);
    let again = json!({"user_id": bob.user_id, "role": "member"});
    ada.post(&format!("/api/v1/admin/workspaces/{ws}/members"), again).await.expect_err(404, "user_not_found");
    let audit = ada.get("/api/v1/admin/audit?action=workspace.").await.expect(200).body;
    let actions: Vec<&str> =
        audit["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for want in ["workspace.renamed", "workspace.created", "workspace.member_added", "workspace.member_removed"] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

#[tokio::test]
async fn an_archived_workspace_stays_readable_but_nothing_in_it_changes_until_it_is_unarchived() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let plans = ada.channel(ws, "plans", false).await;
    let kept = bob.say(general, "the migration plan").await;
    let kept_id = kept["id"].as_str().expect("id").to_owned();
    let hook = ada.post(&format!("/api/v1/channels/{general}/hooks"), json!({"name": "Alerts"})).await.expect(201);
    let hook_url = hook.body["url"].as_str().expect("url").to_owned();
    let (beta, _) = crate::helpers::create_workspace(&ada, "Beta").await;
    let elsewhere = ada.general(beta).await;
    let mut socket = crate::ws_client::Ws::connect(&bob).await;

    let archive = ada.request(Method::POST, &format!("/admin/workspaces/{ws}/state")).form(&[("act", "archive")]);
    Client::finish(archive).await.expect(303);
    socket
        .expect("the workspace archived", |v| {
            v["type"] == "workspace.updated" && v["data"]["archived"] == true && v["data"]["id"] == ws.to_string()
        })
        .await;
    assert_eq!(bob.get(&format!("/api/v1/workspaces/{ws}")).await.expect(200).body["archived"], true);
    let page = ada.get(&format!("/admin/workspaces/{ws}")).await.expect(200);
    assert!(html(&page).contains("data-testid=\"archived\""));

    // Still readable and searchable…
    let history = bob.get(&format!("/api/v1/channels/{general}/messages")).await.expect(200).body;
    assert!(history.to_string().contains("the migration plan"), "{history}");
    bob.get("/api/v1/search?q=migration").await.expect(200);
    // …but nothing changes, by any door.
    let archived = |r: crate::client::Resp| r.expect_err(409, "workspace_archived");
    archived(bob.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "hi"})).await);
    archived(bob.patch(&format!("/api/v1/messages/{kept_id}"), json!({"text": "changed"})).await);
    archived(bob.post(&format!("/api/v1/messages/{kept_id}/reactions"), json!({"emoji": "eyes"})).await);
    archived(bob.post_empty(&format!("/api/v1/channels/{plans}/join")).await);
    archived(bob.post(&format!("/api/v1/workspaces/{ws}/channels"), json!({"name": "new-one"})).await);
    archived(bob.post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [ada.user_id]})).await);
    archived(ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member"})).await);
    archived(ada.patch(&format!("/api/v1/channels/{plans}"), json!({"name": "renamed"})).await);
    let hooked = reqwest::Client::new().post(&hook_url).json(&json!({"text": "alert"})).send().await.expect("hook");
    assert_eq!(hooked.status().as_u16(), 410, "an incoming webhook is refused as for an archived channel");
    ada.say(elsewhere, "Beta is not archived").await;
    let export = ada.post("/api/v1/admin/exports", json!({"scope": "workspace", "id": ws})).await.expect(202);
    assert!(export.id() != Uuid::nil(), "an archived workspace can still be exported");

    ada.send(Method::PUT, &format!("/api/v1/admin/workspaces/{ws}/state"), Some(json!({"archived": false})))
        .await
        .expect(204);
    socket.expect("unarchived", |v| v["type"] == "workspace.updated" && v["data"]["archived"] == false).await;
    bob.say(general, "back in business").await;
    let after = bob.get(&format!("/api/v1/channels/{general}/messages")).await.expect(200).body;
    assert!(!after.to_string().contains("\"hi\""), "nothing refused was stored");
    let audit = ada.get(&format!("/api/v1/admin/audit?action=workspace.&workspace={ws}")).await.expect(200).body;
    let actions: Vec<&str> =
        audit["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"workspace.archived") && actions.contains(&"workspace.unarchived"), "{actions:?}");
}
