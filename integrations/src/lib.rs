//! What other tools send to a chat webhook, turned into a Parley message: Slack's
//! incoming-webhook payloads (text, mrkdwn, Block Kit blocks, legacy attachments) and
//! the native payloads of GitHub, GitLab, Prometheus Alertmanager, Grafana and Sentry,
//! each with the sender's signature checked where the tool signs.
//!
//! Pure functions over bytes and headers, no I/O: the server decides where the message
//! goes, renders its Markdown through the one sanitiser and stores it like any other.
mod alertmanager;
mod blocks;
mod github;
mod gitlab;
mod grafana;
mod json;
pub mod limits;
pub mod markdown;
pub mod mrkdwn;
mod sentry;
pub mod signature;
pub mod slack;

use serde::{Deserialize, Serialize};

/// A message ready to post: Markdown text plus optional cards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// CommonMark; the server renders and sanitises it.
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// Per-message overrides of the hook's name and picture (Slack's `username`,
    /// `icon_url`, `icon_emoji`).
    pub username: Option<String>,
    pub icon_url: Option<String>,
    pub icon_emoji: Option<String>,
    /// Slack's `channel` override: where the sender asked the message to go.
    pub channel: Option<String>,
    /// Slack's `thread_ts`: the message to reply under.
    pub thread_ts: Option<String>,
}

/// A card under the message: a coloured bar, a title (optionally a link), text, fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `#rrggbb`, or none.
    pub color: Option<String>,
    pub pretext: Option<String>,
    pub author: Option<String>,
    pub author_link: Option<String>,
    pub title: Option<String>,
    /// http or https only.
    pub title_link: Option<String>,
    pub text: Option<String>,
    pub fields: Vec<Field>,
    pub image_url: Option<String>,
    pub footer: Option<String>,
    /// Unix seconds.
    pub ts: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub title: String,
    /// Markdown.
    pub value: String,
    /// Short fields may sit side by side.
    pub short: bool,
}

/// Which converter reads a hook's payload, chosen by the URL suffix
/// (`/hooks/{token}` is Slack's format; `/hooks/{token}/github` and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Slack,
    GitHub,
    GitLab,
    Alertmanager,
    Grafana,
    Sentry,
}

impl Source {
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "" | "slack" => Self::Slack,
            "github" => Self::GitHub,
            "gitlab" => Self::GitLab,
            "alertmanager" | "prometheus" => Self::Alertmanager,
            "grafana" => Self::Grafana,
            "sentry" => Self::Sentry,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::Alertmanager => "alertmanager",
            Self::Grafana => "grafana",
            Self::Sentry => "sentry",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// Not JSON, not the shape expected, nothing to show, or over a limit; the reason
    /// is for people.
    InvalidPayload(String),
    /// The hook has a secret and the request carries no signature or token.
    MissingSignature,
    /// The signature or token does not match the hook's secret.
    BadSignature,
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidPayload(why) => write!(f, "invalid payload: {why}"),
            Self::MissingSignature => f.write_str("the request is not signed"),
            Self::BadSignature => f.write_str("the signature does not match"),
        }
    }
}

impl std::error::Error for ConvertError {}

pub(crate) fn invalid(why: impl Into<String>) -> ConvertError {
    ConvertError::InvalidPayload(why.into())
}

/// Request headers, names lower-case.
pub type Headers<'a> = &'a [(&'a str, &'a str)];

pub(crate) fn header<'a>(headers: Headers<'a>, name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// Checks the sender's signature over the raw request body, when the hook has a secret.
pub fn verify(
    source: Source,
    headers: Headers<'_>,
    raw_body: &[u8],
    secret: Option<&[u8]>,
) -> Result<(), ConvertError> {
    match secret {
        Some(secret) => signature::verify(source, headers, raw_body, secret),
        None => Ok(()),
    }
}

/// Checks the signature (when the hook has a `secret`) and converts a JSON `body`.
pub fn convert(
    source: Source,
    headers: Headers<'_>,
    body: &[u8],
    secret: Option<&[u8]>,
) -> Result<Message, ConvertError> {
    verify(source, headers, body, secret)?;
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    convert_value(source, headers, &json)
}

/// Converts a payload already parsed (its signature checked by the caller).
pub fn convert_value(source: Source, headers: Headers<'_>, json: &serde_json::Value) -> Result<Message, ConvertError> {
    let message = match source {
        Source::Slack => slack::convert(json)?,
        Source::GitHub => github::convert(header(headers, "x-github-event").unwrap_or(""), json)?,
        Source::GitLab => gitlab::convert(header(headers, "x-gitlab-event").unwrap_or(""), json)?,
        Source::Alertmanager => alertmanager::convert(json)?,
        Source::Grafana => grafana::convert(json)?,
        Source::Sentry => sentry::convert(header(headers, "sentry-hook-resource").unwrap_or(""), json)?,
    };
    let message = markdown::clean_labels(message);
    limits::check(&message)?;
    Ok(message)
}
