//! Signing in through a real OpenID provider (tests/sso/provider.mjs, started by
//! .ci/run; PARLEY_TEST_OIDC_URL points at it). Skipped when it is not running.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{TestApp, PASSWORD};
use crate::sso_support::{app_with_idp, idp_url, rule, sign_in, Browser};
use crate::ws_client::Ws;

fn someone(name: &str) -> String {
    format!("{name}-{}@acme.test", &Uuid::now_v7().simple().to_string()[20..])
}

async fn user_count(app: &TestApp) -> usize {
    use sea_orm::{EntityTrait, PaginatorTrait};
    parley::accounts::model::user::Entity::find().count(&app.state.db.conn).await.expect("count") as usize
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().expect("list").iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn first_sign_in_creates_the_person_and_the_groups_claim_governs_access_at_every_sign_in() {
    if idp_url().is_none() {
        return eprintln!("PARLEY_TEST_OIDC_URL unset: skipped");
    }
    let app = app_with_idp(|p| {
        p.rules = vec![
            rule(Some("eng"), None, "acme", "member", &["secret"]),
            rule(Some("leads"), None, "acme", "admin", &[]),
        ];
    })
    .await;
    let (ada, ws) = app.setup_admin().await;
    ada.channel(ws, "secret", true).await;
    let email = someone("ann");

    let mut browser = Browser::default();
    let page = sign_in(&app, &mut browser, &format!("{email};groups=eng;name=Ann Lee")).await;
    assert_eq!((page.status, page.location().as_str()), (303, "/"), "{}", page.body);
    assert!(!browser.has_cookie("parley_sso"), "the sign-in cookie is removed");
    let ann = browser.session(&app);
    let me = ann.get("/api/v1/me").await.expect(200).body;
    assert_eq!((me["email"].as_str(), me["display_name"].as_str()), (Some(email.as_str()), Some("Ann Lee")));
    let mine = ann.get("/api/v1/workspaces").await.expect(200).body;
    assert_eq!(mine[0]["my_role"], "member");
    let channels = ann.get(&format!("/api/v1/workspaces/{ws}/channels")).await.expect(200).body;
    assert!(names(&channels).contains(&"secret".to_owned()), "{channels}");
    let ids = ann.get("/api/v1/me/sso-identities").await.expect(200).body;
    assert_eq!((ids[0]["provider_id"].as_str(), ids[0]["provider_name"].as_str()), (Some("idp"), Some("Test IdP")));

    // A second sign-in (another browser) finds the same person.
    let users = user_count(&app).await;
    let mut other = Browser::default();
    let page = sign_in(&app, &mut other, &format!("{email};groups=eng")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let again = other.session(&app).get("/api/v1/me").await.expect(200).body;
    assert_eq!(again["id"], me["id"]);
    assert_eq!(user_count(&app).await, users);

    // Now a lead, no longer in eng: admin, out of #secret — and the open socket is told.
    let mut socket = Ws::connect(&ann).await;
    sign_in(&app, &mut other, &format!("{email};groups=leads")).await;
    socket.expect("role change", |v| v["type"] == "workspace.member_updated" && v["data"]["role"] == "admin").await;
    socket.expect("left #secret", |v| v["type"] == "member.left").await;
    assert_eq!(ann.get("/api/v1/workspaces").await.body[0]["my_role"], "admin");
    let channels = ann.get(&format!("/api/v1/workspaces/{ws}/channels")).await.expect(200).body;
    assert!(!names(&channels).contains(&"secret".to_owned()), "{channels}");

    // In no group any more: out of the workspace at this sign-in.
    sign_in(&app, &mut other, &email).await;
    socket.expect("removed", |v| v["type"] == "workspace.member_removed").await;
    assert_eq!(ann.get("/api/v1/workspaces").await.expect(200).body, json!([]));
    let audit = ada.get("/api/v1/admin/sso").await.expect(200).body;
    assert_eq!((audit[0]["sign_ins"].as_u64(), audit[0]["linked_identities"].as_u64()), (Some(4), Some(1)));
    assert_eq!(audit[0]["client_secret_set"], true);
    assert!(!audit.to_string().contains(&app.state.sso.all()[0].client_secret().expect("secret")[..12]));
}

#[tokio::test]
async fn an_unverified_address_never_takes_over_an_account_and_a_verified_one_links_only_a_confirmed_one() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|p| p.link_by_verified_email = true).await;
    let (ada, ws) = app.setup_admin().await;
    // Bob's invitation was made out to his address; Cal's was a plain link.
    let invites = format!("/api/v1/workspaces/{ws}/invites");
    let inv = ada.post(&invites, json!({"role": "member", "email": "bob@acme.test"})).await.expect(201);
    let bob = app.signup_with(inv.body["token"].as_str().expect("token"), "bob").await;
    app.join(&ada, ws, "cal", "member").await;
    let users = user_count(&app).await;

    // Unverified: not even looked up (the page is the one for an unknown address too).
    let mut browser = Browser::default();
    for login in ["bob@acme.test;unverified;sub=intruder", &format!("{};unverified", someone("new"))] {
        let page = sign_in(&app, &mut browser, login).await;
        assert_eq!((page.status, page.sso_error().as_str()), (403, "sso_email_unverified"), "{}", page.body);
        assert!(page.body.contains("sign in with your password"), "{}", page.body);
    }
    assert!(!browser.has_cookie("parley_session"));
    assert_eq!(user_count(&app).await, users);
    assert_eq!(bob.get("/api/v1/me/sso-identities").await.body, json!([]));

    // Verified, and Parley knows Bob gets mail there: the same account.
    let page = sign_in(&app, &mut browser, "bob@acme.test;sub=bob-at-idp").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(browser.session(&app).get("/api/v1/me").await.body["id"], bob.user_id.to_string());
    assert_eq!(bob.get("/api/v1/me/sso-identities").await.body.as_array().map(Vec::len), Some(1));
    // Cal typed his address himself, and Ada is an instance admin: both link from Settings.
    for (login, who) in [("cal@acme.test;sub=cal-at-idp", "cal"), ("ada@acme.test;sub=ada-at-idp", "ada")] {
        let page = sign_in(&app, &mut browser, login).await;
        assert_eq!((page.status, page.sso_error().as_str()), (409, "sso_link_required"), "{who}: {}", page.body);
    }
    assert_eq!(user_count(&app).await, users);
}

