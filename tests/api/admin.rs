//! The admin overview and people pages, and their API twins: the figures match what was
//! seeded, the SVG draws the API's numbers, actions go through the same services (and the
//! audit log), and nobody but an instance administrator learns that any of it exists.
use reqwest::Method;
use uuid::Uuid;

use crate::files_support as fs;
use crate::helpers::{Client, Resp, TestApp};

/// `(data-label, data-value)` of every bar in the chart whose test id is `id`.
fn bars(html: &str, id: &str) -> Vec<(String, i64)> {
    let start = html.find(&format!("data-testid=\"{id}-chart\"")).expect("chart");
    let end = start + html[start..].find("</svg>").expect("end of chart");
    html[start..end]
        .split("<rect ")
        .skip(1)
        .map(|rect| {
            let attr = |name: &str| {
                let from = rect.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
                rect[from..from + rect[from..].find('"').expect("quote")].to_owned()
            };
            (attr("data-label"), attr("data-value").parse().expect("number"))
        })
        .collect()
}

fn figure(html: &str, name: &str) -> String {
    let from = html.find(&format!("data-figure=\"{name}\">")).expect(name) + name.len() + 15;
    html[from..from + html[from..].find('<').expect("end")].to_owned()
}

fn html(r: &Resp) -> &str {
    r.body.as_str().expect("html")
}

#[tokio::test]
async fn the_overview_counts_what_was_seeded_and_its_charts_draw_the_same_numbers() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let busy = ada.channel(ws, "busy", false).await;
    let quiet = ada.channel(ws, "quiet", true).await;
    bob.post_empty(&format!("/api/v1/channels/{busy}/join")).await.expect(204);
    for i in 0..4 {
        bob.say(busy, &format!("busy {i}")).await;
    }
    ada.say(quiet, "hello").await;
    let file = fs::upload(&ada, busy, "notes.txt", vec![b'x'; 1234]).await.expect(201);
    assert_eq!(file.body["size"], 1234);
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", carol.user_id)).await.expect(204);

    let o = ada.get("/api/v1/admin/overview").await.expect(200).body;
    assert_eq!(o["people"]["total"], 3, "{o}");
    assert_eq!(o["people"]["deactivated"], 1);
    assert_eq!((o["people"]["active_day"].as_i64(), o["people"]["active_month"].as_i64()), (Some(2), Some(2)));
    assert_eq!(o["database"]["kind"], if app.is_postgres() { "postgresql" } else { "sqlite" });
    assert!(o["database"]["size_bytes"].as_i64().unwrap_or(0) > 0);
    let days = o["messages_per_day"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    let today = days.last().expect("today")["messages"].as_i64().expect("count");
    let top = o["top_channels"].as_array().expect("top");
    let busiest = &top[0];
    assert_eq!((busiest["name"].as_str(), busiest["messages"].as_i64()), (Some("busy"), Some(4)), "{top:?}");
    let listed: i64 = top.iter().map(|c| c["messages"].as_i64().unwrap_or(0)).sum();
    assert!(top.len() < 5 && today == listed && today >= 5, "every message of today is in a listed channel");
    let acme = o["storage"].as_array().expect("storage").iter().find(|w| w["name"] == "Acme").expect("Acme").clone();
    assert_eq!((acme["files"].as_i64(), acme["bytes"].as_i64()), (Some(1), Some(1234)));

    let page = ada.get("/admin").await.expect(200);
    let page = html(&page);
    let drawn = bars(page, "messages");
    let from_api: Vec<(String, i64)> =
        days.iter().map(|d| (d["day"].as_str().expect("day").to_owned(), d["messages"].as_i64().expect("n"))).collect();
    assert_eq!(drawn, from_api, "the chart draws the API's numbers, day by day");
    let stored = bars(page, "storage");
    assert!(stored.contains(&("Acme".to_owned(), 1234)), "{stored:?}");
    assert_eq!(figure(page, "active_day"), "2");
    assert_eq!(figure(page, "deactivated"), "1");
    assert!(page.contains("data-testid=\"messages-table\""), "a table behind the chart");
    assert!(!page.contains("<script>") && page.contains("/static/app.css"));
    let home = ada.get("/").await.expect(200);
    assert!(html(&home).contains("href=\"/admin\""), "the settings lead an administrator to /admin");
    let home = bob.get("/").await.expect(200);
    assert!(!html(&home).contains("/admin"), "and nobody else learns of it");
}

