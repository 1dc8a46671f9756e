//! Admin: parked mail and failed jobs, integrations, the system page.
use reqwest::Method;
use uuid::Uuid;

use crate::admin::html;
use crate::helpers::{Client, TestApp};

/// A row as the job queue and the outbox leave them when they give up.
async fn seed_failures(app: &TestApp) -> ([Uuid; 2], [Uuid; 2]) {
    use parley::jobs::{model::job, queue};
    use parley::mail::model::{mail, PARKED};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let conn = &app.state.db.conn;
    let mut jobs = [Uuid::nil(); 2];
    for slot in &mut jobs {
        *slot = queue::enqueue(conn, "test.nobody_runs_this", &serde_json::json!({}), 1, 0).await.expect("job");
    }
    job::Entity::update_many()
        .col_expr(job::Column::State, queue::FAILED.into())
        .col_expr(job::Column::Attempts, 1.into())
        .col_expr(job::Column::LastError, Some("boom").into())
        .filter(job::Column::Id.is_in(jobs))
        .exec(conn)
        .await
        .expect("failed");
    let mut mails = [Uuid::nil(); 2];
    for (i, slot) in mails.iter_mut().enumerate() {
        *slot = Uuid::now_v7();
        mail::ActiveModel {
            id: Set(*slot),
            kind: Set("test".into()),
            user_id: Set(None),
            to_address: Set(format!("someone{i}@acme.test")),
            subject: Set(format!("Parked {i}")),
            raw: Set(format!("To: someone{i}@acme.test\r\nSubject: Parked {i}\r\n\r\nHello\r\n")),
            state: Set(PARKED.into()),
            attempts: Set(8),
            last_error: Set(Some("550 mailbox unavailable".into())),
            created_at: Set(0),
            updated_at: Set(0),
            sent_at: Set(None),
        }
        .insert(conn)
        .await
        .expect("mail");
    }
    (jobs, mails)
}

