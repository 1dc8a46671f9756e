//! Layered settings: embedded config/default.toml < `--config FILE` < PARLEY_* env.
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub realtime: RealtimeSettings,
    pub limits: LimitSettings,
    pub jobs: JobSettings,
    pub files: FileSettings,
    pub search: SearchSettings,
    pub integrations: IntegrationSettings,
    pub email: crate::mail::settings::EmailSettings,
    pub sso: crate::sso::settings::SsoSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct IntegrationSettings {
    pub hook_burst: u32,
    pub hook_per_minute: u32,
    /// Internal destinations outgoing calls may reach: CIDRs, addresses or host names.
    pub allow_hosts: Vec<String>,
    /// Ports public destinations may be called on (allowlisted ones: any).
    pub outbound_ports: Vec<u16>,
    /// Seconds before each retry of a failed webhook delivery (±20 % jitter).
    pub webhook_retry_s: Vec<u64>,
    /// An outgoing hook is turned off after this many failed attempts in a row …
    pub webhook_disable_after_failures: i32,
    /// … spanning at least this many seconds.
    pub webhook_disable_after_s: i64,
    /// Days finished deliveries and their attempts stay in the delivery log.
    pub webhook_log_days: i64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct ServerSettings {
    pub bind: String,
    pub site_url: String,
    pub data_dir: PathBuf,
    pub trusted_proxies: Vec<IpAddr>,
    pub max_json_bytes: usize,
    pub workers: usize,
    pub shutdown_timeout_s: u64,
    pub listen_backlog: i32,
    pub max_connections_per_ip: usize,
    /// Requests a credential (token, session, hook URL) may make per minute; 0: no limit.
    pub requests_per_minute_per_credential: u32,
    /// Requests without a credential one client address may make per minute; 0: no limit.
    pub requests_per_minute_per_address: u32,
    /// 32 bytes, base64: seals secrets Parley reads back. Empty: a key file in data_dir.
    #[serde(serialize_with = "crate::settings::redact")]
    pub secret_key: SecretString,
    pub body_idle_timeout_s: u64,
    pub body_timeout_s: u64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct DatabaseSettings {
    #[serde(serialize_with = "crate::settings::redact")]
    pub url: SecretString,
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSync,
    /// Count every statement and its time; the table is logged when the server stops.
    pub statement_stats: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    Full,
    Normal,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct AuthSettings {
    pub session_idle_hours: i64,
    pub open_signup: bool,
    pub insecure_http: bool,
    pub login_attempts_per_ip_per_minute: u32,
    pub login_attempts_per_account_per_minute: u32,
    pub invite_ttl_hours: i64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct RealtimeSettings {
    #[serde(serialize_with = "crate::settings::without_credentials")]
    pub nats_url: String,
    pub queue_len: usize,
    /// Sockets one person may hold open on one node; 0: no limit.
    pub max_sockets_per_person: usize,
    pub heartbeat_s: u64,
    pub dead_after_s: u64,
    pub retention_days: i64,
    pub away_after_s: u64,
    pub offline_grace_s: u64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct LimitSettings {
    pub message_chars: usize,
    pub name_chars: usize,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct JobSettings {
    pub poll_ms: u64,
    pub max_attempts: i32,
    pub lease_s: i64,
    pub backoff_base_s: i64,
    pub backoff_max_s: i64,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FileBackend {
    Local,
    S3,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct FileSettings {
    pub backend: FileBackend,
    pub local_dir: PathBuf,
    pub max_upload_bytes: u64,
    pub upload_idle_timeout_s: u64,
    pub workspace_quota_bytes: u64,
    /// An upload no message carries is deleted after this many hours; 0 keeps it.
    pub unattached_keep_hours: u64,
    pub thumbnail_px: u32,
    pub image_max_bytes: u64,
    pub image_max_pixels: u64,
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct S3Settings {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub path_style: bool,
    pub access_key_id: Option<String>,
    #[serde(serialize_with = "crate::settings::redact_opt")]
    pub secret_access_key: Option<SecretString>,
    pub presign_ttl_s: u64,
    pub part_size_bytes: u64,
    pub connect_timeout_s: u64,
    pub read_timeout_s: u64,
    pub max_attempts: u32,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SearchBackend {
    Database,
    Meilisearch,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct SearchSettings {
    pub backend: SearchBackend,
    pub meilisearch: MeiliSettings,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct MeiliSettings {
    pub url: String,
    /// Empty: the MEILI_MASTER_KEY variable, else no key.
    #[serde(serialize_with = "crate::settings::redact_opt")]
    pub api_key: Option<SecretString>,
    pub index_prefix: String,
    pub request_timeout_s: u64,
    pub task_timeout_s: u64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct LogSettings {
    pub format: String,
    pub filter: String,
}

impl Settings {
    /// Defaults, then the optional file, then PARLEY_* variables (`__` separates levels).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(path) = file {
            if !path.exists() {
                anyhow::bail!("config file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("PARLEY_").split("__"));
        Ok(figment.extract()?)
    }

    /// Settings from the embedded defaults alone (tests start from these).
    pub fn defaults() -> anyhow::Result<Self> {
        Ok(Figment::from(Toml::string(DEFAULTS)).extract()?)
    }

    /// The database URL to use: the configured one, or SQLite in the data dir.
    pub fn database_url(&self) -> String {
        let url = self.database.url.expose_secret();
        if url.is_empty() {
            let path = self.server.data_dir.join("parley.db");
            format!("sqlite://{}?mode=rwc", path.display())
        } else {
            url.to_owned()
        }
    }

    /// Scheme + host + port of the site, as browsers send it in `Origin`.
    /// The site's host name (Message-IDs end with it).
    pub fn site_host(&self) -> String {
        url::Url::parse(&self.server.site_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into())
    }

    /// The site URL without a trailing slash: links in mails start with it.
    pub fn site_base(&self) -> &str {
        self.server.site_url.trim_end_matches('/')
    }

    pub fn site_origin(&self) -> String {
        let url = self.server.site_url.trim_end_matches('/');
        match url.find("://") {
            Some(i) => match url[i + 3..].find('/') {
                Some(j) => url[..i + 3 + j].to_owned(),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        }
    }

    /// Whether the session cookie may carry `Secure` (and so the `__Host-` prefix).
    /// Browsers accept Secure cookies on http://localhost, so only a plain-http
    /// site elsewhere needs the insecure development setting.
    pub fn secure_cookies(&self) -> bool {
        !self.auth.insecure_http
    }
}

/// A secret as the admin system page shows it: whether it is set, never its value.
pub fn redact<S: serde::Serializer>(secret: &SecretString, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(if secret.expose_secret().is_empty() { "(not set)" } else { "(set)" })
}

pub fn redact_opt<S: serde::Serializer>(secret: &Option<SecretString>, out: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(s) => redact(s, out),
        None => out.serialize_str("(not set)"),
    }
}

/// A URL without the user name and password it may carry.
pub fn without_credentials<S: serde::Serializer>(url: &str, out: S) -> Result<S::Ok, S::Error> {
    match url::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            out.serialize_str(&format!("{u} (credentials set)"))
        }
        _ => out.serialize_str(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_origin_strips_path() {
        let mut s = Settings::defaults().unwrap();
        assert_eq!(s.site_origin(), "http://localhost:8080");
        s.server.site_url = "https://chat.example.com/parley/".into();
        assert_eq!(s.site_origin(), "https://chat.example.com");
        assert!(s.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn database_url_is_never_printed() {
        let mut s = Settings::defaults().unwrap();
        s.database.url = SecretString::from("postgres://u:hunter2@db/x");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
