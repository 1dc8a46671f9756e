//! Mails about an account (embedded outbox): password reset, the notice after a password
//! change, deactivation and reactivation, and invitations sent by e-mail.
use parley::auth::model::password_reset;
use reqwest::Method;
use sea_orm::{EntityTrait, Set};
use serde_json::json;

use super::helpers::{TestApp, PASSWORD};
use super::mail_support::{outbox, settle, wait_for_mails, Mail};

const NEW_PASSWORD: &str = "a quite different passphrase 42";

fn mails_to(app: &TestApp, address: &str) -> Vec<Mail> {
    outbox(app.data_dir()).into_iter().filter(|m| m.header("To").is_some_and(|t| t.contains(address))).collect()
}

/// Whether Parley holds proof that the holder of `email` receives mail there.
async fn email_confirmed(app: &TestApp, email: &str) -> bool {
    let u = parley::accounts::service::find_by_email(&app.state.db.conn, email).await.expect("query");
    u.expect("account").email_confirmed_at.is_some()
}

fn reset_token(m: &Mail) -> String {
    let start = m.text.find("token=").expect("a reset link") + "token=".len();
    m.text[start..].split_whitespace().next().expect("token").to_owned()
}

#[tokio::test]
async fn a_reset_link_works_once_ends_every_session_and_reveals_no_accounts() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let anon = app.anon();
    let known = anon.post("/api/v1/auth/password-reset", json!({"email": "BOB@acme.test"})).await.expect(202);
    let unknown = anon.post("/api/v1/auth/password-reset", json!({"email": "nobody@acme.test"})).await.expect(202);
    assert_eq!(known.body, unknown.body, "the same answer either way");
    let mail = &wait_for_mails(&app, 1).await[0];
    settle(&app).await;
    assert_eq!(outbox(app.data_dir()).len(), 1, "nothing is mailed for an unknown address");
    assert_eq!(mail.header("Subject"), Some("Reset your Parley password"));
    assert!(mail.header("List-Unsubscribe").is_none(), "an account mail cannot be unsubscribed from");
    let token = reset_token(mail);
    assert!(mail.text.contains(&format!("{}/reset-password?token={token}", app.base)));
    assert!(token.starts_with("pwr_"));

    let page = reqwest::get(format!("{}/reset-password?token={token}", app.base)).await.expect("page");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("html").contains("Choose a new password"));
    let anon = app.anon();
    let complete = |token: &str, password: &str| {
        let body = json!({"token": token, "new_password": password});
        let anon = &anon;
        async move { anon.post("/api/v1/auth/password-reset/complete", body).await }
    };
    complete(&token, "short").await.expect_err(422, "invalid_input");
    bob.get("/api/v1/me").await.expect(200);
    assert!(!email_confirmed(&app, "bob@acme.test").await, "a plain invitation link vouches for no address");
    complete(&token, NEW_PASSWORD).await.expect(204);
    assert!(email_confirmed(&app, "bob@acme.test").await, "the mailed link proved the address");
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    complete(&token, "yet another passphrase 7").await.expect_err(400, "reset_link_invalid");
    app.login("bob@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    app.login("bob@acme.test", NEW_PASSWORD).await.expect(200);
    let notice = wait_for_mails(&app, 2).await.pop().expect("notice");
    assert_eq!(notice.header("Subject"), Some("Your Parley password was changed"));
    assert!(notice.text.contains("through a reset link"), "{}", notice.text);
    complete("pwr_made_up", NEW_PASSWORD).await.expect_err(400, "reset_link_invalid");
    let page = reqwest::get(format!("{}/reset-password?token={token}", app.base)).await.expect("page");
    assert_eq!(page.status().as_u16(), 400, "a spent link shows a notice, not the form");
}

