//! SSO policy against the real test provider: an SSO-only workspace managed by one
//! provider is not entered through another, sign-ins started per address are limited,
//! and back-channel logout finds sessions by `sid` when the subject is another claim.
use parley::settings::Settings;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::sso_support::{idp_url, link_through, provider, register_client_for, rule, sign_in_through, Browser};
use crate::ws_client::Ws;

fn someone(name: &str) -> String {
    format!("{name}-{}@acme.test", &Uuid::now_v7().simple().to_string()[20..])
}

/// Parley with two entries for the test provider: "idp" (its rules manage workspace
/// acme) and "other" (no rules), as a company with its IdP and a public provider.
async fn app_with_two_providers(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let idp = idp_url().expect("provider");
    let listener = TestApp::bind();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let (id, secret) = register_client_for(&base, &["idp", "other"]).await;
    let mut company = provider("idp", &idp, &id, &secret);
    company.rules = vec![rule(Some("eng"), None, "acme", "member", &[])];
    let mut public = provider("other", &idp, &id, &secret);
    public.name = "Other".into();
    TestApp::spawn_on(listener, move |s: &mut Settings| {
        s.sso.providers = vec![company, public];
        tweak(s);
    })
    .await
}

#[tokio::test]
async fn an_sso_only_workspace_is_entered_only_through_the_provider_that_manages_it() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_two_providers(|_| {}).await;
    let (ada, ws) = app.setup_admin().await;
    let email = someone("kim");
    // Kim joins acme through the company provider and links her account at the other.
    let mut browser = Browser::default();
    let page = sign_in_through(&app, &mut browser, "idp", &format!("{email};groups=eng;sub=kim-company")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let kim = browser.session(&app);
    assert_eq!(kim.get("/api/v1/workspaces").await.body[0]["slug"], "acme");
    assert_eq!(link_through(&app, &kim, "other", &format!("{email};sub=kim-public")).await.status, 303);

    // While acme takes passwords and SSO, either provider signs her in.
    let page = sign_in_through(&app, &mut Browser::default(), "other", &format!("{email};sub=kim-public")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    // SSO only: the provider managing acme, not the other one (which would dodge the
    // company provider's rules and its removal of people who left).
    ada.patch(&format!("/api/v1/workspaces/{ws}/settings"), json!({"sign_in_policy": "sso_only"})).await.expect(200);
    let mut refused = Browser::default();
    let page = sign_in_through(&app, &mut refused, "other", &format!("{email};sub=kim-public")).await;
    assert_eq!((page.status, page.sso_error().as_str()), (403, "sso_other_provider_required"), "{}", page.body);
    assert!(page.body.contains("another identity provider"), "{}", page.body);
    assert!(!refused.has_cookie("parley_session"));
    let page =
        sign_in_through(&app, &mut Browser::default(), "idp", &format!("{email};groups=eng;sub=kim-company")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    // The instance admin is exempt (break-glass), whichever provider she uses.
    let page = link_through(&app, &ada, "other", "ada@acme.test;sub=ada-public").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = sign_in_through(&app, &mut Browser::default(), "other", "ada@acme.test;sub=ada-public").await;
    assert_eq!(page.status, 303, "{}", page.body);
}

#[tokio::test]
async fn sign_ins_started_from_one_address_are_limited() {
    if idp_url().is_none() {
        return;
    }
    let app = app_with_two_providers(|s| s.sso.starts_per_ip_per_minute = 2).await;
    let start = format!("{}/sso/idp/start", app.base);
    for _ in 0..2 {
        assert_eq!(Browser::default().get(&start).await.status, 303);
    }
    let page = Browser::default().get(&start).await;
    assert_eq!((page.status, page.sso_error().as_str()), (429, "too_many_attempts"), "{}", page.body);
    let (ada, _) = app.setup_admin().await;
    let r = ada.post("/api/v1/me/sso-identities", json!({"provider_id": "other"})).await;
    r.expect_err(429, "rate_limited");
}

#[tokio::test]
async fn back_channel_logout_finds_the_session_by_sid_when_the_subject_is_another_claim() {
    let Some(idp) = idp_url() else { return };
    let listener = TestApp::bind();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let (id, secret) = register_client_for(&base, &["idp"]).await;
    let mut p = provider("idp", &idp, &id, &secret);
    p.claims.subject = "email".into();
    let app = TestApp::spawn_on(listener, move |s: &mut Settings| s.sso.providers = vec![p]).await;
    app.setup_admin().await;
    let email = someone("lou");
    let mut laptop = Browser::default();
    assert_eq!(sign_in_through(&app, &mut laptop, "idp", &format!("{email};sub=lou-idp")).await.status, 303);
    let lou = laptop.session(&app);
    let ids = lou.get("/api/v1/me/sso-identities").await.expect(200).body;
    assert_eq!(ids.as_array().map(Vec::len), Some(1));
    let mut socket = Ws::connect(&lou).await;
    let end = format!("{idp}/session/end?client_id={id}&post_logout_redirect_uri={}/login", app.base);
    assert_eq!(laptop.follow(&end, "").await, format!("{}/login", app.base));
    lou.get("/api/v1/me").await.expect_err(401, "unauthenticated");
    assert_eq!(socket.close_code().await, Some(4001));
}