#[tokio::test]
async fn a_provider_trusted_with_unverified_addresses_may_create_accounts_but_claims_none() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|p| p.signup_with_unverified_email = true).await;
    let (ada, _) = app.setup_admin().await;
    let users = user_count(&app).await;
    let email = someone("uma");
    let page = sign_in(&app, &mut Browser::default(), &format!("{email};unverified")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(user_count(&app).await, users + 1);
    let page = sign_in(&app, &mut Browser::default(), "ada@acme.test;unverified;sub=not-ada").await;
    assert_eq!((page.status, page.sso_error().as_str()), (409, "sso_link_required"), "{}", page.body);
    assert_eq!(ada.get("/api/v1/me/sso-identities").await.body, json!([]));
}

#[tokio::test]
async fn linking_by_address_is_off_unless_configured_and_sign_up_unless_allowed() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|p| p.allow_signup = false).await;
    let (ada, ws) = app.setup_admin().await;
    let users = user_count(&app).await;
    let mut browser = Browser::default();
    let page = sign_in(&app, &mut browser, "ada@acme.test;sub=other-ada").await;
    assert_eq!(page.sso_error(), "sso_link_required", "verified, but this provider may not link by address");
    let page = sign_in(&app, &mut browser, &someone("newcomer")).await;
    assert_eq!((page.status, page.sso_error().as_str()), (403, "sso_signup_closed"));
    assert_eq!(user_count(&app).await, users);

    // A signed-in browser opening the start URL (a link on another site) starts nothing.
    let mut lured = Browser::default();
    lured.set_cookie(&ada.cookie.clone().expect("cookie"));
    let page = lured.get(&format!("{}/sso/idp/start?link=1", app.base)).await;
    assert_eq!((page.status, page.location().as_str()), (303, "/"));
    assert!(!lured.has_cookie("parley_sso"));
    // Linking is a POST from Parley's own page by a browser session: not from another
    // site, not with an API token.
    let mut forged = app.anon();
    forged.cookie = ada.cookie.clone();
    forged.origin = Some("https://evil.test".into());
    forged
        .post("/api/v1/me/sso-identities", json!({"provider_id": "idp"}))
        .await
        .expect_err(403, "csrf_origin_mismatch");
    let scripted = ada.with_token().await;
    scripted.post("/api/v1/me/sso-identities", json!({"provider_id": "idp"})).await.expect_err(403, "session_required");
    ada.post("/api/v1/me/sso-identities", json!({"provider_id": "nope"}))
        .await
        .expect_err(404, "sso_provider_not_found");

    // Linked from Settings, whatever the provider says of the address.
    let page = Browser::link(&app, &ada, "ada@acme.test;unverified;sub=other-ada").await;
    assert_eq!((page.status, page.location().as_str()), (303, "/#settings"), "{}", page.body);
    let ids = ada.get("/api/v1/me/sso-identities").await.expect(200).body;
    assert_eq!(ids.as_array().map(Vec::len), Some(1));
    // Now that identity signs in as Ada.
    let page = sign_in(&app, &mut browser, "ada@acme.test;sub=other-ada").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(browser.session(&app).get("/api/v1/me").await.body["id"], ada.user_id.to_string());
    // Another account cannot link the same identity.
    let bob = app.join(&ada, ws, "bob", "member").await;
    let page = Browser::link(&app, &bob, "ada@acme.test;sub=other-ada").await;
    assert_eq!((page.status, page.sso_error().as_str()), (409, "sso_identity_taken"));
    // Ada has a password too, so she may unlink it.
    let id = ids[0]["id"].as_str().expect("id");
    ada.delete(&format!("/api/v1/me/sso-identities/{id}")).await.expect(204);
    ada.delete(&format!("/api/v1/me/sso-identities/{id}")).await.expect_err(404, "sso_identity_not_found");
}