#[tokio::test]
async fn an_expired_reset_link_does_nothing_and_the_page_form_sets_the_password() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    app.join(&ada, ws, "bob", "member").await;
    app.anon().post("/api/v1/auth/password-reset", json!({"email": "bob@acme.test"})).await.expect(202);
    let expired = reset_token(&wait_for_mails(&app, 1).await[0]);
    // Two hours pass for this link.
    let rows = password_reset::Entity::find().all(&app.state.db.conn).await.expect("rows");
    let mut row: password_reset::ActiveModel = rows[0].clone().into();
    row.created_at = Set(rows[0].created_at - 7_200_000);
    row.expires_at = Set(rows[0].created_at - 7_200_000 + 1_800_000);
    password_reset::Entity::update(row).exec(&app.state.db.conn).await.expect("expire");
    let r = app
        .anon()
        .post("/api/v1/auth/password-reset/complete", json!({"token": expired, "new_password": NEW_PASSWORD}))
        .await;
    r.expect_err(400, "reset_link_invalid");

    let forgot = reqwest::Client::new()
        .post(format!("{}/forgot-password", app.base))
        .header("origin", &app.base)
        .form(&[("email", "bob@acme.test")])
        .send()
        .await
        .expect("forgot");
    assert_eq!(forgot.status().as_u16(), 200);
    assert!(forgot.text().await.expect("html").contains("on its way"));
    let token = reset_token(&wait_for_mails(&app, 2).await[1]);
    // Asking again at once brings no new mail: one link a minute per account.
    app.anon().post("/api/v1/auth/password-reset", json!({"email": "bob@acme.test"})).await.expect(202);
    settle(&app).await;
    assert_eq!(outbox(app.data_dir()).len(), 2, "no second link within the minute");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let cross_site = no_redirects
        .post(format!("{}/reset-password", app.base))
        .header("origin", "https://evil.example")
        .form(&[("token", token.as_str()), ("password", NEW_PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(cross_site.status().as_u16(), 403, "a form from another site is refused");
    let saved = no_redirects
        .post(format!("{}/reset-password", app.base))
        .header("origin", &app.base)
        .form(&[("token", token.as_str()), ("password", NEW_PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(saved.headers()["location"], "/login");
    app.login("bob@acme.test", NEW_PASSWORD).await.expect(200);
}

#[tokio::test]
async fn password_changes_deactivation_and_reactivation_are_told_by_mail() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    bob.post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .await
        .expect(204);
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", bob.user_id)).await.expect(204);
    ada.post_empty(&format!("/api/v1/admin/users/{}/reactivate", bob.user_id)).await.expect(204);
    wait_for_mails(&app, 3).await;
    settle(&app).await;
    let subjects: Vec<String> =
        mails_to(&app, "bob@acme.test").iter().map(|m| m.header("Subject").unwrap_or_default().to_owned()).collect();
    assert_eq!(
        subjects,
        [
            "Your Parley password was changed",
            "Your Parley account was deactivated",
            "Your Parley account was reactivated"
        ]
    );
    let changed = &mails_to(&app, "bob@acme.test")[0];
    assert!(!changed.text.contains("through a reset link"));
    assert!(changed.text.contains(&format!("{}/forgot-password", app.base)), "says what to do if it was not them");
}

#[tokio::test]
async fn an_invitation_to_an_address_is_mailed_with_its_link_unless_asked_not_to() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    ada.patch("/api/v1/me", json!({"display_name": "<b>Ada</b>"})).await.expect(200);
    let inv =
        ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"email": "newbie@acme.test"})).await.expect(201);
    ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"email": "quiet@acme.test", "send_email": false}))
        .await
        .expect(201);
    let mail = &wait_for_mails(&app, 1).await[0];
    settle(&app).await;
    assert!(mails_to(&app, "quiet@acme.test").is_empty());
    assert_eq!(mail.header("To"), Some("newbie@acme.test"));
    assert_eq!(mail.header("Subject"), Some("<b>Ada</b> invites you to Acme on Parley"));
    let url = inv.body["url"].as_str().expect("url");
    assert!(mail.text.contains(url) && mail.html.contains(url));
    assert!(mail.html.contains("&#60;b&#62;Ada&#60;/b&#62;") && !mail.html.contains("<b>Ada"), "{}", mail.html);
    let r =
        app.anon().request(Method::GET, &format!("/invite/{}", url.rsplit('/').next().expect("token"))).send().await;
    assert_eq!(r.expect("page").status().as_u16(), 200, "the mailed link opens the invitation");
}

