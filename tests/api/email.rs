//! E-mail fallback against the embedded transport (.eml files in the outbox folder): who
//! is mailed, when, in how many mails, with which headers, and the one-click unsubscribe.
use std::time::Duration;

use parley::jobs::JobRegistry;
use parley::settings::Settings;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use super::helpers::{Client, TestApp};
use super::mail_support::{outbox, settle, wait_for_mails};
use super::ws_client::Ws;

fn fast(s: &mut Settings) {
    s.email.delay_minutes = 0.05;
    s.email.window_minutes = 0.0;
    s.email.dnd_recheck_minutes = 0.02;
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(fast, JobRegistry::default()).await
}

async fn mention(from: &Client, channel: Uuid, text: &str) -> Uuid {
    from.say(channel, text).await["id"].as_str().expect("id").parse().expect("uuid")
}

#[tokio::test]
async fn an_offline_mention_is_mailed_once_after_the_delay_with_the_headers_mail_clients_need() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let id = mention(&ada, general, "@bob the release notes are ready").await;
    let mails = wait_for_mails(&app, 1).await;
    settle(&app).await;
    assert_eq!(outbox(app.data_dir()).len(), 1, "one mail, once");
    let m = &mails[0];
    assert_eq!(m.header("Subject"), Some("1 new message from Ada Admin in Acme"));
    assert_eq!(m.header("From"), Some("Parley <parley@localhost>"));
    assert_eq!(m.header("To"), Some("bob <bob@acme.test>"));
    assert!(
        m.header("Message-ID").is_some_and(|v| v.starts_with('<') && v.ends_with("@127.0.0.1>")),
        "{:?}",
        m.headers
    );
    assert!(m.header("Date").is_some());
    assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"));
    assert_eq!(m.header("X-Auto-Response-Suppress"), Some("All"));
    assert_eq!(m.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    assert!(m.unsubscribe_url().starts_with(&format!("{}/email/unsubscribe?t=", app.base)));
    let link = format!("{}/#/w/{ws}/c/{general}/m/{id}", app.base);
    assert!(m.text.contains("the release notes are ready") && m.text.contains("#general"), "{}", m.text);
    assert!(m.text.contains(&format!("Open in Parley: {link}")), "{}", m.text);
    assert!(
        m.html.contains("<strong>Ada Admin</strong>") && m.html.contains(&format!("href=\"{link}\"")),
        "{}",
        m.html
    );
    assert!(!m.html.contains("<img"), "no remote images");

    let sent = ada.get("/api/v1/admin/mail?state=sent").await.expect(200);
    assert_eq!(sent.body["transport"], "file");
    let list = sent.body["mails"].as_array().expect("mails");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["to"], "bob@acme.test");
    assert_eq!(list[0]["kind"], "digest");
    assert_eq!(list[0]["attempts"], 1);
    bob.get("/api/v1/admin/mail").await.expect_err(404, "route_not_found");
    ada.get("/api/v1/admin/mail?state=lost").await.expect_err(422, "invalid_input");
}

#[tokio::test]
async fn five_mentions_in_two_channels_make_one_digest_in_two_groups() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let design = ada.channel(ws, "design", false).await;
    ada.post(&format!("/api/v1/channels/{design}/members"), json!({"user_id": bob.user_id})).await.expect(200);
    for i in 0..3 {
        mention(&ada, general, &format!("@bob general item {i}")).await;
    }
    for i in 0..2 {
        mention(&ada, design, &format!("@bob design item {i}")).await;
    }
    let mails = wait_for_mails(&app, 1).await;
    settle(&app).await;
    assert_eq!(outbox(app.data_dir()).len(), 1);
    let m = &mails[0];
    assert_eq!(m.header("Subject"), Some("5 new messages from Ada Admin in Acme"));
    assert_eq!(m.text.matches("Open in Parley:").count(), 5, "{}", m.text);
    assert_eq!(m.text.matches("\n#general\n").count(), 1, "{}", m.text);
    assert_eq!(m.text.matches("\n#design\n").count(), 1, "{}", m.text);
    assert!(m.text.find("general item 0") < m.text.find("general item 2"), "oldest first");
}