#[tokio::test]
async fn the_only_way_to_sign_in_cannot_be_unlinked() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|_| {}).await;
    app.setup_admin().await;
    let mut browser = Browser::default();
    sign_in(&app, &mut browser, &someone("eve")).await;
    let eve = browser.session(&app);
    let ids = eve.get("/api/v1/me/sso-identities").await.expect(200).body;
    let id = ids[0]["id"].as_str().expect("id");
    eve.delete(&format!("/api/v1/me/sso-identities/{id}")).await.expect_err(409, "last_sign_in_method");
}

#[tokio::test]
async fn replayed_codes_wrong_state_another_browser_and_a_mixed_up_issuer_are_refused() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|_| {}).await;
    app.setup_admin().await;
    let email = someone("cy");
    let mut browser = Browser::default();
    let callback = browser.through_idp(&format!("{}/sso/idp/start", app.base), &email).await;

    // Another browser (no sign-in cookie) with the real callback: refused, attempt kept.
    let page = Browser::default().get(&callback).await;
    assert_eq!((page.status, page.sso_error().as_str()), (400, "sso_state_invalid"));
    // A different `iss` on the callback (RFC 9207 mix-up): refused.
    let mixed = callback.replace("iss=http", "iss=https");
    let page = browser.get(&mixed).await;
    assert_eq!((page.status, page.sso_error().as_str()), (401, "sso_issuer_mismatch"));
    // That used the attempt up: the genuine callback now finds nothing.
    let users = user_count(&app).await;
    let page = browser.get(&callback).await;
    assert_eq!(page.sso_error(), "sso_state_invalid");
    assert_eq!(user_count(&app).await, users);

    // A fresh attempt in which the provider's (now used) code is sent again.
    let code = callback.split("code=").nth(1).and_then(|s| s.split('&').next()).expect("code").to_owned();
    let fresh = browser.through_idp(&format!("{}/sso/idp/start", app.base), &email).await;
    let fresh_code = fresh.split("code=").nth(1).and_then(|s| s.split('&').next()).expect("code").to_owned();
    let page = browser.get(&fresh.replace(&fresh_code, &code)).await;
    assert_eq!((page.status, page.sso_error().as_str()), (502, "sso_code_refused"), "{}", page.body);
    // A made-up state.
    let page = browser.get(&format!("{}/sso/idp/callback?code=x&state=madeup", app.base)).await;
    assert_eq!(page.sso_error(), "sso_state_invalid");
    assert_eq!(user_count(&app).await, users, "nothing was created");

    // The genuine flow still works, and the replay of its callback does not.
    let ok = browser.through_idp(&format!("{}/sso/idp/start", app.base), &email).await;
    assert_eq!(browser.get(&ok).await.status, 303);
    assert_eq!(browser.get(&ok).await.sso_error(), "sso_state_invalid");
}