#[tokio::test]
async fn a_new_address_takes_effect_only_when_the_link_mailed_to_it_is_used() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let change = |address: &str, password: &str| {
        bob.post("/api/v1/me/email", json!({"new_email": address, "current_password": password}))
    };
    change("robert@mail.test", "wrong password").await.expect_err(401, "bad_credentials");
    // Taken: answered like any other address; the owner is told instead.
    let taken = change("ada@acme.test", PASSWORD).await.expect(202);
    assert_eq!(taken.body["pending_email"], "ada@acme.test");
    change("bob@acme.test", PASSWORD).await.expect_err(422, "invalid_input");
    change("not an address", PASSWORD).await.expect_err(422, "invalid_input");
    let asked = change("Robert@Mail.test", PASSWORD).await.expect(202);
    assert_eq!(asked.body["pending_email"], "robert@mail.test");
    wait_for_mails(&app, 3).await;
    settle(&app).await;
    let in_use = &mails_to(&app, "ada@acme.test")[0];
    assert_eq!(in_use.header("Subject"), Some("Your address was given for another Parley account"));
    let notice = &mails_to(&app, "bob@acme.test")[0];
    assert_eq!(notice.header("Subject"), Some("A new address was asked for your Parley account"));
    assert!(notice.text.contains("robert@mail.test"));
    let confirm = &mails_to(&app, "robert@mail.test")[0];
    assert_eq!(confirm.header("Subject"), Some("Confirm your new Parley address"));
    let start = confirm.text.find("/verify-email?t=").expect("link");
    let link = format!("{}{}", app.base, confirm.text[start..].split_whitespace().next().expect("link"));

    assert_eq!(
        bob.get("/api/v1/me").await.expect(200).body["email"],
        "bob@acme.test",
        "nothing changes before the link"
    );
    let opened = reqwest::get(&link).await.expect("open");
    assert_eq!(opened.status().as_u16(), 200);
    assert!(opened.text().await.expect("page").contains("robert@mail.test"));
    assert_eq!(bob.get("/api/v1/me").await.expect(200).body["email"], "bob@acme.test", "opening it changes nothing");
    let confirmed = reqwest::Client::new().post(&link).send().await.expect("confirm");
    assert_eq!(confirmed.status().as_u16(), 200);
    assert_eq!(bob.get("/api/v1/me").await.expect(200).body["email"], "robert@mail.test");
    assert!(email_confirmed(&app, "robert@mail.test").await);
    app.login("robert@mail.test", PASSWORD).await.expect(200);
    app.login("bob@acme.test", PASSWORD).await.expect_err(401, "bad_credentials");
    let again = reqwest::Client::new().post(&link).send().await.expect("again");
    assert_eq!(again.status().as_u16(), 400, "the link works once");
    let forged =
        reqwest::Client::new().post(format!("{}/verify-email?t=emc_forged", app.base)).send().await.expect("forged");
    assert_eq!(forged.status().as_u16(), 400);
}

#[tokio::test]
async fn a_new_password_voids_address_and_reset_links_mailed_before_it() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    // Someone with bob's password asks to move the account to their address …
    bob.post("/api/v1/me/email", json!({"new_email": "thief@evil.test", "current_password": PASSWORD}))
        .await
        .expect(202);
    app.anon().post("/api/v1/auth/password-reset", json!({"email": "bob@acme.test"})).await.expect(202);
    wait_for_mails(&app, 3).await;
    let confirm = &mails_to(&app, "thief@evil.test")[0];
    let start = confirm.text.find("/verify-email?t=").expect("link");
    let link = format!("{}{}", app.base, confirm.text[start..].split_whitespace().next().expect("link"));
    let reset = mails_to(&app, "bob@acme.test").into_iter().find(|m| m.text.contains("token=")).expect("reset mail");
    // … and bob, told of it, changes his password.
    bob.post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .await
        .expect(204);
    let used = reqwest::Client::new().post(&link).send().await.expect("confirm");
    assert_eq!(used.status().as_u16(), 400, "the address link died with the old password");
    assert_eq!(bob.get("/api/v1/me").await.expect(200).body["email"], "bob@acme.test");
    let body = json!({"token": reset_token(&reset), "new_password": "one more passphrase 99"});
    app.anon().post("/api/v1/auth/password-reset/complete", body).await.expect_err(400, "reset_link_invalid");
}