#[tokio::test]
async fn no_mail_for_what_was_read_elsewhere_nor_to_the_connected_muted_unsubscribed_or_deactivated() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let reader = app.join(&ada, ws, "reader", "member").await;
    let online = app.join(&ada, ws, "online", "member").await;
    let muted = app.join(&ada, ws, "muted", "member").await;
    let never = app.join(&ada, ws, "never", "member").await;
    let gone = app.join(&ada, ws, "gone", "member").await;
    let quiet = app.join(&ada, ws, "quiet", "member").await;
    let _online_ws = Ws::connect(&online).await;
    // Connected and active, but showing "away" by choice: still here.
    let shy = app.join(&ada, ws, "shy", "member").await;
    let _shy_ws = Ws::connect(&shy).await;
    shy.send(Method::PUT, "/api/v1/me/presence", Some(json!({"away": true}))).await.expect(200);
    muted
        .send(Method::PATCH, &format!("/api/v1/channels/{general}/notifications"), Some(json!({"muted": true})))
        .await
        .expect(204);
    never.send(Method::PUT, "/api/v1/me/email-notifications", Some(json!({"frequency": "never"}))).await.expect(200);
    quiet
        .send(
            Method::PATCH,
            &format!("/api/v1/channels/{general}/notifications"),
            Some(json!({"notify_level": "mentions"})),
        )
        .await
        .expect(204);
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", gone.user_id)).await.expect(204);

    ada.say(general, "@reader @online @shy @muted @never @gone please look").await;
    // @channel reaches everyone, but not someone whose level is "mentions".
    let seq = ada.say(general, "@channel heads up").await["seq"].as_i64().expect("seq");
    reader.post(&format!("/api/v1/channels/{general}/read"), json!({"seq": seq})).await.expect(200);
    settle(&app).await;
    // The only mail is the one telling "gone" of the deactivation.
    let mails = outbox(app.data_dir());
    let to: Vec<_> =
        mails.iter().map(|m| (m.header("To").unwrap_or_default(), m.header("Subject").unwrap_or_default())).collect();
    assert_eq!(to, [("gone <gone@acme.test>", "Your Parley account was deactivated")], "no digest for anyone");

    // The same set-up does mail someone who is simply away.
    let away = app.join(&ada, ws, "away", "member").await;
    mention(&ada, general, "@away and you?").await;
    let mails = wait_for_mails(&app, 2).await;
    assert_eq!(mails[1].header("To"), Some("away <away@acme.test>"));
    drop(away);
}

#[tokio::test]
async fn do_not_disturb_holds_the_mail_until_it_ends() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    bob.send(Method::PUT, "/api/v1/me/presence", Some(json!({"dnd": true}))).await.expect(200);
    mention(&ada, general, "@bob when you have a minute").await;
    // The delay (3 s) and two re-checks pass with nothing sent.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(outbox(app.data_dir()).len(), 0, "held while on do-not-disturb");
    bob.send(Method::PUT, "/api/v1/me/presence", Some(json!({"dnd": false}))).await.expect(200);
    let mails = wait_for_mails(&app, 1).await;
    assert!(mails[0].text.contains("when you have a minute"));
}

#[tokio::test]
async fn a_direct_message_and_a_reply_in_a_followed_thread_arrive_together_grouped() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let general = ada.general(ws).await;
    let root = bob.say(general, "Plan for the offsite?").await["id"].as_str().expect("id").to_owned();
    carol
        .post(
            &format!("/api/v1/channels/{general}/messages"),
            json!({"text": "Lisbon, in May", "thread_root_id": root}),
        )
        .await
        .expect(201);
    let dm = ada.post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [bob.user_id]})).await.id();
    let file =
        super::files_support::upload(&ada, dm, "offsite-plan.txt", b"day 1: arrive".to_vec()).await.expect(201).id();
    ada.post(&format!("/api/v1/channels/{dm}/messages"), json!({"text": "are you there?", "file_ids": [file]}))
        .await
        .expect(201);
    // Edited before the mail: it shows the latest text; deleted: it is left out.
    let typo = ada.say(dm, "see you tmorow").await["id"].as_str().expect("id").to_owned();
    ada.patch(&format!("/api/v1/messages/{typo}"), json!({"text": "see you tomorrow"})).await.expect(200);
    let gone = ada.say(dm, "never mind that").await["id"].as_str().expect("id").to_owned();
    ada.delete(&format!("/api/v1/messages/{gone}")).await.expect(204);
    let mails = wait_for_mails(&app, 1).await;
    settle(&app).await;
    let bob_mails: Vec<_> =
        outbox(app.data_dir()).into_iter().filter(|m| m.header("To") == Some("bob <bob@acme.test>")).collect();
    assert_eq!(bob_mails.len(), 1, "one digest for bob");
    let m = &bob_mails[0];
    assert_eq!(m.header("Subject"), Some("3 new messages from carol and 1 other in Acme"));
    assert!(m.text.contains("Attached: offsite-plan.txt"), "{}", m.text);
    assert!(m.text.contains("see you tomorrow") && !m.text.contains("tmorow"), "{}", m.text);
    assert!(!m.text.contains("never mind that"), "{}", m.text);
    assert!(m.text.contains("In the thread \"Plan for the offsite?\""), "{}", m.text);
    assert!(
        m.text.contains("Lisbon, in May") && m.text.contains("Direct messages") && m.text.contains("are you there?")
    );
    assert!(m.text.contains(&format!("/c/{general}/m/{root}")), "a reply links to its thread");
    drop(mails);
}

