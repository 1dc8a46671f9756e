//! The admin overview and people pages, and their API twins: the figures match what was
//! seeded, the SVG draws the API's numbers, actions go through the same services (and the
//! audit log), and nobody but an instance administrator learns that any of it exists.
use reqwest::Method;
use uuid::Uuid;

use crate::files_support as fs;
use crate::helpers::{Client, Resp, TestApp};

/// `(data-label, data-value)` of every bar in the chart whose test id is `id`.
pub(crate) fn bars(html: &str, id: &str) -> Vec<(String, i64)> {
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

pub(crate) fn figure(html: &str, name: &str) -> String {
    let from = html.find(&format!("data-figure=\"{name}\">")).expect(name) + name.len() + 15;
    html[from..from + html[from..].find('<').expect("end")].to_owned()
}

pub(crate) fn html(r: &Resp) -> &str {
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
pub(crate) async fn audit_actions(app: &TestApp, target: Uuid) -> Vec<String> {
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
async fn nobody_but_an_administrator_learns_that_the_admin_routes_exist() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    app.join(&ada, ws, "wsadmin", "admin").await;
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
    // A workspace's admin is walked through these in admin_scope.rs.
    for caller in [app.anon(), member, gone, outsider, token] {
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
