//! Admin: a workspace's owners and admins get the workspace-scoped parts of /admin and
//! /api/v1/admin — for their own workspaces only; everything else answers as missing.
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::admin::html;
use crate::admin_tasks::finished;
use crate::helpers::{create_workspace, Client, TestApp};

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().filter_map(|w| w["id"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_workspace_admin_runs_their_own_workspace_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (ada, acme) = app.setup_admin().await;
    let mut wendy = app.join(&ada, acme, "wendy", "admin").await;
    wendy.origin = Some(app.base.clone());
    let bob = app.join(&ada, acme, "bob", "member").await;
    let plans = bob.channel(acme, "plans", false).await;
    let (beta, _) = create_workspace(&ada, "Beta").await;
    let beta_general = ada.general(beta).await;
    let route_missing = app.anon().get("/api/v1/no/such/route").await.expect(404).body;

    // Their workspaces only, in the list and one by one.
    let listed = wendy.get("/api/v1/admin/workspaces").await.expect(200).body;
    assert_eq!(ids(&listed), [acme.to_string()]);
    wendy.get(&format!("/api/v1/admin/workspaces/{acme}")).await.expect(200);
    let other = wendy.get(&format!("/api/v1/admin/workspaces/{beta}")).await.expect_err(404, "workspace_not_found");
    let missing = wendy.get(&format!("/api/v1/admin/workspaces/{}", Uuid::now_v7())).await.expect(404);
    assert_eq!(other.body, missing.body, "another workspace answers as a missing one");

    // Their workspace's settings, channels, members and retention, audited as theirs.
    let name = json!({"name": "Acme Corp"});
    wendy.send(Method::PUT, &format!("/api/v1/admin/workspaces/{acme}/name"), Some(name.clone())).await.expect(204);
    wendy.send(Method::PUT, &format!("/api/v1/admin/workspaces/{beta}/name"), Some(name)).await.expect(404);
    let private = Some(json!({"private": true}));
    wendy.send(Method::PUT, &format!("/api/v1/admin/channels/{plans}/state"), private.clone()).await.expect(204);
    wendy
        .send(Method::PUT, &format!("/api/v1/admin/channels/{beta_general}/state"), private)
        .await
        .expect_err(404, "channel_not_found");
    let promote = Some(json!({"role": "admin"}));
    let on_bob = format!("/api/v1/admin/workspaces/{acme}/members/{}", bob.user_id);
    wendy.send(Method::PUT, &on_bob, promote).await.expect(204);
    let demote_owner = format!("/api/v1/admin/workspaces/{acme}/members/{}", ada.user_id);
    wendy.send(Method::PUT, &demote_owner, Some(json!({"role": "member"}))).await.expect_err(403, "not_allowed");
    let archive = Some(json!({"archived": true}));
    wendy
        .send(Method::PUT, &format!("/api/v1/admin/workspaces/{acme}/state"), archive)
        .await
        .expect_err(403, "not_allowed");
    let keep = Some(json!({"retention_days": 30}));
    wendy.send(Method::PUT, &format!("/api/v1/admin/workspaces/{acme}/retention"), keep).await.expect(204);
    let hold = Some(json!({"retention_days": 7, "legal_hold": true}));
    wendy
        .send(Method::PUT, &format!("/api/v1/admin/channels/{plans}/retention"), hold)
        .await
        .expect_err(403, "not_allowed");
    let days = Some(json!({"retention_days": 7}));
    wendy.send(Method::PUT, &format!("/api/v1/admin/channels/{plans}/retention"), days).await.expect(204);

    // What belongs to the instance stays hidden, byte for byte.
    let limits = Some(json!({"guests_allowed": true, "storage_quota_bytes": 0}));
    for (method, path, body) in [
        (Method::PUT, format!("/api/v1/admin/workspaces/{acme}/limits"), limits),
        (Method::POST, format!("/api/v1/admin/workspaces/{acme}/members"), Some(json!({}))),
        (Method::POST, "/api/v1/admin/workspaces".into(), Some(json!({"name": "Mine"}))),
        (Method::GET, "/api/v1/admin/users".into(), None),
        (Method::GET, "/api/v1/admin/overview".into(), None),
        (Method::POST, "/api/v1/admin/retention/run".into(), None),
        (Method::PUT, format!("/api/v1/admin/users/{}/legal-hold", bob.user_id), Some(json!({"legal_hold": false}))),
    ] {
        let r = wendy.send(method.clone(), &path, body).await;
        assert_eq!((r.status, &r.body), (404, &route_missing), "{method} {path}");
    }

    // Exports of their workspace and its channels, theirs to follow and download.
    let theirs = json!({"scope": "workspace", "id": acme});
    let asked = wendy.post("/api/v1/admin/exports", theirs).await.expect(202);
    assert_eq!(finished(&wendy, asked.id()).await["state"], "done");
    let download = format!("/api/v1/admin/exports/{}/download", asked.id());
    Client::finish(wendy.request(Method::GET, &download)).await.expect(200);
    wendy.post("/api/v1/admin/exports", json!({"scope": "workspace", "id": beta})).await.expect(404);
    wendy.post("/api/v1/admin/exports", json!({"scope": "channel", "id": beta_general})).await.expect(404);
    let person = json!({"scope": "person", "id": bob.user_id});
    wendy.post("/api/v1/admin/exports", person).await.expect_err(403, "not_allowed");
    let adas = ada.post("/api/v1/admin/exports", json!({"scope": "workspace", "id": beta})).await.expect(202);
    wendy.get(&format!("/api/v1/admin/tasks/{}", adas.id())).await.expect_err(404, "task_not_found");
    let exports = wendy.get("/api/v1/admin/exports").await.expect(200).body;
    assert_eq!(ids(&exports), [asked.id().to_string()], "their own exports only");
    let every = ada.get("/api/v1/admin/exports").await.expect(200).body;
    assert!(ids(&every).contains(&asked.id().to_string()), "an instance administrator sees all");

    // Their workspace's part of the audit log.
    wendy.get("/api/v1/admin/audit").await.expect_err(422, "invalid_input");
    wendy.get(&format!("/api/v1/admin/audit?workspace={beta}")).await.expect_err(404, "workspace_not_found");
    let log = wendy.get(&format!("/api/v1/admin/audit?workspace={acme}")).await.expect(200).body;
    let entries = log["entries"].as_array().expect("entries");
    assert!(entries.iter().all(|e| e["workspace_id"] == acme.to_string()), "{log}");
    let by_wendy =
        |action: &str| entries.iter().any(|e| e["action"] == action && e["actor_id"] == wendy.user_id.to_string());
    for action in ["workspace.renamed", "workspace.member_role_changed", "workspace.retention_set"] {
        assert!(by_wendy(action), "{action} recorded as wendy's: {log}");
    }
    let csv = wendy.get(&format!("/api/v1/admin/audit/export?format=csv&workspace={acme}")).await.expect(200);
    assert!(csv.body.as_str().expect("text").contains("workspace.renamed"));

    // The pages: their workspaces, exports and audit; nothing of the instance's.
    let landing = wendy.get("/admin").await.expect(303);
    assert_eq!(landing.headers["location"], "/admin/workspaces");
    let list = html(&wendy.get("/admin/workspaces").await.expect(200)).to_owned();
    assert!(list.contains("Acme Corp") && !list.contains("Beta"), "{list}");
    assert!(!list.contains("New workspace") && !list.contains("href=\"/admin/people\""), "{list}");
    let page = html(&wendy.get(&format!("/admin/workspaces/{acme}")).await.expect(200)).to_owned();
    assert!(page.contains("data-testid=\"limits\"") && !page.contains("/limits\""), "limits shown, not offered");
    assert!(!page.contains("archive-h") && !page.contains("/admin/people/"), "no archive, no people pages");
    wendy.get(&format!("/admin/workspaces/{beta}")).await.expect(404);
    let form = wendy.request(Method::POST, &format!("/admin/workspaces/{acme}/retention")).form(&[("days", "90")]);
    Client::finish(form).await.expect(303);
    let row = wendy.get(&format!("/api/v1/admin/workspaces/{acme}")).await.expect(200).body;
    assert_eq!(row["retention_days"], 90);
    let audit_page = html(&wendy.get("/admin/audit").await.expect(200)).to_owned();
    assert!(audit_page.contains("workspace.retention_set") && !audit_page.contains("every one"), "{audit_page}");
    let exports_page = html(&wendy.get("/admin/exports").await.expect(200)).to_owned();
    assert!(exports_page.contains(&asked.id().to_string()) && !exports_page.contains(&adas.id().to_string()));
    for path in ["/admin/people", "/admin/system", "/admin/retention", "/admin/queues", "/admin/integrations"] {
        let r = wendy.get(path).await;
        assert_eq!((r.status, &r.body), (404, &route_missing), "{path}");
    }

    // No longer an admin there: no longer let in, from the next request on.
    ada.send(
        Method::PUT,
        &format!("/api/v1/admin/workspaces/{acme}/members/{}", wendy.user_id),
        Some(json!({"role": "member"})),
    )
    .await
    .expect(204);
    let r = wendy.get("/api/v1/admin/workspaces").await;
    assert_eq!((r.status, &r.body), (404, &route_missing));
}

#[tokio::test]
async fn an_admin_of_another_workspace_finds_nothing_of_this_one_on_any_admin_route() {
    let app = TestApp::spawn().await;
    let (ada, acme) = app.setup_admin().await;
    let bob = app.join(&ada, acme, "bob", "member").await;
    let plans = bob.channel(acme, "plans", false).await;
    let task = ada.post("/api/v1/admin/exports", json!({"scope": "channel", "id": plans})).await.expect(202).id();
    let (beta, _) = create_workspace(&ada, "Beta").await;
    let mut olga = app.join(&ada, beta, "olga", "admin").await;
    olga.origin = Some(app.base.clone());

    // Every admin operation the API documents, aimed at Acme's workspace, channel, member,
    // and export: so a route added later is walked too.
    let doc = ada.get("/api/v1/openapi.json").await.expect(200).body;
    let aimed = |path: &str| {
        path.replace("{workspace_id}", &acme.to_string())
            .replace("{channel_id}", &plans.to_string())
            .replace("{user_id}", &bob.user_id.to_string())
            .replace("{task_id}", &task.to_string())
    };
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/admin/") {
            continue;
        }
        for method in item.as_object().expect("operations").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let concrete = crate::ops::concrete(&aimed(path));
            let body = match (method.as_str(), path.as_str()) {
                ("POST", "/api/v1/admin/exports") => json!({"scope": "channel", "id": plans}),
                _ => json!({"retention_days": 1, "name": "x"}),
            };
            let r = olga.send(method.clone(), &concrete, Some(body)).await;
            walked += 1;
            match (method.as_str(), path.as_str()) {
                // Lists of their own: Beta, their exports (none), the log of a workspace named.
                ("GET", "/api/v1/admin/workspaces") => assert_eq!(ids(&r.body), [beta.to_string()]),
                ("GET", "/api/v1/admin/exports") => assert_eq!(ids(&r.body), Vec::<String>::new()),
                ("GET", "/api/v1/admin/audit" | "/api/v1/admin/audit/export") => {
                    assert_eq!(r.status, 422, "{method} {path}: {}", r.body);
                    let named = olga.get(&format!("{concrete}?workspace={acme}")).await;
                    assert_eq!(named.status, 404, "{method} {path}");
                }
                _ => assert_eq!(r.status, 404, "{method} {concrete}: {}", r.body),
            }
        }
    }
    assert!(walked > 40, "{walked}");
    // Nothing changed in Acme.
    let acme_now = ada.get(&format!("/api/v1/admin/workspaces/{acme}")).await.expect(200).body;
    assert_eq!(acme_now["name"], "Acme");
    assert!(acme_now["retention_days"].is_null());
    assert_eq!(ada.get(&format!("/api/v1/channels/{plans}")).await.expect(200).body["name"], "plans");
}
