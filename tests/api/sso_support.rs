//! Signing in through a real OpenID provider without a browser: a cookie jar shared by
//! Parley and the provider (as a browser's is, both on 127.0.0.1), the provider's login
//! and consent forms filled in, redirects followed until the provider sends the browser
//! back to Parley's callback.
use std::collections::BTreeMap;

use parley::settings::Settings;
use parley::sso::settings::{ProviderSettings, RuleSettings};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};

/// The provider started by .ci/run (tests/sso/provider.mjs), if any.
pub fn idp_url() -> Option<String> {
    std::env::var("PARLEY_TEST_OIDC_URL").ok().filter(|u| !u.is_empty()).map(|u| u.trim_end_matches('/').to_owned())
}

/// A browser: one cookie jar, no automatic redirects.
pub struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
    /// The stable code a refused SSO sign-in's page shows.
    pub fn sso_error(&self) -> String {
        let re = regex::Regex::new(r#"data-testid="sso-error-code">([a-z_]+)<"#).expect("regex");
        re.captures(&self.body).map(|c| c[1].to_owned()).unwrap_or_default()
    }
}

impl Default for Browser {
    fn default() -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { http, jar: BTreeMap::new() }
    }
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn take(&mut self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for v in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((k, val)) = pair.split_once('=') {
                let gone = val.is_empty() || v.to_ascii_lowercase().contains("max-age=0");
                if gone {
                    self.jar.remove(k.trim());
                } else {
                    self.jar.insert(k.trim().to_owned(), val.to_owned());
                }
            }
        }
        Page { status, headers, body: res.text().await.unwrap_or_default() }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let res = self.http.get(url).header("cookie", self.cookie_header()).send().await.expect("GET");
        self.take(res).await
    }

    pub async fn post_form(&mut self, url: &str, fields: &[(String, String)]) -> Page {
        let res = self.http.post(url).header("cookie", self.cookie_header()).form(fields).send().await.expect("POST");
        self.take(res).await
    }

    /// POSTs JSON from one of `app`'s own pages (its Origin), as the web client does.
    pub async fn post_json(&mut self, app: &TestApp, path: &str, body: &Value) -> Page {
        let res = self
            .http
            .post(format!("{}{path}", app.base))
            .header("cookie", self.cookie_header())
            .header("origin", app.base.clone())
            .json(body)
            .send()
            .await
            .expect("POST");
        self.take(res).await
    }

    /// Links the provider account `login` to the person signed in as `who`, as Settings
    /// does (a POST, then the provider's sign-in); the callback's answer.
    pub async fn link(app: &TestApp, who: &Client, login: &str) -> Page {
        link_through(app, who, "idp", login).await
    }

    /// Adds a `name=value` cookie (a session this browser is signed in with).
    pub fn set_cookie(&mut self, pair: &str) {
        if let Some((k, v)) = pair.split_once('=') {
            self.jar.insert(k.to_owned(), v.to_owned());
        }
    }

    pub fn has_cookie(&self, name_part: &str) -> bool {
        self.jar.keys().any(|k| k.contains(name_part))
    }

    /// The Parley session this browser holds, as an API client of `app`.
    pub fn session(&self, app: &TestApp) -> Client {
        let (k, v) = self.jar.iter().find(|(k, _)| k.contains("parley_session")).expect("a Parley session");
        let mut c = app.anon();
        c.cookie = Some(format!("{k}={v}"));
        c
    }

    /// From Parley's start URL through the provider's login (as `login`) and consent
    /// to the callback URL the provider sends the browser to (not opened yet).
    /// Each call signs in at the provider afresh (its earlier session is forgotten).
    /// `login` is an address with options: `ann@x.test;groups=a,b;unverified;sub=42;name=Ann`.
    pub async fn through_idp(&mut self, start_url: &str, login: &str) -> String {
        self.jar.retain(|k, _| k.contains("parley"));
        let login = &set_account(login).await;
        self.follow(start_url, login).await
    }

    /// Opens `start_url` and goes along with the provider — its forms filled in, as
    /// `login` where it asks — until it sends the browser elsewhere; answers where.
    pub async fn follow(&mut self, start_url: &str, login: &str) -> String {
        let mut page = self.get(start_url).await;
        assert!(matches!(page.status, 200 | 303), "start: {} {}", page.status, page.body);
        let idp = idp_url().expect("provider");
        for _ in 0..12 {
            let url = page.location();
            if !url.is_empty() && !url.starts_with(&idp) {
                if url.starts_with('/') {
                    page = self.get(&format!("{idp}{url}")).await;
                    continue;
                }
                return url;
            }
            page = if url.is_empty() { self.submit(&page, login).await } else { self.get(&url).await };
        }
        panic!("the provider never sent the browser back: {} {}", page.status, page.body);
    }

    /// Fills in the provider's form on `page` (login or consent) and sends it.
    async fn submit(&mut self, page: &Page, login: &str) -> Page {
        let action = regex::Regex::new(r#"<form[^>]*action="([^"]+)""#).expect("regex");
        let hidden = regex::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)""#).expect("regex");
        let url = action.captures(&page.body).map(|c| c[1].to_owned()).unwrap_or_else(|| {
            panic!(
                "no form on the provider's page ({}): {}",
                page.status,
                page.body.chars().rev().take(700).collect::<String>().chars().rev().collect::<String>()
            )
        });
        let mut fields: Vec<(String, String)> =
            hidden.captures_iter(&page.body).map(|c| (c[1].to_owned(), c[2].to_owned())).collect();
        if page.body.contains(r#"name="login""#) {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any".into()));
        }
        self.post_form(&url, &fields).await
    }
}

