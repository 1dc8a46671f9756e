//! The configured identity providers as the server holds them: settings, the client
//! secret (from the file or the environment, never shown), the HTTP client that talks
//! to the provider, what discovery found, and counts for the admin view.
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::oidc::OidcCache;
use super::settings::{ProviderKind, ProviderSettings, SsoSettings};
use crate::clock::{now_ms, opt_rfc3339};
use crate::rate_limit::KeyedLimiter;

pub struct Provider {
    pub settings: ProviderSettings,
    secret: Option<SecretString>,
    /// Redirects are not followed: a token or key fetch goes where it was configured to.
    pub http: reqwest::Client,
    pub redirect_uri: String,
    pub oidc: OidcCache,
    stats: Mutex<Stats>,
}

#[derive(Default)]
struct Stats {
    last_discovery_at: Option<i64>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    sign_ins: u64,
    failures: u64,
}

/// What an instance admin sees of a provider: never its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProviderStatus {
    pub id: String,
    pub name: String,
    /// `oidc` or `oauth2`.
    pub kind: String,
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret_set: bool,
    pub redirect_uri: String,
    pub allow_signup: bool,
    pub link_by_verified_email: bool,
    pub signup_with_unverified_email: bool,
    pub rules: usize,
    pub deactivate_after_days: Option<u32>,
    pub last_discovery_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// Since this node started.
    pub sign_ins: u64,
    pub failed_sign_ins: u64,
}

impl Provider {
    fn new(settings: ProviderSettings, site_base: &str) -> anyhow::Result<Self> {
        let env_name = format!("PARLEY_SSO_SECRET_{}", settings.id.to_uppercase().replace('-', "_"));
        let secret = settings
            .client_secret
            .clone()
            .filter(|s| !s.expose_secret().is_empty())
            .or_else(|| std::env::var(env_name).ok().filter(|s| !s.is_empty()).map(SecretString::from));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("Parley/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let redirect_uri = format!("{site_base}/sso/{}/callback", settings.id);
        Ok(Self { settings, secret, http, redirect_uri, oidc: OidcCache::default(), stats: Mutex::default() })
    }

    pub fn client_secret(&self) -> Option<&str> {
        self.secret.as_ref().map(|s| s.expose_secret())
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn discovered(&self) {
        self.stats().last_discovery_at = Some(now_ms());
    }

    pub fn signed_in(&self) {
        self.stats().sign_ins += 1;
    }

    /// A failed sign-in; `error` (never holding a secret) is kept as the last error.
    pub fn failed(&self, error: &str) {
        let mut s = self.stats();
        s.failures += 1;
        s.last_error = Some(error.chars().take(500).collect());
        s.last_error_at = Some(now_ms());
    }

    pub fn status(&self) -> ProviderStatus {
        let s = self.stats();
        let p = &self.settings;
        ProviderStatus {
            id: p.id.clone(),
            name: p.name.clone(),
            kind: match p.kind {
                ProviderKind::Oidc => "oidc",
                ProviderKind::Oauth2 => "oauth2",
            }
            .into(),
            issuer: (p.kind == ProviderKind::Oidc).then(|| p.issuer.clone()),
            client_id: p.client_id.clone(),
            client_secret_set: self.secret.is_some(),
            redirect_uri: self.redirect_uri.clone(),
            allow_signup: p.allow_signup,
            link_by_verified_email: p.link_by_verified_email,
            signup_with_unverified_email: p.signup_with_unverified_email,
            rules: p.rules.len(),
            deactivate_after_days: p.deactivate_after_days,
            last_discovery_at: opt_rfc3339(s.last_discovery_at),
            last_error: s.last_error.clone(),
            last_error_at: opt_rfc3339(s.last_error_at),
            sign_ins: s.sign_ins,
            failed_sign_ins: s.failures,
        }
    }

    /// The issuer identities of this provider are recorded under: the OIDC issuer, or
    /// for plain OAuth2 the authorization server's origin plus the provider id.
    pub fn issuer(&self) -> String {
        match self.settings.kind {
            ProviderKind::Oidc => self.settings.issuer.clone(),
            ProviderKind::Oauth2 => {
                let origin = url::Url::parse(&self.settings.authorization_url)
                    .map(|u| u.origin().ascii_serialization())
                    .unwrap_or_default();
                format!("{origin}#{}", self.settings.id)
            }
        }
    }
}

/// Every configured provider, in configuration order, and the budget of sign-ins each
/// client address may start (each one stores an attempt).
#[derive(Clone)]
pub struct Providers {
    list: Arc<Vec<Arc<Provider>>>,
    starts: Arc<KeyedLimiter<IpAddr>>,
}

impl Providers {
    pub fn from_settings(sso: &SsoSettings, site_base: &str) -> anyhow::Result<Self> {
        sso.check()?;
        for w in sso.warnings() {
            tracing::warn!("{w}");
        }
        let list = sso.providers.iter().map(|p| Provider::new(p.clone(), site_base).map(Arc::new));
        let per_minute = sso.starts_per_ip_per_minute;
        Ok(Self {
            list: Arc::new(list.collect::<anyhow::Result<_>>()?),
            starts: Arc::new(KeyedLimiter::new(per_minute, per_minute)),
        })
    }

    /// Ok, or the seconds until `ip` may start another sign-in.
    pub fn may_start(&self, ip: IpAddr) -> Result<(), u64> {
        self.starts.check(&ip)
    }

    pub fn prune(&self) {
        self.starts.prune();
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Provider>> {
        self.list.iter().find(|p| p.settings.id == id)
    }

    pub fn all(&self) -> &[Arc<Provider>] {
        &self.list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