#[tokio::test]
async fn deactivated_people_stay_out_and_sso_only_workspaces_refuse_passwords() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|p| p.rules = vec![rule(Some("eng"), None, "acme", "member", &[])]).await;
    let (ada, ws) = app.setup_admin().await;
    let email = someone("dee");
    let mut browser = Browser::default();
    sign_in(&app, &mut browser, &format!("{email};groups=eng")).await;
    let dee = browser.session(&app);
    let dee_id = dee.get("/api/v1/me").await.expect(200).body["id"].as_str().expect("id").to_owned();
    ada.post_empty(&format!("/api/v1/admin/users/{dee_id}/deactivate")).await.expect(204);
    let page = sign_in(&app, &mut Browser::default(), &format!("{email};groups=eng")).await;
    assert_eq!((page.status, page.sso_error().as_str()), (403, "account_deactivated"));

    // SSO only: a member's password session ends and their right password is refused;
    // the instance admin keeps theirs.
    let bob = app.join(&ada, ws, "bob", "member").await;
    assert_eq!(bob.get("/api/v1/me").await.status, 200);
    ada.patch(&format!("/api/v1/workspaces/{ws}/settings"), json!({"sign_in_policy": "sso_only"})).await.expect(200);
    bob.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    app.login("bob@acme.test", PASSWORD).await.expect_err(403, "sso_required");
    app.login("bob@acme.test", "wrong password!").await.expect_err(401, "bad_credentials");
    app.login("ada@acme.test", PASSWORD).await.expect(200);
    // Nor can a new member sign up with a password through an invitation.
    let inv = ada.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member"})).await.expect(201);
    let r = app
        .anon()
        .post(
            "/api/v1/auth/signup",
            json!({"invite_token": inv.body["token"], "email": "cal@acme.test", "display_name": "Cal",
                   "password": PASSWORD}),
        )
        .await;
    r.expect_err(403, "sso_required");
}