/// Tells the provider what to say of the subject in `login` (see `through_idp`);
/// answers the subject, which is the name to log in with.
async fn set_account(login: &str) -> String {
    let mut parts = login.split(';');
    let email = parts.next().unwrap_or_default().to_owned();
    let mut sub = email.clone();
    let mut claims = json!({"email": email, "email_verified": true, "groups": []});
    for part in parts {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match k {
            "unverified" => claims["email_verified"] = json!(false),
            "groups" => claims["groups"] = json!(v.split(',').filter(|g| !g.is_empty()).collect::<Vec<_>>()),
            "name" => claims["name"] = json!(v),
            "sub" => sub = v.to_owned(),
            other => panic!("unknown login option {other}"),
        }
    }
    let encoded: String = url::form_urlencoded::byte_serialize(sub.as_bytes()).collect();
    let res = reqwest::Client::new()
        .put(format!("{}/test/accounts/{encoded}", idp_url().expect("provider")))
        .json(&claims)
        .send()
        .await
        .expect("set account");
    assert_eq!(res.status().as_u16(), 204);
    sub
}

/// Registers Parley at `base` as a client of the provider, as docs/sso.md tells an
/// administrator to: (client_id, client_secret).
pub async fn register_client(base: &str) -> (String, String) {
    register_client_for(base, &["idp"]).await
}

/// The same client registered for several provider entries of one Parley (each has its
/// own callback URL).
pub async fn register_client_for(base: &str, provider_ids: &[&str]) -> (String, String) {
    let idp = idp_url().expect("provider");
    let callbacks: Vec<String> = provider_ids.iter().map(|id| format!("{base}/sso/{id}/callback")).collect();
    let res = reqwest::Client::new()
        .post(format!("{idp}/reg"))
        .json(&json!({"redirect_uris": callbacks, "grant_types": ["authorization_code"],
                      "response_types": ["code"], "token_endpoint_auth_method": "client_secret_basic",
                      "post_logout_redirect_uris": [format!("{base}/login")],
                      "backchannel_logout_uri": format!("{base}/sso/idp/backchannel-logout"),
                      "backchannel_logout_session_required": true}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status().as_u16(), 201);
    let body: Value = res.json().await.expect("json");
    (body["client_id"].as_str().expect("id").into(), body["client_secret"].as_str().expect("secret").into())
}

pub fn rule(group: Option<&str>, domain: Option<&str>, workspace: &str, role: &str, channels: &[&str]) -> RuleSettings {
    RuleSettings {
        email_domain: domain.map(Into::into),
        group: group.map(Into::into),
        workspace: workspace.into(),
        role: role.into(),
        channels: channels.iter().map(|c| (*c).into()).collect(),
    }
}

/// A provider entry for `settings`, with id `id`.
pub fn provider(id: &str, issuer: &str, client_id: &str, secret: &str) -> ProviderSettings {
    let mut p: ProviderSettings = serde_json::from_value(json!({
        "id": id, "name": "Test IdP", "issuer": issuer, "client_id": client_id, "client_secret": secret,
        "scopes": ["groups"]
    }))
    .expect("provider settings");
    p.allow_signup = true;
    p
}

/// Parley configured with one provider ("idp") registered at the test provider;
/// `tweak` adjusts it (rules, sign-up, linking).
pub async fn app_with_idp(tweak: impl FnOnce(&mut ProviderSettings)) -> TestApp {
    let idp = idp_url().expect("provider");
    let listener = TestApp::bind();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let (id, secret) = register_client(&base).await;
    let mut p = provider("idp", &idp, &id, &secret);
    tweak(&mut p);
    TestApp::spawn_on(listener, move |s: &mut Settings| s.sso.providers = vec![p]).await
}

/// Signs in through the provider as `login`, from a browser signed out of everything;
/// the callback's answer.
pub async fn sign_in(app: &TestApp, browser: &mut Browser, login: &str) -> Page {
    sign_in_through(app, browser, "idp", login).await
}

/// The same through the provider entry `provider_id`.
pub async fn sign_in_through(app: &TestApp, browser: &mut Browser, provider_id: &str, login: &str) -> Page {
    browser.jar.clear();
    let callback = browser.through_idp(&format!("{}/sso/{provider_id}/start", app.base), login).await;
    browser.get(&callback).await
}

/// Links `login` at the provider entry `provider_id` to the person signed in as `who`.
pub async fn link_through(app: &TestApp, who: &Client, provider_id: &str, login: &str) -> Page {
    let mut b = Browser::default();
    b.set_cookie(who.cookie.as_deref().expect("a cookie session"));
    let started = b.post_json(app, "/api/v1/me/sso-identities", &json!({"provider_id": provider_id})).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let to: Value = serde_json::from_str(&started.body).expect("json");
    let login = &set_account(login).await;
    let callback = b.follow(to["redirect_to"].as_str().expect("redirect_to"), login).await;
    b.get(&callback).await
}
