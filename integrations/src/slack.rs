//! Slack's incoming-webhook payload: `text` (mrkdwn unless `mrkdwn: false`), `blocks`,
//! legacy `attachments`, and the `username` / `icon_url` / `icon_emoji` / `channel` /
//! `thread_ts` overrides. The Slack Web API's `chat.postMessage` takes the same fields.
use serde_json::Value;

use crate::markdown::{color, safe_url};
use crate::mrkdwn::{plain, to_markdown};
use crate::{blocks, invalid, Attachment, ConvertError, Field, Message};

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn url_of(v: &Value, key: &str) -> Option<String> {
    str_of(v, key).and_then(safe_url).map(str::to_owned)
}

/// A one-line label (a title, an author): Slack shows these as plain text.
fn label(v: &Value, key: &str) -> Option<String> {
    str_of(v, key).map(|s| s.replace(['\r', '\n'], " ").trim().to_owned())
}

fn array<'a>(v: &'a Value, key: &str) -> Result<&'a [Value], ConvertError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(invalid(format!("`{key}` must be an array"))),
    }
}

fn timestamp(v: &Value) -> Option<i64> {
    match v.get("ts")? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.split('.').next()?.parse().ok(),
        _ => None,
    }
}

fn attachment(a: &Value) -> Result<Attachment, ConvertError> {
    if !a.is_object() {
        return Err(invalid("each attachment must be an object"));
    }
    let mut fields = Vec::new();
    for f in array(a, "fields")? {
        let title = label(f, "title").unwrap_or_default();
        let value = str_of(f, "value").map(to_markdown).unwrap_or_default();
        if title.is_empty() && value.is_empty() {
            continue;
        }
        fields.push(Field { title, value, short: f.get("short").and_then(Value::as_bool).unwrap_or(false) });
    }
    let mut text = str_of(a, "text").map(to_markdown);
    let inner_blocks = blocks::to_markdown(array(a, "blocks")?)?;
    if !inner_blocks.is_empty() {
        text = Some(match text {
            Some(t) => format!("{t}\n\n{inner_blocks}"),
            None => inner_blocks,
        });
    }
    let title = label(a, "title");
    if text.is_none() && title.is_none() && fields.is_empty() {
        text = str_of(a, "fallback").map(plain);
    }
    Ok(Attachment {
        color: str_of(a, "color").and_then(color),
        pretext: str_of(a, "pretext").map(to_markdown),
        author: label(a, "author_name"),
        author_link: url_of(a, "author_link"),
        title,
        title_link: url_of(a, "title_link"),
        text,
        fields,
        image_url: url_of(a, "image_url").or_else(|| url_of(a, "thumb_url")),
        footer: label(a, "footer"),
        ts: timestamp(a),
    })
}

/// A Slack message payload (incoming webhook or `chat.postMessage`) as a Message.
pub fn convert(payload: &Value) -> Result<Message, ConvertError> {
    if !payload.is_object() {
        return Err(invalid("the payload must be a JSON object"));
    }
    let blocks = array(payload, "blocks")?;
    let attachments = array(payload, "attachments")?
        .iter()
        .map(attachment)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|a| *a != Attachment::default())
        .collect::<Vec<_>>();
    let as_mrkdwn = payload.get("mrkdwn").and_then(Value::as_bool).unwrap_or(true);
    let text = match str_of(payload, "text") {
        Some(t) if as_mrkdwn => to_markdown(t),
        Some(t) => plain(t),
        None => String::new(),
    };
    // With blocks, Slack shows the blocks and keeps `text` for notifications only.
    let text = if blocks.is_empty() { text } else { blocks::to_markdown(blocks)? };
    if text.trim().is_empty() && attachments.is_empty() {
        return Err(invalid("no_text: give `text`, `blocks` or `attachments`"));
    }
    Ok(Message {
        text,
        attachments,
        username: label(payload, "username"),
        icon_url: url_of(payload, "icon_url"),
        icon_emoji: str_of(payload, "icon_emoji").map(|e| e.trim().trim_matches(':').to_owned()),
        channel: str_of(payload, "channel").map(str::to_owned),
        thread_ts: match payload.get("thread_ts") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::convert;

    #[test]
    fn text_and_overrides() {
        let m = convert(&json!({"text": "Deploy *done*", "username": "CI", "icon_emoji": ":rocket:",
            "icon_url": "javascript:alert(1)", "channel": "#deploys", "thread_ts": "1700000000.000100"}))
        .unwrap();
        assert_eq!(m.text, "Deploy **done**");
        assert_eq!(m.username.as_deref(), Some("CI"));
        assert_eq!(m.icon_emoji.as_deref(), Some("rocket"));
        assert_eq!(m.icon_url, None, "only web addresses");
        assert_eq!((m.channel.as_deref(), m.thread_ts.as_deref()), (Some("#deploys"), Some("1700000000.000100")));
        assert_eq!(convert(&json!({"text": "*x*", "mrkdwn": false})).unwrap().text, "\\*x\\*");
    }

    #[test]
    fn legacy_attachments_become_cards() {
        let m = convert(&json!({"attachments": [{"color": "danger", "pretext": "Heads up", "title": "Disk\nfull",
            "title_link": "https://example.com/d", "text": "*95%* used", "footer": "monitor", "ts": 1700000000,
            "fields": [{"title": "Host", "value": "db-1", "short": true}]}]}))
        .unwrap();
        let a = &m.attachments[0];
        assert_eq!(a.color.as_deref(), Some("#e01e5a"));
        assert_eq!(a.title.as_deref(), Some("Disk full"));
        assert_eq!(a.text.as_deref(), Some("**95%** used"));
        assert_eq!((a.fields[0].title.as_str(), a.fields[0].value.as_str(), a.fields[0].short), ("Host", "db-1", true));
        assert_eq!(a.ts, Some(1_700_000_000));
        assert!(m.text.is_empty());
    }

    #[test]
    fn empty_or_malformed_payloads_are_refused() {
        for bad in
            [json!({}), json!({"text": "  "}), json!([1]), json!({"attachments": "x"}), json!({"attachments": [5]})]
        {
            assert!(convert(&bad).is_err(), "{bad}");
        }
    }
}