#[tokio::test]
async fn the_people_page_filters_and_deactivates_through_the_same_service() {
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    app.join(&ada, ws, "bobby", "admin").await;
    ada.origin = Some(app.base.clone());

    let found = ada.get("/admin/people?q=BOB").await.expect(200);
    let found = html(&found);
    assert!(found.contains("data-person=\"bob\"") && found.contains("data-person=\"bobby\""));
    assert!(!found.contains("data-person=\"ada\""), "filtered by name, in any case");
    let admins = ada.get("/admin/people?role=admin").await.expect(200);
    assert!(html(&admins).contains("data-person=\"ada\"") && !html(&admins).contains("data-person=\"bob\""));
    let api = ada.get("/api/v1/admin/users?q=bob&status=active").await.expect(200);
    let names: Vec<&str> = api.body.as_array().expect("list").iter().filter_map(|p| p["username"].as_str()).collect();
    assert_eq!(names, ["bob", "bobby"]);
    assert!(api.body[0]["last_active_at"].is_string(), "signing up counts as activity");
    ada.get("/api/v1/admin/users?role=owner").await.expect_err(422, "invalid_input");

    // From another site the form is refused, and nothing changes.
    let path = format!("/admin/people/{}/active", bob.user_id);
    let mut elsewhere = ada.clone();
    elsewhere.origin = Some("https://evil.example".into());
    let foreign = elsewhere.request(Method::POST, &path);
    Client::finish(foreign.form(&[("active", "false")])).await.expect(403);
    bob.get("/api/v1/me").await.expect(200);

    let done = Client::finish(ada.request(Method::POST, &path).form(&[("active", "false"), ("back", "q=bob")])).await;
    assert_eq!((done.status, done.headers["location"].to_str().ok()), (303, Some("/admin/people?q=bob")));
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    let listed = ada.get("/admin/people?q=bob&status=deactivated").await.expect(200);
    assert!(html(&listed).contains("data-person=\"bob\"") && !html(&listed).contains("data-person=\"bobby\""));
    let own = format!("/admin/people/{}/active", ada.user_id);
    let refused = Client::finish(ada.request(Method::POST, &own).form(&[("active", "false")])).await.expect(409);
    assert!(html(&refused).contains("sk another administrator"), "a page, not JSON");

    let again = Client::finish(ada.request(Method::POST, &path).form(&[("active", "true")])).await.expect(303);
    assert_eq!(again.headers["location"], "/admin/people");
    let audit: Vec<String> =
        audit_actions(&app, bob.user_id).await.into_iter().filter(|a| a.starts_with("user.")).collect();
    assert_eq!(audit, ["user.deactivated", "user.reactivated"], "both recorded with the admin as actor");
}

/// The audit log's actions about `target`, oldest first, each by an actor.
async fn audit_actions(app: &TestApp, target: Uuid) -> Vec<String> {
    use parley::audit::model::entry;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let rows = entry::Entity::find()
        .filter(entry::Column::TargetId.eq(target))
        .order_by_asc(entry::Column::At)
        .all(&app.state.db.conn)
        .await
        .expect("audit");
    assert!(rows.iter().all(|r| r.actor_id.is_some()));
    rows.into_iter().map(|r| r.action).collect()
}

#[tokio::test]
async fn nobody_but_an_instance_admin_learns_that_the_admin_routes_exist() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let mut owner = app.join(&ada, ws, "wsadmin", "admin").await;
    owner.origin = Some(app.base.clone());
    let member = app.join(&ada, ws, "member", "member").await;
    let gone = app.join(&ada, ws, "gone", "member").await;
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", gone.user_id)).await.expect(204);
    let (outsider, _) = app.outsider(&ada, "outsider").await;
    let token = member.with_token().await;

    let missing = app.anon().get("/api/v1/no/such/route").await.expect(404);
    let missing_page = app.anon().get("/no-such-page").await.expect(404);
    assert_eq!(missing.body, missing_page.body);
    let target = ada.user_id;
    let probes: Vec<(Method, String)> = vec![
        (Method::GET, "/admin".into()),
        (Method::GET, "/admin/people?limit=nonsense".into()),
        (Method::POST, format!("/admin/people/{target}/active")),
        (Method::GET, "/api/v1/admin/overview".into()),
        (Method::GET, "/api/v1/admin/users?role=nonsense".into()),
        (Method::POST, format!("/api/v1/admin/users/{target}/deactivate")),
        (Method::GET, "/admin/audit?since=nonsense".into()),
        (Method::GET, "/admin/workspaces".into()),
        (Method::POST, format!("/admin/channels/{}", Uuid::now_v7())),
        (Method::GET, "/api/v1/admin/audit".into()),
        (Method::GET, "/api/v1/admin/audit/export?format=csv".into()),
    ];
    // Every admin operation the API documents, so a route added later is covered too.
    let doc = ada.get("/api/v1/openapi.json").await.expect(200).body;
    let mut probes = probes;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.starts_with("/api/v1/admin/") {
            for method in item.as_object().expect("operations").keys() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                probes.push((method, crate::ops::concrete(path)));
            }
        }
    }
    assert!(probes.len() > 20, "{probes:?}");
    for caller in [app.anon(), owner, member, gone, outsider, token] {
        for (method, path) in &probes {
            let req = caller.request(method.clone(), path).header("content-type", "application/x-www-form-urlencoded");
            let r = Client::finish(req.body("active=false&x=%zz")).await;
            assert_eq!((r.status, &r.body), (404, &missing.body), "{} {method} {path}", caller.username);
        }
    }
    ada.get("/api/v1/me").await.expect(200);
    let everyone = ada.get("/api/v1/admin/users").await.expect(200);
    let names: Vec<&str> =
        everyone.body.as_array().expect("list").iter().filter_map(|p| p["username"].as_str()).collect();
    assert!(["ada", "wsadmin", "member", "gone", "outsider"].iter().all(|n| names.contains(n)), "{names:?}");
}

