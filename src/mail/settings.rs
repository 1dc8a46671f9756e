//! `[email]`: where mail goes (a folder of .eml files by default, or SMTP) and when the
//! "you missed something" digests are sent.
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailBackend {
    /// `.eml` files in `<data_dir>/outbox/`, nothing sent (the embedded default).
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a relay on the same host or a test sink only.
    None,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Empty: no authentication.
    pub username: String,
    #[serde(serialize_with = "crate::settings::redact_opt")]
    pub password: Option<SecretString>,
    pub timeout_s: u64,
    /// Connections kept open to the server.
    pub pool_size: u32,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct EmailSettings {
    pub backend: MailBackend,
    /// The sender: `from_name <from_address>`.
    pub from_address: String,
    pub from_name: String,
    /// Minutes a notification waits for the person to read it before it is mailed
    /// (fractions allowed, so tests can wait seconds). People may choose otherwise.
    pub delay_minutes: f64,
    /// At most one digest per person per this many minutes.
    pub window_minutes: f64,
    /// While someone is on do-not-disturb, their digest looks again after this long.
    pub dnd_recheck_minutes: f64,
    /// Attempts at handing a mail to the server before it is parked for an admin.
    pub max_attempts: i32,
    /// Days the unsubscribe link in a mail keeps working.
    pub unsubscribe_link_days: i64,
    /// Days sent mails stay listed for admins (pending and parked ones stay until dealt with).
    pub keep_sent_days: i64,
    pub smtp: SmtpSettings,
}

impl EmailSettings {
    pub fn delay_ms(&self) -> i64 {
        minutes_ms(self.delay_minutes)
    }
    pub fn window_ms(&self) -> i64 {
        minutes_ms(self.window_minutes)
    }
    pub fn dnd_recheck_ms(&self) -> i64 {
        minutes_ms(self.dnd_recheck_minutes).max(1000)
    }
}

pub fn minutes_ms(minutes: f64) -> i64 {
    if minutes.is_finite() && minutes > 0.0 {
        (minutes * 60_000.0).min(i64::MAX as f64 / 2.0) as i64
    } else {
        0
    }
}