#[tokio::test]
async fn failed_jobs_and_parked_mail_are_retried_or_discarded_from_the_queues_page() {
    let app = TestApp::spawn().await;
    let (mut ada, _) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let ([retried, dropped], [resent, forgotten]) = seed_failures(&app).await;

    let page = ada.get("/admin/queues").await.expect(200);
    let page = html(&page);
    for id in [retried, dropped, resent, forgotten] {
        assert!(page.contains(&id.to_string()), "{id} is listed");
    }
    let failed = ada.get("/api/v1/admin/jobs").await.expect(200).body;
    assert_eq!(failed.as_array().map(Vec::len), Some(2), "{failed}");
    assert_eq!(failed[0]["last_error"], "boom");

    let act = |path: String, act: &'static str| {
        let req = ada.request(Method::POST, &path).form(&[("act", act)]);
        async move { Client::finish(req).await }
    };
    act(format!("/admin/queues/jobs/{retried}"), "retry").await.expect(303);
    act(format!("/admin/queues/jobs/{dropped}"), "discard").await.expect(303);
    act(format!("/admin/queues/mail/{resent}"), "retry").await.expect(303);
    act(format!("/admin/queues/mail/{forgotten}"), "discard").await.expect(303);
    let again = act(format!("/admin/queues/jobs/{retried}"), "retry").await.expect(409);
    assert!(html(&again).contains("nly a failed job can be retried"), "a page, not JSON");

    let queued = ada.get("/api/v1/admin/jobs?state=queued").await.expect(200).body;
    let back = queued.as_array().expect("jobs").iter().find(|j| j["id"] == retried.to_string()).expect("requeued");
    assert_eq!(back["attempts"], 0);
    assert_eq!(ada.get("/api/v1/admin/jobs").await.expect(200).body.as_array().map(Vec::len), Some(0));
    ada.delete(&format!("/api/v1/admin/jobs/{dropped}")).await.expect_err(404, "job_not_found");
    ada.delete(&format!("/api/v1/admin/mail/{forgotten}")).await.expect_err(404, "mail_not_found");
    ada.delete(&format!("/api/v1/admin/mail/{resent}")).await.expect_err(409, "mail_not_parked");

    // The retried mail goes out through the outbox (a deadline, not a speed: a loaded
    // machine running the PostgreSQL suite once took over ten seconds).
    let mut sent = false;
    for _ in 0..600 {
        let mails = ada.get("/api/v1/admin/mail?state=sent").await.expect(200).body;
        if mails["mails"].as_array().is_some_and(|m| m.iter().any(|m| m["id"] == resent.to_string())) {
            sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(sent, "the retried mail was sent");
    let audit = ada.get("/api/v1/admin/audit?action=job.").await.expect(200).body;
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(2));
    let audit = ada.get("/api/v1/admin/audit?action=mail.").await.expect(200).body;
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn an_admin_sees_every_integration_and_turns_each_kind_off_and_on() {
    let app = TestApp::spawn_with(|s| s.integrations.allow_hosts = vec!["127.0.0.1".into()], Default::default()).await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let general = ada.general(ws).await;
    use serde_json::json;

    let hook = ada.post(&format!("/api/v1/channels/{general}/hooks"), json!({"name": "Alerts"})).await.expect(201);
    let hook_url = hook.body["url"].as_str().expect("url").to_owned();
    let send = |text: &'static str| {
        let url = hook_url.clone();
        async move { reqwest::Client::new().post(url).json(&json!({"text": text})).send().await.expect("send").status() }
    };
    assert_eq!(send("first").await, 200);
    let out = ada
        .post(
            &format!("/api/v1/workspaces/{ws}/outgoing-hooks"),
            json!({"name": "Audit sink", "url": "http://127.0.0.1:9/sink", "events": ["message.created"]}),
        )
        .await
        .expect(201);
    let out_id = out.id();
    let command = ada
        .post(
            &format!("/api/v1/workspaces/{ws}/slash-commands"),
            json!({"command": "deploy", "url": "https://example.com/c"}),
        )
        .await
        .expect(201);
    let bots = format!("/api/v1/workspaces/{ws}/bots");
    let bot_id = ada.post(&bots, json!({"username": "shipit", "display_name": "Ship It"})).await.expect(201).id();
    let tokens = format!("/api/v1/bots/{bot_id}/tokens");
    let token = ada.post(&tokens, json!({"name": "ci", "scopes": ["chat:write"]})).await.expect(201);
    let mut bot = app.anon();
    bot.token = Some(token.body["token"].as_str().expect("token").to_owned());
    ada.post(&format!("/api/v1/channels/{general}/members"), json!({"user_id": bot_id})).await;
    bot.say(general, "from the bot").await;

    let listed = ada.get("/api/v1/admin/integrations").await.expect(200).body;
    let kinds: Vec<(&str, &str)> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|r| (r["kind"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or("")))
        .collect();
    for want in
        [("incoming_hook", "Alerts"), ("outgoing_hook", "Audit sink"), ("command", "/deploy"), ("bot", "Ship It")]
    {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }
    let alerts = listed.as_array().expect("list").iter().find(|r| r["name"] == "Alerts").expect("hook").clone();
    assert!(alerts["last_used_at"].is_string() && alerts["owner"] == "ada", "{alerts}");
    let page = ada.get("/admin/integrations").await.expect(200);
    assert!(html(&page).contains("data-integration=\"Audit sink\" data-kind=\"outgoing_hook\" data-enabled=\"true\""));

    let switch = |kind: &'static str, id: Uuid, on: bool| {
        let req = ada.request(Method::POST, &format!("/admin/integrations/{kind}/{id}")).form(&[("enabled", on)]);
        async move { Client::finish(req).await.expect(303) }
    };
    switch("incoming_hook", hook.id(), false).await;
    assert_eq!(send("while off").await, 404);
    switch("command", command.id(), false).await;
    let run = format!("/api/v1/channels/{general}/commands");
    ada.post(&run, json!({"command": "/deploy", "text": "prod"})).await.expect_err(409, "integration_disabled");
    switch("bot", bot_id, false).await;
    bot.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "x"})).await.expect(401);
    switch("outgoing_hook", out_id, false).await;
    let off = ada.get("/api/v1/admin/integrations").await.expect(200).body;
    assert!(off.as_array().expect("list").iter().all(|r| r["enabled"] == false), "{off}");
    let hook_row = off.as_array().expect("list").iter().find(|r| r["kind"] == "outgoing_hook").expect("hook").clone();
    assert_eq!(hook_row["disabled_reason"], "turned off by an administrator");

    switch("incoming_hook", hook.id(), true).await;
    assert_eq!(send("again").await, 200);
    switch("bot", bot_id, true).await;
    bot.get("/api/v1/me").await.expect(401);
    let token = ada.post(&tokens, json!({"name": "again", "scopes": ["chat:write"]})).await.expect(201);
    bot.token = Some(token.body["token"].as_str().expect("token").to_owned());
    bot.say(general, "back, with a new token").await;
    ada.get(&format!("/api/v1/admin/integrations/outgoing_hook/{out_id}/deliveries")).await.expect(200);
    ada.get(&format!("/admin/integrations/outgoing_hook/{out_id}")).await.expect(200);
    ada.send(Method::PUT, &format!("/api/v1/admin/integrations/widget/{out_id}"), Some(json!({"enabled": true})))
        .await
        .expect_err(404, "route_not_found");
    let audit = ada.get("/api/v1/admin/audit?action=integration.").await.expect(200).body;
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(6));
}

#[tokio::test]
async fn the_system_page_checks_each_dependency_and_never_shows_a_secret() {
    let app = TestApp::spawn_with(
        |s| s.server.secret_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
        Default::default(),
    )
    .await;
    let (ada, _) = app.setup_admin().await;
    let sys = ada.get("/api/v1/admin/system").await.expect(200).body;
    let deps = sys["dependencies"].as_array().expect("dependencies");
    let roles: Vec<&str> = deps.iter().filter_map(|d| d["role"].as_str()).collect();
    assert_eq!(roles, ["database", "bus", "file storage", "search", "mail"]);
    assert!(deps.iter().all(|d| d["ok"] == true), "{deps:?}");
    let settings = sys["settings"].as_array().expect("settings");
    let value = |k: &str| settings.iter().find(|s| s["key"] == k).and_then(|s| s["value"].as_str()).map(str::to_owned);
    assert_eq!(value("server.secret_key").as_deref(), Some("(set)"));
    assert_eq!(value("server.site_url").as_deref(), Some(app.base.as_str()));
    let text = sys.to_string();
    assert!(!text.contains("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), "the secret itself never leaves");
    if app.is_postgres() {
        assert_eq!(value("database.url").as_deref(), Some("(set)"));
        assert!(!text.contains("postgres://"), "nor the database URL");
    }
    let page = ada.get("/admin/system").await.expect(200);
    let page = html(&page);
    assert_eq!(page.matches("data-ok=\"true\"").count(), 5);
    assert!(page.contains("data-key=\"server.secret_key\">(set)<"));
}
