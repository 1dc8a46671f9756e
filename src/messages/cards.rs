//! What integrations add to a message: cards (title, link, colour bar, text, fields)
//! and the app identity it was posted with (a hook's name and picture, or the name a
//! Slack payload asked for). Card Markdown is rendered through the same sanitiser as
//! message text when the message is posted, and stored as JSON beside it.
use serde::{Deserialize, Serialize};

use super::markdown;
use crate::clock::rfc3339;

#[derive(Serialize, Deserialize, Clone, Debug, Default, utoipa::ToSchema)]
pub struct CardField {
    pub title: String,
    /// Sanitised HTML.
    pub value_html: String,
    pub short: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, utoipa::ToSchema)]
pub struct CardView {
    /// `#rrggbb` for the bar beside the card.
    pub color: Option<String>,
    /// Sanitised HTML shown above the card.
    pub pretext_html: Option<String>,
    pub author: Option<String>,
    pub author_link: Option<String>,
    pub title: Option<String>,
    pub title_link: Option<String>,
    /// Sanitised HTML.
    pub text_html: Option<String>,
    pub fields: Vec<CardField>,
    /// A picture to link to (not loaded by the client: images come only from this site).
    pub image_url: Option<String>,
    pub footer: Option<String>,
    pub ts: Option<String>,
}

/// The app a message was posted by, as it asked to be shown.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct AppView {
    pub name: String,
    pub icon_url: Option<String>,
    pub icon_emoji: Option<String>,
}

/// The integration-only parts of a new message.
#[derive(Clone, Debug, Default)]
pub struct AppPost {
    pub cards: Vec<CardView>,
    pub app: Option<AppView>,
}

fn html(md: &Option<String>) -> Option<String> {
    md.as_deref().filter(|t| !t.trim().is_empty()).map(|t| markdown::render(t).html)
}

pub fn card(a: &integrations::Attachment) -> CardView {
    CardView {
        color: a.color.clone(),
        pretext_html: html(&a.pretext),
        author: a.author.clone(),
        author_link: a.author_link.clone(),
        title: a.title.clone(),
        title_link: a.title_link.clone(),
        text_html: html(&a.text),
        fields: a
            .fields
            .iter()
            .map(|f| CardField { title: f.title.clone(), value_html: markdown::render(&f.value).html, short: f.short })
            .collect(),
        image_url: a.image_url.clone(),
        footer: a.footer.clone(),
        ts: a.ts.map(|s| rfc3339(s.saturating_mul(1000))),
    }
}

impl AppPost {
    /// Cards and identity from a converted payload; the payload's own name and picture
    /// win over the hook's (Slack's `username` / `icon_url` / `icon_emoji`).
    pub fn from_message(m: &integrations::Message, name: &str, icon_url: Option<&str>) -> Self {
        let app = AppView {
            name: m.username.clone().unwrap_or_else(|| name.to_owned()),
            icon_url: m.icon_url.clone().or_else(|| icon_url.map(str::to_owned)),
            icon_emoji: m.icon_emoji.clone(),
        };
        Self { cards: m.attachments.iter().map(card).collect(), app: Some(app) }
    }

    pub fn cards_json(&self) -> Option<String> {
        (!self.cards.is_empty()).then(|| serde_json::to_string(&self.cards).unwrap_or_default())
    }

    pub fn identity_json(&self) -> Option<String> {
        self.app.as_ref().and_then(|a| serde_json::to_string(a).ok())
    }
}

pub fn cards_of(json: Option<&str>) -> Vec<CardView> {
    json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
}

pub fn app_of(json: Option<&str>) -> Option<AppView> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// Card text for the search index: titles, text and fields, as plain words.
pub fn searchable_text(json: Option<&str>) -> String {
    let mut out = String::new();
    for c in cards_of(json) {
        for part in [&c.title, &c.author, &c.footer].into_iter().flatten() {
            out.push_str(part);
            out.push('\n');
        }
        for h in [&c.pretext_html, &c.text_html].into_iter().flatten() {
            out.push_str(&strip_tags(h));
            out.push('\n');
        }
        for f in &c.fields {
            out.push_str(&f.title);
            out.push(' ');
            out.push_str(&strip_tags(&f.value_html));
            out.push('\n');
        }
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
}
