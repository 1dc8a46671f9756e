//! Admin: long work as tasks — search rebuild, compliance export, retention — and the CLI.
use reqwest::Method;
use uuid::Uuid;

use crate::admin::html;
use crate::helpers::{Client, TestApp};

/// Polls a task until it has finished; answers it.
pub(crate) async fn finished(admin: &Client, task: Uuid) -> serde_json::Value {
    for _ in 0..300 {
        let t = admin.get(&format!("/api/v1/admin/tasks/{task}")).await.expect(200).body;
        if t["state"] == "done" || t["state"] == "failed" {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("task {task} did not finish");
}

#[tokio::test]
async fn a_rebuild_started_from_the_dashboard_runs_as_a_task_with_its_progress() {
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let general = ada.general(ws).await;
    for i in 0..7 {
        ada.say(general, &format!("turbine report {i}")).await;
    }
    let started = ada.post_empty("/api/v1/admin/search/rebuild").await.expect(202).body;
    let task = started["id"].as_str().expect("id").parse().expect("uuid");
    let done = finished(&ada, task).await;
    assert_eq!((done["state"].as_str(), done["percent"].as_u64()), (Some("done"), Some(100)), "{done}");
    assert!(done["result"]["indexed"].as_u64().is_some_and(|n| n >= 7), "{done}");
    assert_eq!(done["done"], done["total"]);
    let status = ada.get("/api/v1/admin/search").await.expect(200).body;
    assert_eq!(status["rebuilds"][0]["id"], done["id"]);
    let again = Client::finish(ada.request(Method::POST, "/admin/search/rebuild").form(&[("x", "")])).await.expect(303);
    assert_eq!(again.headers["location"], "/admin/queues");
    let page = ada.get("/admin/queues").await.expect(200);
    assert!(html(&page).contains("data-testid=\"rebuilds\""));
    let found = ada.get("/api/v1/search?q=turbine").await.expect(200).body;
    assert_eq!(found["results"].as_array().map(Vec::len), Some(7), "search answers after the rebuild");
}

#[tokio::test]
async fn a_compliance_export_holds_exactly_the_scope_asked_for_and_only_its_requester_downloads_it() {
    use sha2::{Digest, Sha256};
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let plans = ada.channel(ws, "plans", false).await;
    let general = ada.general(ws).await;
    bob.post_empty(&format!("/api/v1/channels/{plans}/join")).await.expect(204);
    let first = bob.say(plans, "the first plan").await;
    let first = first["id"].as_str().expect("id").to_owned();
    for text in ["the first plan, amended", "the first plan, revised"] {
        bob.patch(&format!("/api/v1/messages/{first}"), serde_json::json!({"text": text})).await.expect(200);
    }
    ada.post(&format!("/api/v1/messages/{first}/reactions"), serde_json::json!({"emoji": "eyes"})).await.expect(200);
    let gone = ada.say(plans, "a secret to forget").await;
    let secret = serde_json::json!({"text": "a secret to forget, edited"});
    ada.patch(&format!("/api/v1/messages/{}", gone["id"].as_str().expect("id")), secret).await.expect(200);
    ada.delete(&format!("/api/v1/messages/{}", gone["id"].as_str().expect("id"))).await.expect(204);
    let bytes = b"quarterly numbers".to_vec();
    let up = crate::files_support::upload(&ada, plans, "numbers.txt", bytes.clone()).await.expect(201);
    let with_file = serde_json::json!({"text": "numbers attached", "file_ids": [up.id()]});
    ada.post(&format!("/api/v1/channels/{plans}/messages"), with_file).await.expect(201);
    ada.say(general, "elsewhere in Acme").await;
    let (beta, _) = crate::helpers::create_workspace(&ada, "Beta").await;
    ada.say(ada.general(beta).await, "another workspace").await;

    let asked =
        ada.post("/api/v1/admin/exports", serde_json::json!({"scope": "channel", "id": plans})).await.expect(202);
    let done = finished(&ada, asked.id()).await;
    assert_eq!(done["state"], "done", "{done}");
    let download = format!("/api/v1/admin/exports/{}/download", asked.id());
    let file = Client::finish(ada.request(Method::GET, &download)).await.expect(200);
    let text = file.body.as_str().map(str::to_owned).unwrap_or_else(|| file.body.to_string());
    assert_eq!(done["result"]["sha256"], format!("{:x}", Sha256::digest(text.as_bytes())), "the recorded digest");
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.iter().all(|l| l["channel_id"] == plans.to_string()), "nothing from other channels");
    let revised = lines.iter().find(|l| l["id"] == first.as_str()).expect("the edited message");
    assert_eq!(revised["text"], "the first plan, revised");
    assert!(revised["edited_at"].is_string() && revised["author"] == "bob");
    assert_eq!(revised["reactions"][0]["emoji"], "eyes");
    let earlier: Vec<&str> =
        revised["edits"].as_array().expect("edits").iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(earlier, ["the first plan", "the first plan, amended"], "earlier texts, oldest first");
    assert_eq!(revised["edits"][0]["written_at"], revised["created_at"]);
    assert_eq!(revised["edits"][1]["replaced_at"], revised["edited_at"]);
    let tombstone = lines.iter().find(|l| l["deleted_at"].is_string()).expect("the deleted message");
    assert_eq!(tombstone["text"], "", "a deleted message keeps no text");
    assert_eq!(tombstone["edits"], serde_json::json!([]), "nor its earlier texts");
    assert!(!text.contains("a secret to forget"), "{text}");
    let attached = lines.iter().find(|l| l["text"] == "numbers attached").expect("the message with a file");
    assert_eq!(attached["files"][0]["sha256"], format!("{:x}", Sha256::digest(&bytes)));
    assert!(!text.contains("elsewhere in Acme") && !text.contains("another workspace"));

    let whole =
        ada.post("/api/v1/admin/exports", serde_json::json!({"scope": "workspace", "id": ws})).await.expect(202);
    assert_eq!(finished(&ada, whole.id()).await["result"]["messages"], 4, "Acme's four, not Beta's");
    let later = serde_json::json!({"scope": "person", "id": bob.user_id, "since": "2999-01-01"});
    let none = ada.post("/api/v1/admin/exports", later).await.expect(202);
    assert_eq!(finished(&ada, none.id()).await["result"]["messages"], 0);
    ada.post("/api/v1/admin/exports", serde_json::json!({"scope": "galaxy", "id": ws}))
        .await
        .expect_err(422, "invalid_input");
    let missing = serde_json::json!({"scope": "channel", "id": Uuid::now_v7()});
    ada.post("/api/v1/admin/exports", missing).await.expect_err(404, "channel_not_found");

    // Another administrator cannot download it; the page offers it only to its requester.
    ada.send(
        Method::PUT,
        &format!("/api/v1/admin/users/{}/role", bob.user_id),
        Some(serde_json::json!({"is_admin": true})),
    )
    .await
    .expect(204);
    bob.get(&download).await.expect_err(404, "export_not_found");
    let page = ada.get("/admin/exports").await.expect(200);
    assert!(html(&page).contains(&format!("/admin/exports/{}/download", asked.id())));
    let from_page = ada.get(&format!("/admin/exports/{}/download", asked.id())).await.expect(200);
    assert_eq!(from_page.body.as_str().map(str::len).unwrap_or(0), text.len());

    // A day later the file is gone.
    {
        use parley::admin::tasks::model as task;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        task::Entity::update_many()
            .col_expr(task::Column::ExpiresAt, Some(0i64).into())
            .filter(task::Column::Id.eq(asked.id()))
            .exec(&app.state.db.conn)
            .await
            .expect("expire");
    }
    assert!(parley::admin::export::expire(&app.state).await.expect("sweep") >= 1);
    ada.get(&download).await.expect_err(404, "export_not_found");
    let audit = ada.get("/api/v1/admin/audit?action=export.downloaded").await.expect(200).body;
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(2));
}

