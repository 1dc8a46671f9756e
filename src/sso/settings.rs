//! `[sso]` and its `[[sso.providers]]`: which identity providers people may sign in
//! through, and the rules that turn what a provider says into workspaces and roles.
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct SsoSettings {
    pub login_ttl_minutes: i64,
    pub clock_skew_s: u64,
    pub jwks_refresh_min_s: u64,
    /// Sign-ins one client address may start per minute (each stores an attempt).
    pub starts_per_ip_per_minute: u32,
    pub providers: Vec<ProviderSettings>,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenID Connect, configured by its issuer URL (discovery).
    #[default]
    Oidc,
    /// Plain OAuth2: authorization, token and user-info URLs and a claim mapping.
    Oauth2,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// Short and stable: it is part of the callback URL (`/sso/{id}/callback`).
    pub id: String,
    /// What the sign-in button says: "Sign in with {name}".
    pub name: String,
    #[serde(default)]
    pub kind: ProviderKind,
    /// OIDC: the issuer URL, exactly as the provider's discovery document states it.
    #[serde(default)]
    pub issuer: String,
    pub client_id: String,
    /// Or the environment variable PARLEY_SSO_SECRET_{ID} (upper case, `-` as `_`).
    #[serde(default)]
    #[serde(serialize_with = "crate::settings::redact_opt")]
    pub client_secret: Option<SecretString>,
    /// Scopes asked for besides the defaults (OIDC: openid email profile).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Someone the provider knows but Parley does not gets an account at first sign-in.
    #[serde(default)]
    pub allow_signup: bool,
    /// An existing account with the same address is linked at first sign-in, but only
    /// when the provider says the address is verified (`email_verified: true`).
    #[serde(default)]
    pub link_by_verified_email: bool,
    /// With `allow_signup`: also create accounts for addresses the provider does not say
    /// are verified (Entra ID never says). Only for a provider whose addresses are
    /// assigned by the company, never for one where people type their own.
    #[serde(default)]
    pub signup_with_unverified_email: bool,
    /// Plain OAuth2 endpoints.
    #[serde(default)]
    pub authorization_url: String,
    #[serde(default)]
    pub token_url: String,
    #[serde(default)]
    pub userinfo_url: String,
    /// Where each fact is found in the ID token or the user-info answer.
    #[serde(default)]
    pub claims: ClaimNames,
    /// Workspace and channel access, applied again at every sign-in.
    #[serde(default)]
    pub rules: Vec<RuleSettings>,
    /// Deactivate people who have not signed in through this provider for this many
    /// days (instance admins excepted). Unset: never.
    #[serde(default)]
    pub deactivate_after_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimNames {
    pub subject: String,
    pub email: String,
    /// Empty: the provider never says, so no address counts as verified.
    pub email_verified: String,
    pub name: String,
    pub username: String,
    pub avatar_url: String,
    pub groups: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            email: "email".into(),
            email_verified: "email_verified".into(),
            name: "name".into(),
            username: "preferred_username".into(),
            avatar_url: "picture".into(),
            groups: "groups".into(),
        }
    }
}

/// "People whose address ends in @{email_domain}" or "people in group {group}" get
/// `role` in the workspace with slug `workspace` and membership of its private
/// `channels`. Each workspace a provider's rules name is managed by that provider: at
/// each sign-in through it, a person no rule grants it to loses it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    #[serde(default)]
    pub email_domain: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    pub workspace: String,
    /// guest, member or admin.
    pub role: String,
    #[serde(default)]
    pub channels: Vec<String>,
}

const ROLES: [&str; 3] = ["guest", "member", "admin"];

/// Claims a person (or an administrator) can change: as a subject they would let a
/// renamed or re-addressed account become someone else.
const MUTABLE_SUBJECTS: [&str; 6] = ["email", "preferred_username", "upn", "name", "login", "unique_name"];

