//! Prometheus Alertmanager's webhook (version 4): one message per notification, the
//! alerts of the group as cards — red while firing, green once resolved.
use serde_json::Value;

use crate::json::{arr, s, string_map};
use crate::markdown::{escape, link, safe_url, GREEN, RED};
use crate::{invalid, Attachment, ConvertError, Field, Message};

const MAX_ALERTS: usize = 10;

fn alert_card(a: &Value) -> Attachment {
    let firing = s(a, "/status") != Some("resolved");
    let labels = string_map(a, "/labels");
    let name = labels.iter().find(|(k, _)| k == "alertname").map_or("alert", |(_, v)| v.as_str());
    let summary = s(a, "/annotations/summary").or_else(|| s(a, "/annotations/message"));
    let description = s(a, "/annotations/description");
    let text = [summary, description].into_iter().flatten().map(escape).collect::<Vec<_>>().join("  \n");
    let fields = labels
        .iter()
        .filter(|(k, _)| k != "alertname")
        .take(12)
        .map(|(k, v)| Field { title: k.clone(), value: escape(v), short: true })
        .collect();
    Attachment {
        color: Some(if firing { RED } else { GREEN }.to_owned()),
        title: Some(format!("{} {name}", if firing { "FIRING" } else { "RESOLVED" })),
        title_link: s(a, "/generatorURL").and_then(safe_url).map(str::to_owned),
        text: (!text.is_empty()).then_some(text),
        fields,
        footer: Some("Alertmanager".into()),
        ..Default::default()
    }
}

pub fn convert(v: &Value) -> Result<Message, ConvertError> {
    let alerts = arr(v, "/alerts");
    if !v.is_object() || v.get("alerts").is_none() {
        return Err(invalid("an Alertmanager payload has `alerts`"));
    }
    let status = s(v, "/status").unwrap_or("firing");
    let firing = alerts.iter().filter(|a| s(a, "/status") != Some("resolved")).count();
    let resolved = alerts.len() - firing;
    let group =
        string_map(v, "/groupLabels").into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
    let counts = match (firing, resolved) {
        (f, 0) => format!("{f} firing"),
        (0, r) => format!("{r} resolved"),
        (f, r) => format!("{f} firing, {r} resolved"),
    };
    let head = if status == "resolved" { "Resolved" } else { "Firing" };
    let group = if group.is_empty() { String::new() } else { format!(" for {}", escape(&group)) };
    let mut text = format!("**{head}**{group}: {counts}");
    if let Some(url) = s(v, "/externalURL") {
        text.push_str(&format!(" · {}", link("Alertmanager", Some(url))));
    }
    let mut attachments: Vec<Attachment> = alerts.iter().take(MAX_ALERTS).map(alert_card).collect();
    if alerts.len() > MAX_ALERTS {
        attachments.push(Attachment {
            text: Some(format!("… and {} more alerts", alerts.len() - MAX_ALERTS)),
            ..Default::default()
        });
    }
    Ok(Message { text, attachments, ..Default::default() })
}