async fn one_click(url: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn frequency(c: &Client) -> String {
    c.get("/api/v1/me/email-notifications").await.expect(200).body["frequency"].as_str().expect("f").to_owned()
}

#[tokio::test]
async fn one_click_unsubscribe_needs_no_sign_in_and_can_be_undone_but_not_forged() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    bob.send(
        Method::PUT,
        "/api/v1/me/email-notifications",
        Some(json!({"frequency": "after_delay", "delay_minutes": 0})),
    )
    .await
    .expect_err(422, "invalid_input");
    mention(&ada, general, "@bob first").await;
    let url = wait_for_mails(&app, 1).await[0].unsubscribe_url();

    let mut tampered = url.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, page) = one_click(&tampered).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not valid"));
    assert_eq!(frequency(&bob).await, "after_delay");

    let opened = reqwest::get(&url).await.expect("get");
    assert_eq!(opened.status().as_u16(), 200);
    assert!(opened.text().await.expect("page").contains("Turn off notification mails?"));
    assert_eq!(frequency(&bob).await, "after_delay", "opening the link changes nothing");

    let (status, page) = one_click(&url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Notification mails are off"), "{page}");
    assert_eq!(frequency(&bob).await, "never");
    mention(&ada, general, "@bob second").await;
    settle(&app).await;
    assert_eq!(outbox(app.data_dir()).len(), 1, "no mail after unsubscribing");

    let undo =
        page.split("action=\"").nth(1).and_then(|s| s.split('"').next()).expect("undo form").replace("&amp;", "&");
    assert!(undo.starts_with("/email/resubscribe?t="), "{undo}");
    let (status, page) = one_click(&format!("{}{undo}", app.base)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("back on"), "{page}");
    assert_eq!(frequency(&bob).await, "after_delay");
}

#[tokio::test]
async fn an_expired_unsubscribe_link_does_nothing() {
    let app = TestApp::spawn_with(
        |s| {
            fast(s);
            s.email.unsubscribe_link_days = 0;
        },
        JobRegistry::default(),
    )
    .await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    mention(&ada, ada.general(ws).await, "@bob hi").await;
    let url = wait_for_mails(&app, 1).await[0].unsubscribe_url();
    let (status, page) = one_click(&url).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired"), "{page}");
    assert_eq!(frequency(&bob).await, "after_delay");
}

#[tokio::test]
async fn hostile_names_and_text_are_inert_in_the_mail() {
    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    app.join(&ada, ws, "bob", "member").await;
    ada.patch("/api/v1/me", json!({"display_name": "<script>alert(1)</script> Eve"})).await.expect(200);
    ada.patch("/api/v1/me", json!({"display_name": "Eve\r\nBcc: victim@evil.test"}))
        .await
        .expect_err(422, "invalid_input");
    let general = ada.general(ws).await;
    mention(&ada, general, "@bob <img src=x onerror=alert(1)> [click](javascript:alert(1)) <b onclick=x>b</b>").await;
    let m = &wait_for_mails(&app, 1).await[0];
    // What reads as markup stays text: no tag the mail itself did not make carries it.
    let html = m.html.to_lowercase();
    // Links to the site itself are the mail's own (their signed tokens may spell "img").
    let own = app.base.to_lowercase();
    let tags: Vec<&str> = html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
        .filter(|t| !t.contains(&format!("href=\"{own}/")))
        .collect();
    for bad in ["script", "img", "onerror", "onclick", "javascript:"] {
        assert!(tags.iter().all(|t| !t.contains(bad)), "{bad} in a tag of {}", m.html);
    }
    assert!(m.html.contains("&#60;script&#62;alert(1)&#60;/script&#62; Eve"), "{}", m.html);
    assert!(m.headers.iter().all(|(n, _)| !n.eq_ignore_ascii_case("bcc")));
    assert_eq!(m.header("Subject"), Some("1 new message from <script>alert(1)</script> Eve in Acme"));
}