#[tokio::test]
async fn the_audit_log_says_who_did_what_from_where_and_exports_it_whole() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    for who in [&bob, &carol] {
        let path = format!("/api/v1/admin/users/{}/deactivate", who.user_id);
        Client::finish(ada.request(Method::POST, &path).header("user-agent", "AuditProbe/1.0")).await.expect(204);
    }

    let found = ada.get("/api/v1/admin/audit?action=user.deactivated").await.expect(200).body;
    let entries = found["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{found}");
    assert_eq!(entries[0]["target_id"], carol.user_id.to_string(), "newest first");
    assert_eq!((entries[0]["actor"].as_str(), entries[0]["client"].as_str()), (Some("ada"), Some("AuditProbe/1.0")));
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    let by_prefix = ada.get("/api/v1/admin/audit?action=user.&actor=ada").await.expect(200).body;
    assert_eq!(by_prefix["entries"].as_array().map(Vec::len), Some(2));
    let by_bob = ada.get("/api/v1/admin/audit?actor=bob&action=user.").await.expect(200).body;
    assert_eq!(by_bob["entries"].as_array().map(Vec::len), Some(0));
    let paged = ada.get("/api/v1/admin/audit?limit=1").await.expect(200).body;
    let next = paged["next_before"].as_str().expect("a next page");
    let older = ada.get(&format!("/api/v1/admin/audit?limit=1&before={next}")).await.expect(200).body;
    assert_ne!(older["entries"][0]["id"], paged["entries"][0]["id"]);
    ada.get("/api/v1/admin/audit?since=yesterday").await.expect_err(422, "invalid_input");

    let all = ada.get("/api/v1/admin/audit?limit=1000").await.expect(200).body;
    let total = all["entries"].as_array().expect("entries").len();
    let jsonl = ada.get("/api/v1/admin/audit/export?format=jsonl").await.expect(200);
    let text = jsonl.body.as_str().map(str::to_owned).unwrap_or_else(|| jsonl.body.to_string());
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), total + 1, "every entry, and the export's own");
    assert_eq!(lines[0]["action"], "audit.exported");
    assert_eq!(jsonl.headers["content-disposition"], "attachment; filename=\"parley-audit.jsonl\"");
    let csv = ada.get("/api/v1/admin/audit/export?format=csv&action=user.deactivated").await.expect(200);
    let csv = csv.body.as_str().expect("csv");
    assert!(csv.starts_with("id,at,actor_id,actor,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "a header and two rows: {csv}");
    let exported = ada.get("/api/v1/admin/audit?action=audit.exported").await.expect(200).body;
    assert_eq!(exported["entries"].as_array().map(Vec::len), Some(2), "each export is recorded");

    let page = ada.get("/admin/audit?action=user.deactivated").await.expect(200);
    let page = html(&page);
    assert_eq!(page.matches("data-action=\"user.deactivated\"").count(), 2);
    assert!(page.contains("AuditProbe/1.0") && page.contains("/api/v1/admin/audit/export?format=csv&amp;"));
}

#[tokio::test]
async fn an_admin_ends_a_persons_sessions_and_tokens_changes_their_role_and_resets_their_password() {
    let app = TestApp::spawn().await;
    let (mut ada, ws) = app.setup_admin().await;
    ada.origin = Some(app.base.clone());
    let bob = app.join(&ada, ws, "bob", "member").await;
    let bob_token = bob.with_token().await;
    let me = format!("/api/v1/admin/users/{}", bob.user_id);

    let detail = ada.get(&me).await.expect(200).body;
    assert_eq!((detail["username"].as_str(), detail["is_admin"].as_bool()), (Some("bob"), Some(false)));
    let sessions = detail["sessions"].as_array().expect("sessions");
    let tokens = detail["tokens"].as_array().expect("tokens");
    assert_eq!((sessions.len(), tokens.len()), (1, 1), "{detail}");
    assert_eq!(detail["workspaces"][0]["name"], "Acme");
    let page = ada.get(&format!("/admin/people/{}", bob.user_id)).await.expect(200);
    assert!(html(&page).contains(&format!("data-session=\"{}\"", sessions[0]["id"].as_str().expect("id"))));

    ada.delete(&format!("{me}/tokens/{}", tokens[0]["id"].as_str().expect("id"))).await.expect(204);
    bob_token.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    bob.get("/api/v1/me").await.expect(200);
    let revoke = format!("/admin/people/{}/sessions/{}/revoke", bob.user_id, sessions[0]["id"].as_str().expect("id"));
    Client::finish(ada.request(Method::POST, &revoke).form(&[("x", "")])).await.expect(303);
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    ada.delete(&format!("{me}/sessions/{}", Uuid::now_v7())).await.expect_err(404, "session_not_found");

    let bob = app.login_as("bob@acme.test", crate::helpers::PASSWORD).await;
    bob.get("/api/v1/admin/overview").await.expect_err(404, "route_not_found");
    ada.send(Method::PUT, &format!("{me}/role"), Some(serde_json::json!({"is_admin": true}))).await.expect(204);
    bob.get("/api/v1/admin/overview").await.expect(200);
    let role = format!("/admin/people/{}/role", bob.user_id);
    Client::finish(ada.request(Method::POST, &role).form(&[("is_admin", "false")])).await.expect(303);
    bob.get("/api/v1/admin/overview").await.expect_err(404, "route_not_found");
    let own = format!("/api/v1/admin/users/{}/role", ada.user_id);
    ada.send(Method::PUT, &own, Some(serde_json::json!({"is_admin": false})))
        .await
        .expect_err(409, "cannot_demote_self");

    ada.post(&format!("{me}/password-reset"), serde_json::json!({"send": "fax"}))
        .await
        .expect_err(422, "invalid_input");
    let mailed = ada.post(&format!("{me}/password-reset"), serde_json::json!({"send": "mail"})).await.expect(200);
    assert!(mailed.body["link"].is_null(), "a mailed link is not shown to the admin");
    let mails = ada.get("/api/v1/admin/mail").await.expect(200).body;
    assert!(
        mails["mails"]
            .as_array()
            .expect("mails")
            .iter()
            .any(|m| m["to"] == "bob@acme.test" && m["kind"] == "password_reset"),
        "{mails}"
    );
    let reset = format!("/admin/people/{}/password-reset", bob.user_id);
    let shown = Client::finish(ada.request(Method::POST, &reset).form(&[("send", "link")])).await.expect(200);
    let shown = html(&shown);
    let from = shown.find("/reset-password?token=").expect("the link is shown");
    let token: String =
        shown[from + 22..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c)).collect();
    let body = serde_json::json!({"token": token, "new_password": "a brand new passphrase"});
    app.anon().post("/api/v1/auth/password-reset/complete", body.clone()).await.expect(204);
    app.anon().post("/api/v1/auth/password-reset/complete", body).await.expect_err(400, "reset_link_invalid");
    app.login_as("bob@acme.test", "a brand new passphrase").await;

    let audit = audit_actions(&app, bob.user_id).await;
    for action in ["user.token_revoked", "user.session_revoked", "user.role_changed", "user.password_reset_issued"] {
        assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
    }
}

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

    // The retried mail goes out through the outbox.
    let mut sent = false;
    for _ in 0..100 {
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
    assert_eq!(acme["members"].as_i64(), detail["members"].as_array().map(|m| m.len() as i64), "{detail}");
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

/// Polls a task until it has finished; answers it.
async fn finished(admin: &Client, task: Uuid) -> serde_json::Value {
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
    bob.patch(&format!("/api/v1/messages/{first}"), serde_json::json!({"text": "the first plan, revised"}))
        .await
        .expect(200);
    ada.post(&format!("/api/v1/messages/{first}/reactions"), serde_json::json!({"emoji": "eyes"})).await.expect(200);
    let gone = ada.say(plans, "a secret to forget").await;
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
    let tombstone = lines.iter().find(|l| l["deleted_at"].is_string()).expect("the deleted message");
    assert_eq!(tombstone["text"], "", "a deleted message keeps no text");
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
    let rename =
        ada.request(Method::POST, &format!("/admin/workspaces/{ws}/name")).form(&[("name", "Acme Corporation")]);
    Client::finish(rename).await.expect(303);
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
