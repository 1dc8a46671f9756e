//! Sentry's integration-platform webhooks (`Sentry-Hook-Resource`): issue alerts
//! (`event_alert`) and issue lifecycle (`issue`); other resources get a generic message.
use serde_json::Value;

use crate::json::s;
use crate::markdown::{code_link, escape, first_line, link, safe_url, GREEN, GREY, RED, YELLOW};
use crate::{invalid, Attachment, ConvertError, Field, Message};

fn level_color(level: Option<&str>) -> &'static str {
    match level {
        Some("fatal" | "error") => RED,
        Some("warning") => YELLOW,
        Some("info" | "debug") => GREY,
        _ => RED,
    }
}

fn event_alert(v: &Value) -> Message {
    let e = v.pointer("/data/event").unwrap_or(&Value::Null);
    let title = first_line(s(e, "/title").unwrap_or("Error"), 250);
    let url = s(e, "/web_url").or_else(|| s(e, "/url"));
    let rule = s(v, "/data/triggered_rule").unwrap_or("an alert rule");
    let mut fields = Vec::new();
    for (label, pointer) in
        [("Level", "/level"), ("Culprit", "/culprit"), ("Environment", "/environment"), ("Release", "/release")]
    {
        if let Some(value) = s(e, pointer) {
            fields.push(Field { title: label.into(), value: escape(value), short: true });
        }
    }
    Message {
        text: format!("Sentry alert {}: {}", escape(rule), link(&title, url)),
        attachments: vec![Attachment {
            color: Some(level_color(s(e, "/level")).into()),
            title: Some(title),
            title_link: url.and_then(safe_url).map(str::to_owned),
            fields,
            footer: Some("Sentry".into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn issue(v: &Value) -> Message {
    let i = v.pointer("/data/issue").unwrap_or(&Value::Null);
    let action = s(v, "/action").unwrap_or("updated");
    let title = first_line(s(i, "/title").unwrap_or("Issue"), 250);
    let url = s(i, "/permalink").or_else(|| s(i, "/web_url"));
    let short_id = s(i, "/shortId").unwrap_or_default();
    let color = match action {
        "resolved" => GREEN,
        "ignored" | "archived" => GREY,
        _ => level_color(s(i, "/level")),
    };
    let project = s(i, "/project/slug").or_else(|| s(i, "/project/name")).unwrap_or("a project");
    Message {
        text: format!("Sentry issue {} {} in {}", code_link(short_id, url), escape(action), escape(project)),
        attachments: vec![Attachment {
            color: Some(color.into()),
            title: Some(title),
            title_link: url.and_then(safe_url).map(str::to_owned),
            text: s(i, "/culprit").map(escape),
            footer: Some("Sentry".into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn convert(resource: &str, v: &Value) -> Result<Message, ConvertError> {
    if !v.is_object() {
        return Err(invalid("a Sentry payload is a JSON object"));
    }
    let resource = if resource.is_empty() {
        if v.pointer("/data/event").is_some() {
            "event_alert"
        } else if v.pointer("/data/issue").is_some() {
            "issue"
        } else {
            ""
        }
    } else {
        resource
    };
    Ok(match resource {
        "event_alert" => event_alert(v),
        "issue" => issue(v),
        other => {
            let what = if other.is_empty() { "an event" } else { other };
            let action = s(v, "/action").map(|a| format!(" ({})", escape(a))).unwrap_or_default();
            Message { text: format!("Sentry sent {}{action}", code_link(what, None)), ..Default::default() }
        }
    })
}