#[tokio::test]
async fn a_mail_the_transport_keeps_refusing_is_parked_then_sent_once_on_retry() {
    let app = TestApp::spawn_with(
        |s| {
            fast(s);
            s.email.max_attempts = 2;
            s.jobs.backoff_base_s = 0;
        },
        JobRegistry::default(),
    )
    .await;
    let (ada, ws) = app.setup_admin().await;
    app.join(&ada, ws, "bob", "member").await;
    // A file where the outbox folder should be: every write fails.
    std::fs::write(app.data_dir().join("outbox"), b"in the way").expect("block the outbox");
    mention(&ada, ada.general(ws).await, "@bob parked?").await;
    let mut parked = serde_json::Value::Null;
    for _ in 0..600 {
        let r = ada.get("/api/v1/admin/mail?state=parked").await.expect(200);
        if let Some(m) = r.body["mails"].as_array().and_then(|l| l.first()) {
            parked = m.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(parked["attempts"], 2, "{parked}");
    assert!(parked["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let id = parked["id"].as_str().expect("id").to_owned();
    std::fs::remove_file(app.data_dir().join("outbox")).expect("unblock");
    ada.post_empty(&format!("/api/v1/admin/mail/{id}/retry")).await.expect(204);
    wait_for_mails(&app, 1).await;
    settle(&app).await;
    assert_eq!(outbox(app.data_dir()).len(), 1);
    ada.post_empty(&format!("/api/v1/admin/mail/{id}/retry")).await.expect_err(409, "mail_not_parked");
    ada.post_empty(&format!("/api/v1/admin/mail/{}/retry", Uuid::now_v7())).await.expect_err(404, "mail_not_found");

    // Housekeeping forgets sent mails past email.keep_sent_days; a parked one would stay.
    let now = parley::clock::now_ms();
    assert_eq!(parley::mail::outbox::prune(&app.state.db.conn, now - 60_000).await.expect("prune"), 0, "too recent");
    assert_eq!(parley::mail::outbox::prune(&app.state.db.conn, now + 1).await.expect("prune"), 1);
    let left = ada.get("/api/v1/admin/mail").await.expect(200);
    assert_eq!(left.body["mails"], json!([]));
    // … and the outbox folder forgets files as old.
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    assert_eq!(app.state.mailer.prune(hour_ago).await, 0, "the file is newer");
    assert_eq!(app.state.mailer.prune(std::time::SystemTime::now() + Duration::from_secs(1)).await, 1);
    assert!(outbox(app.data_dir()).is_empty());
}

#[tokio::test]
async fn a_digest_is_scheduled_once_and_anew_only_when_its_job_was_lost() {
    use parley::jobs::model::job;
    use parley::notify::model::digest;
    use parley::notify::prefs::{Choice, Frequency};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

    let app = spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let (conn, settings) = (&app.state.db.conn, &app.state.settings.email);
    let hourly = Choice { frequency: Frequency::Hourly, delay_minutes: None };
    let digests = || job::Entity::find().filter(job::Column::Kind.eq("email.digest")).count(conn);
    let now = parley::clock::now_ms();
    parley::notify::decide::schedule(conn, settings, bob.user_id, hourly, now).await.expect("schedule");
    parley::notify::decide::schedule(conn, settings, bob.user_id, hourly, now).await.expect("schedule");
    assert_eq!(digests().await.expect("count"), 1, "one schedule, however often asked");
    // Its job failed for good long ago: the next notification schedules afresh.
    let stale =
        digest::ActiveModel { user_id: Set(bob.user_id), due_at: Set(Some(now - 7_200_000)), last_sent_at: Set(None) };
    digest::Entity::update(stale).exec(conn).await.expect("age it");
    parley::notify::decide::schedule(conn, settings, bob.user_id, hourly, now).await.expect("schedule");
    assert_eq!(digests().await.expect("count"), 2);
}