#[tokio::test]
async fn a_plain_oauth2_provider_signs_people_in_through_its_user_info() {
    let Some(idp) = idp_url() else { return };
    let app = app_with_idp(|p| {
        p.kind = parley::sso::settings::ProviderKind::Oauth2;
        p.issuer = String::new();
        p.authorization_url = format!("{idp}/auth");
        p.token_url = format!("{idp}/token");
        p.userinfo_url = format!("{idp}/me");
        p.scopes = vec!["openid".into(), "email".into(), "profile".into(), "groups".into()];
        p.rules = vec![rule(Some("eng"), None, "acme", "member", &[])];
    })
    .await;
    app.setup_admin().await;
    let email = someone("gus");
    let mut browser = Browser::default();
    let page = sign_in(&app, &mut browser, &format!("{email};groups=eng;name=Gus")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let gus = browser.session(&app);
    let me = gus.get("/api/v1/me").await.expect(200).body;
    assert_eq!((me["email"].as_str(), me["display_name"].as_str()), (Some(email.as_str()), Some("Gus")));
    assert_eq!(gus.get("/api/v1/workspaces").await.body[0]["my_role"], "member");
    let page = sign_in(&app, &mut Browser::default(), &email).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let status = &app.state.sso.all()[0].status();
    assert_eq!((status.kind.as_str(), status.sign_ins, status.issuer.is_none()), ("oauth2", 2, true));
}

#[tokio::test]
async fn signing_out_at_the_provider_ends_that_session_and_closes_its_socket_and_parley_offers_the_providers_sign_out()
{
    let Some(idp) = idp_url() else { return };
    let app = app_with_idp(|_| {}).await;
    app.setup_admin().await;
    let email = someone("fay");
    let (mut laptop, mut phone) = (Browser::default(), Browser::default());
    assert_eq!(sign_in(&app, &mut laptop, &email).await.status, 303);
    assert_eq!(sign_in(&app, &mut phone, &email).await.status, 303);
    let (on_laptop, on_phone) = (laptop.session(&app), phone.session(&app));
    let mut socket = Ws::connect(&on_laptop).await;

    // At the provider, the laptop's provider session ends: it tells Parley (back channel).
    let client_id = app.state.sso.all()[0].settings.client_id.clone();
    let end = format!("{idp}/session/end?client_id={client_id}&post_logout_redirect_uri={}/login", app.base);
    assert_eq!(laptop.follow(&end, "").await, format!("{}/login", app.base));
    on_laptop.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    assert_eq!(socket.close_code().await, Some(4001), "the laptop's socket is closed");
    on_phone.get("/api/v1/me").await.expect(200);

    // Signing out of Parley on the phone offers the provider's sign-out too.
    let out = on_phone.post_empty("/api/v1/auth/logout").await.expect(200).body;
    assert_eq!((out["provider"]["id"].as_str(), out["provider"]["name"].as_str()), (Some("idp"), Some("Test IdP")));
    let link = out["provider"]["logout_url"].as_str().expect("logout url").to_owned();
    assert_eq!(link, format!("{}/sso/idp/logout", app.base));
    let login_page = phone.get(&format!("{}/login?signed_out_of=idp", app.base)).await;
    assert!(login_page.body.contains("Sign out of Test IdP too"), "{}", login_page.body);
    assert_eq!(phone.follow(&link, "").await, format!("{}/login", app.base));

    // A forged logout token is refused.
    let forged = reqwest::Client::new()
        .post(format!("{}/sso/idp/backchannel-logout", app.base))
        .form(&[("logout_token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status().as_u16(), 400);
}

#[tokio::test]
async fn people_absent_from_the_provider_for_too_long_are_deactivated_but_admins_keep_their_way_in() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_idp(|p| {
        p.deactivate_after_days = Some(30);
        p.link_by_verified_email = true;
    })
    .await;
    let (ada, _) = app.setup_admin().await;
    assert_eq!(Browser::link(&app, &ada, "ada@acme.test;sub=ada-idp").await.status, 303);
    let email = someone("hal");
    let mut browser = Browser::default();
    assert_eq!(sign_in(&app, &mut browser, &email).await.status, 303);
    let hal = browser.session(&app);
    let hal_id = hal.get("/api/v1/me").await.expect(200).body["id"].as_str().expect("id").to_owned();
    assert_eq!(parley::sso::inactive::deactivate_stale(&app.state).await.expect("sweep"), 0);

    // A month passes without a sign-in through the provider.
    use sea_orm::{ConnectionTrait, Statement};
    let month_ago = parley::clock::now_ms() - 31 * 86_400_000;
    let db = &app.state.db.conn;
    let sql = format!("UPDATE sso_identities SET last_login_at = {month_ago}");
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("age");
    let mut socket = Ws::connect(&hal).await;
    assert_eq!(parley::sso::inactive::deactivate_stale(&app.state).await.expect("sweep"), 1);
    hal.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    assert!(socket.close_code().await.is_some(), "the socket is closed");
    ada.get("/api/v1/me").await.expect(200);
    let page = sign_in(&app, &mut Browser::default(), &email).await;
    assert_eq!(page.sso_error(), "account_deactivated");

    // Reactivated by an administrator: a new period starts, the next sweep spares them.
    ada.post_empty(&format!("/api/v1/admin/users/{hal_id}/reactivate")).await.expect(204);
    assert_eq!(parley::sso::inactive::deactivate_stale(&app.state).await.expect("sweep"), 0);
    assert_eq!(sign_in(&app, &mut Browser::default(), &email).await.status, 303);
}