impl SsoSettings {
    /// Refuses a configuration that could not work or would be unsafe, naming the part.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=60).contains(&self.login_ttl_minutes),
            "sso.login_ttl_minutes must be 1 to 60 (a sign-in waits at most that long)"
        );
        anyhow::ensure!(self.clock_skew_s <= 300, "sso.clock_skew_s must be at most 300 (five minutes)");
        anyhow::ensure!(
            (1..=3600).contains(&self.jwks_refresh_min_s),
            "sso.jwks_refresh_min_s must be 1 to 3600 (a rotated key must be found within the hour)"
        );
        let mut seen = std::collections::HashSet::new();
        for p in &self.providers {
            let id_ok = !p.id.is_empty()
                && p.id.len() <= 32
                && p.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            anyhow::ensure!(id_ok, "sso provider id {:?}: use 1-32 of a-z, 0-9 and -", p.id);
            anyhow::ensure!(seen.insert(p.id.clone()), "sso provider id {:?} is used twice", p.id);
            anyhow::ensure!(!p.name.trim().is_empty(), "sso provider {}: name is empty", p.id);
            anyhow::ensure!(!p.client_id.is_empty(), "sso provider {}: client_id is empty", p.id);
            match p.kind {
                ProviderKind::Oidc => {
                    anyhow::ensure!(is_http_url(&p.issuer), "sso provider {}: issuer must be an http(s) URL", p.id);
                }
                ProviderKind::Oauth2 => {
                    for (name, url) in [
                        ("authorization_url", &p.authorization_url),
                        ("token_url", &p.token_url),
                        ("userinfo_url", &p.userinfo_url),
                    ] {
                        anyhow::ensure!(is_http_url(url), "sso provider {}: {name} must be an http(s) URL", p.id);
                    }
                }
            }
            anyhow::ensure!(!p.claims.subject.is_empty(), "sso provider {}: claims.subject is empty", p.id);
            anyhow::ensure!(
                p.deactivate_after_days != Some(0),
                "sso provider {}: deactivate_after_days must be at least 1",
                p.id
            );
            for r in &p.rules {
                anyhow::ensure!(
                    r.email_domain.is_some() != r.group.is_some(),
                    "sso provider {}: each rule needs exactly one of email_domain and group",
                    p.id
                );
                anyhow::ensure!(
                    ROLES.contains(&r.role.as_str()),
                    "sso provider {}: rule role {:?} is not one of guest, member, admin",
                    p.id,
                    r.role
                );
            }
        }
        Ok(())
    }

    /// Legal but risky choices, for the log at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.providers {
            if MUTABLE_SUBJECTS.contains(&p.claims.subject.as_str()) {
                out.push(format!(
                    "sso provider {}: claims.subject = {:?} can change (a renamed or re-addressed person would \
                     become a new identity, and someone given the old value would sign in as them); prefer an \
                     immutable id such as sub, oid or id",
                    p.id, p.claims.subject
                ));
            }
        }
        out
    }
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use crate::settings::Settings;
    use figment::providers::{Format, Toml};
    use figment::Figment;

    fn with_defaults(toml: &str) -> Settings {
        let defaults = include_str!("../../config/default.toml");
        Figment::from(Toml::string(defaults)).merge(Toml::string(toml)).extract().expect("settings")
    }

    #[test]
    fn every_example_in_the_docs_and_the_production_example_is_a_valid_configuration() {
        let doc = include_str!("../../docs/sso.md");
        let blocks: Vec<&str> = doc.split("```toml").skip(1).filter_map(|b| b.split("```").next()).collect();
        assert!(blocks.len() >= 7, "found {} examples", blocks.len());
        for block in blocks {
            let s = with_defaults(block);
            s.sso.check().unwrap_or_else(|e| panic!("{e}: {block}"));
            assert!(!s.sso.providers.is_empty());
        }
        let prod = with_defaults(include_str!("../../config/production.example.toml"));
        prod.sso.check().expect("production example");
        assert_eq!(prod.sso.providers[0].rules.len(), 2);
    }

    #[test]
    fn unsafe_or_broken_configurations_are_refused_at_start() {
        let base = "[[sso.providers]]\nid = \"a\"\nname = \"A\"\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n";
        assert!(with_defaults(base).sso.check().is_ok());
        for broken in [
            format!("{base}[[sso.providers]]\nid = \"a\"\nname = \"B\"\nissuer = \"https://b.example\"\nclient_id = \"c\"\n"),
            base.replace("id = \"a\"", "id = \"A/../x\""),
            base.replace("https://idp.example", "idp.example"),
            format!("{base}[[sso.providers.rules]]\nworkspace = \"w\"\nrole = \"member\"\n"),
            format!("{base}[[sso.providers.rules]]\ngroup = \"g\"\nworkspace = \"w\"\nrole = \"owner\"\n"),
            base.replace("issuer = \"https://idp.example\"", "kind = \"oauth2\""),
            format!("[sso]\nclock_skew_s = 3600\n{base}"),
            format!("[sso]\nlogin_ttl_minutes = 0\n{base}"),
            format!("[sso]\nlogin_ttl_minutes = 100000000000000\n{base}"),
            format!("[sso]\njwks_refresh_min_s = 0\n{base}"),
        ] {
            assert!(with_defaults(&broken).sso.check().is_err(), "{broken}");
        }
        assert!(with_defaults(base).sso.warnings().is_empty());
        let by_email = format!("{base}claims.subject = \"email\"\n");
        assert!(with_defaults(&by_email).sso.check().is_ok());
        assert!(with_defaults(&by_email).sso.warnings()[0].contains("can change"));
    }
}
