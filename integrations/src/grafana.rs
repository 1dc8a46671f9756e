//! Grafana alerting's webhook contact point: a group of alerts with a title, each with
//! its labels, annotations, values and links to the dashboard and panel.
use serde_json::Value;

use crate::json::{arr, s, string_map};
use crate::markdown::{escape, escape_lines, link, safe_url, GREEN, RED, YELLOW};
use crate::{invalid, Attachment, ConvertError, Field, Message};

const MAX_ALERTS: usize = 10;

fn alert_card(a: &Value) -> Attachment {
    let firing = s(a, "/status") != Some("resolved");
    let labels = string_map(a, "/labels");
    let name = labels.iter().find(|(k, _)| k == "alertname").map_or("alert", |(_, v)| v.as_str());
    let mut lines: Vec<String> =
        [s(a, "/annotations/summary"), s(a, "/annotations/description")].into_iter().flatten().map(escape).collect();
    if let Some(values) = s(a, "/valueString") {
        lines.push(format!("`{}`", values.replace('`', "'").chars().take(300).collect::<String>()));
    }
    let links: Vec<String> = [("Dashboard", "/dashboardURL"), ("Panel", "/panelURL"), ("Silence", "/silenceURL")]
        .into_iter()
        .filter_map(|(label, p)| s(a, p).and_then(safe_url).map(|u| link(label, Some(u))))
        .collect();
    if !links.is_empty() {
        lines.push(links.join(" · "));
    }
    Attachment {
        color: Some(if firing { RED } else { GREEN }.to_owned()),
        title: Some(format!("{} {name}", if firing { "FIRING" } else { "RESOLVED" })),
        title_link: s(a, "/generatorURL").and_then(safe_url).map(str::to_owned),
        text: (!lines.is_empty()).then(|| lines.join("  \n")),
        fields: labels
            .iter()
            .filter(|(k, _)| k != "alertname" && !k.starts_with("__"))
            .take(12)
            .map(|(k, v)| Field { title: k.clone(), value: escape(v), short: true })
            .collect(),
        footer: Some("Grafana".into()),
        ..Default::default()
    }
}

pub fn convert(v: &Value) -> Result<Message, ConvertError> {
    if !v.is_object() || (v.get("alerts").is_none() && v.get("title").is_none()) {
        return Err(invalid("a Grafana alert has `alerts` or a `title`"));
    }
    let title = s(v, "/title").unwrap_or("Grafana alert");
    let mut text = format!("**{}**", escape(title));
    if let Some(msg) = s(v, "/message") {
        if v.get("alerts").is_none() {
            text.push_str(&format!("\n\n{}", escape_lines(&msg.chars().take(2000).collect::<String>())));
        }
    }
    let alerts = arr(v, "/alerts");
    let mut attachments: Vec<Attachment> = alerts.iter().take(MAX_ALERTS).map(alert_card).collect();
    if alerts.len() > MAX_ALERTS {
        attachments.push(Attachment {
            text: Some(format!("… and {} more alerts", alerts.len() - MAX_ALERTS)),
            ..Default::default()
        });
    }
    if alerts.is_empty() {
        let color = match s(v, "/state").or_else(|| s(v, "/status")) {
            Some("ok" | "resolved") => GREEN,
            Some("alerting" | "firing") => RED,
            _ => YELLOW,
        };
        attachments.push(Attachment {
            color: Some(color.into()),
            footer: Some("Grafana".into()),
            ..Default::default()
        });
    }
    Ok(Message { text, attachments, ..Default::default() })
}