/// Backdates a message (its id's time stays; retention reads created_at).
async fn age(app: &TestApp, message: &str, days: i64) {
    use parley::messages::model::message;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let at = parley::clock::now_ms() - days * 86_400_000;
    message::Entity::update_many()
        .col_expr(message::Column::CreatedAt, at.into())
        .filter(message::Column::Id.eq(message.parse::<Uuid>().expect("uuid")))
        .exec(&app.state.db.conn)
        .await
        .expect("backdate");
}

#[tokio::test]
async fn retention_deletes_exactly_what_is_older_than_the_limit_files_included_and_spares_what_is_held() {
    use serde_json::json;
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let (plans, keep, short) = (
        ada.channel(ws, "plans", false).await,
        ada.channel(ws, "keep", false).await,
        ada.channel(ws, "short", false).await,
    );
    let say = |c: Uuid, text: &'static str| {
        let ada = ada.clone();
        async move { ada.say(c, text).await["id"].as_str().expect("id").to_owned() }
    };
    let file = crate::files_support::upload(&ada, general, "old.txt", b"old bytes".to_vec()).await.expect(201);
    let with_file = json!({"text": "old, with a file", "file_ids": [file.id()]});
    let old_general = ada.post(&format!("/api/v1/channels/{general}/messages"), with_file).await.expect(201);
    let old_general = old_general.body["id"].as_str().expect("id").to_owned();
    let old_bob = bob.say(general, "old, but bob is on hold").await["id"].as_str().expect("id").to_owned();
    let new_general = say(general, "recent").await;
    let old_plans = say(plans, "old, held channel").await;
    let old_keep = say(keep, "old, kept forever").await;
    let ten_days = say(short, "ten days old, five-day channel").await;
    let new_short = say(short, "recent in short").await;
    for (m, days) in [(&old_general, 40), (&old_bob, 40), (&old_plans, 40), (&old_keep, 40), (&ten_days, 10)] {
        age(&app, m, days).await;
    }

    let put = |path: String, body: serde_json::Value| {
        let ada = ada.clone();
        async move { ada.send(Method::PUT, &path, Some(body)).await }
    };
    put(format!("/api/v1/admin/workspaces/{ws}/retention"), json!({"retention_days": 0}))
        .await
        .expect_err(422, "invalid_input");
    put(format!("/api/v1/admin/workspaces/{ws}/retention"), json!({"retention_days": 30})).await.expect(204);
    put(format!("/api/v1/admin/channels/{plans}/retention"), json!({"retention_days": null, "legal_hold": true}))
        .await
        .expect(204);
    put(format!("/api/v1/admin/channels/{keep}/retention"), json!({"retention_days": 0})).await.expect(204);
    let short_form = ada.request(Method::POST, &format!("/admin/retention/channels/{short}")).form(&[("days", "5")]);
    Client::finish(short_form).await.expect(303);
    let hold = ada.request(Method::POST, &format!("/admin/retention/people/{}", bob.user_id));
    Client::finish(hold.form(&[("legal_hold", "true"), ("back", "person")])).await.expect(303);

    let run = ada.post_empty("/api/v1/admin/retention/run").await.expect(202);
    let done = finished(&ada, run.id()).await;
    assert_eq!((done["state"].as_str(), done["result"]["deleted"].as_u64()), (Some("done"), Some(2)), "{done}");
    let deleted = |m: String| {
        let ada = ada.clone();
        async move { ada.get(&format!("/api/v1/messages/{m}")).await.expect(200).body["deleted"].as_bool() }
    };
    assert_eq!(deleted(old_general).await, Some(true));
    assert_eq!(deleted(ten_days).await, Some(true));
    for kept in [old_bob, new_general, old_plans, old_keep, new_short] {
        assert_eq!(deleted(kept.clone()).await, Some(false), "{kept} is kept");
    }
    ada.get(&format!("/api/v1/files/{}", file.id())).await.expect_err(404, "file_not_found");

    let page = ada.get("/admin/retention").await.expect(200);
    assert!(html(&page).contains("data-channel=\"plans\" data-held"));
    assert!(html(&page).contains("data-testid=\"held-people\""));
    let view = ada.get("/api/v1/admin/retention").await.expect(200).body;
    assert_eq!(view["runs"][0]["state"], "done");
    let audit = ada.get("/api/v1/admin/audit?action=retention.applied").await.expect(200).body;
    assert_eq!(audit["entries"][0]["details"]["deleted"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_lists_deactivates_sets_retention_and_exports_with_the_server_doing_the_work() {
    use crate::ops::cli;
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    ada.say(general, "for the record").await;

    let (ok, out) = cli(&app, &["admin", "people", "--q", "bob"], "").await;
    assert!(ok && out.contains("bob\tbob\tbob@acme.test\tmember\tactive"), "{out}");
    let (ok, out) = cli(&app, &["admin", "deactivate", "--email", "bob@acme.test"], "").await;
    assert!(ok, "{out}");
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    let (ok, out) = cli(&app, &["admin", "workspaces"], "").await;
    assert!(ok && out.contains("\tAcme\t"), "{out}");
    let slug =
        out.lines().find(|l| l.contains("\tAcme\t")).and_then(|l| l.split('\t').next()).expect("slug").to_owned();
    let (ok, out) = cli(&app, &["admin", "retention", "--workspace", &slug, "--days", "30"], "").await;
    assert!(ok, "{out}");
    let policies = ada.get("/api/v1/admin/retention").await.expect(200).body;
    assert_eq!(policies["workspaces"][0]["retention_days"], 30);

    let out_file = app.data_dir().join("cli-export.jsonl");
    let args = [
        "admin",
        "export",
        "--scope",
        "channel",
        "--id",
        &general.to_string(),
        "--out",
        out_file.to_str().expect("path"),
    ];
    let (ok, out) = cli(&app, &args, "").await;
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&out_file).expect("the export");
    assert!(text.lines().count() >= 1 && text.contains("for the record"), "{text}");
    let audit = ada.get("/api/v1/admin/audit?action=user.deactivated").await.expect(200).body;
    assert_eq!(audit["entries"][0]["target_id"], bob.user_id.to_string());
}
