//! Slack Block Kit blocks → Markdown. Known blocks keep their shape as far as Markdown
//! can carry it; an unknown block degrades to whatever text it holds, never to an
//! error or a silent drop.
use serde_json::Value;

use crate::limits::MAX_BLOCKS;
use crate::markdown::{escape, link};
use crate::mrkdwn::{self, plain};
use crate::{invalid, ConvertError};

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A text object (`{"type":"mrkdwn"|"plain_text","text":…}`) as Markdown.
pub fn text_object(v: &Value) -> Option<String> {
    let text = str_of(v, "text")?;
    Some(if str_of(v, "type") == Some("plain_text") { plain(text) } else { mrkdwn::to_markdown(text) })
}

fn image_link(v: &Value) -> Option<String> {
    let url = str_of(v, "image_url")?;
    let label = v.get("title").and_then(text_object).or_else(|| str_of(v, "alt_text").map(escape));
    let label = label.filter(|l| !l.is_empty()).unwrap_or_else(|| "image".into());
    Some(format!("🖼 {}", link_md(&label, url)))
}

/// A link whose label is already Markdown.
fn link_md(label_md: &str, url: &str) -> String {
    match crate::markdown::safe_url(url) {
        Some(u) => format!("[{label_md}](<{u}>)"),
        None => label_md.to_owned(),
    }
}

/// An interactive element (button, select…) or an image inside a section or context.
fn element(v: &Value) -> Option<String> {
    match str_of(v, "type") {
        Some("image") => str_of(v, "alt_text").map(|alt| format!("🖼 {}", escape(alt))),
        Some("button") => {
            let label = v.get("text").and_then(text_object).unwrap_or_else(|| "button".into());
            Some(match str_of(v, "url") {
                Some(u) => link_md(&label, u),
                None => label,
            })
        }
        Some("mrkdwn" | "plain_text") => text_object(v),
        _ => fallback_text(v),
    }
}

/// Any text a block or element of an unknown kind carries.
fn fallback_text(v: &Value) -> Option<String> {
    for key in ["text", "title", "alt_text", "fallback", "placeholder", "label", "description"] {
        match v.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(escape(s)),
            Some(o @ Value::Object(_)) => {
                if let Some(t) = text_object(o).filter(|t| !t.trim().is_empty()) {
                    return Some(t);
                }
            }
            _ => {}
        }
    }
    None
}

fn rich_inline(el: &Value) -> String {
    let text = match str_of(el, "type") {
        Some("text") => str_of(el, "text").map(escape).unwrap_or_default(),
        Some("link") => {
            let label = str_of(el, "text").unwrap_or_else(|| str_of(el, "url").unwrap_or_default());
            link(label, str_of(el, "url"))
        }
        Some("user") => format!("@{}", escape(str_of(el, "user_id").unwrap_or("someone"))),
        Some("channel") => format!("#{}", escape(str_of(el, "channel_id").unwrap_or("channel"))),
        Some("usergroup") => format!("@{}", escape(str_of(el, "usergroup_id").unwrap_or("group"))),
        Some("emoji") => match str_of(el, "unicode").and_then(emoji_from_hex) {
            Some(e) => e,
            None => format!(":{}:", escape(str_of(el, "name").unwrap_or("emoji"))),
        },
        Some("broadcast") => format!("@{}", escape(str_of(el, "range").unwrap_or("here"))),
        Some("date") => escape(str_of(el, "fallback").unwrap_or_default()),
        _ => fallback_text(el).unwrap_or_default(),
    };
    let style = el.get("style");
    let on = |k: &str| style.and_then(|s| s.get(k)).and_then(Value::as_bool).unwrap_or(false);
    if text.trim().is_empty() {
        return text;
    }
    // Emphasis must hug its text in CommonMark: keep surrounding spaces outside.
    let lead = &text[..text.len() - text.trim_start().len()];
    let trail = &text[text.trim_end().len()..];
    let mut t = text.trim().to_owned();
    if on("code") {
        t = format!("`{}`", t.replace('`', "'"));
    }
    if on("strike") {
        t = format!("~~{t}~~");
    }
    if on("italic") {
        t = format!("*{t}*");
    }
    if on("bold") {
        t = format!("**{t}**");
    }
    format!("{lead}{t}{trail}")
}

/// "1f600" or "1f1fa-1f1f8" → the emoji itself.
fn emoji_from_hex(hex: &str) -> Option<String> {
    hex.split('-').map(|h| u32::from_str_radix(h, 16).ok().and_then(char::from_u32)).collect()
}

fn rich_elements(v: &Value) -> String {
    v.get("elements").and_then(Value::as_array).map(|els| els.iter().map(rich_inline).collect()).unwrap_or_default()
}

fn rich_text(block: &Value) -> String {
    let mut parts = Vec::new();
    for el in block.get("elements").and_then(Value::as_array).into_iter().flatten() {
        let part = match str_of(el, "type") {
            Some("rich_text_section") => rich_elements(el),
            Some("rich_text_list") => {
                let indent = "  ".repeat(el.get("indent").and_then(Value::as_u64).unwrap_or(0).min(6) as usize);
                let ordered = str_of(el, "style") == Some("ordered");
                let items = el.get("elements").and_then(Value::as_array).into_iter().flatten();
                items
                    .enumerate()
                    .map(|(i, item)| {
                        let marker = if ordered { format!("{}.", i + 1) } else { "-".into() };
                        format!("{indent}{marker} {}", rich_elements(item))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Some("rich_text_preformatted") => {
                let code: String = el
                    .get("elements")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| str_of(e, "text").or_else(|| str_of(e, "url")))
                    .collect();
                format!("```\n{}\n```", code.replace("```", "'''"))
            }
            Some("rich_text_quote") => {
                rich_elements(el).lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n")
            }
            _ => fallback_text(el).unwrap_or_default(),
        };
        parts.push(part);
    }
    parts.join("\n")
}

fn section(block: &Value) -> String {
    let mut lines = Vec::new();
    if let Some(t) = block.get("text").and_then(text_object) {
        lines.push(t);
    }
    for f in block.get("fields").and_then(Value::as_array).into_iter().flatten() {
        if let Some(t) = text_object(f) {
            lines.push(t);
        }
    }
    if let Some(acc) = block.get("accessory") {
        let shown = if str_of(acc, "type") == Some("image") { image_link(acc) } else { element(acc) };
        lines.extend(shown);
    }
    lines.join("  \n")
}

fn one_block(block: &Value) -> String {
    match str_of(block, "type") {
        Some("header") => block.get("text").and_then(text_object).map(|t| format!("**{t}**")).unwrap_or_default(),
        Some("section") => section(block),
        Some("divider") => "---".into(),
        Some("image") => image_link(block).unwrap_or_default(),
        Some("context") => block
            .get("elements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(element)
            .collect::<Vec<_>>()
            .join(" · "),
        Some("actions") => block
            .get("elements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(element)
            .collect::<Vec<_>>()
            .join(" · "),
        Some("rich_text") => rich_text(block),
        Some(other) => fallback_text(block).unwrap_or_else(|| format!("*({} block)*", escape(other))),
        None => fallback_text(block).unwrap_or_default(),
    }
}

/// Blocks as Markdown paragraphs.
pub fn to_markdown(blocks: &[Value]) -> Result<String, ConvertError> {
    if blocks.len() > MAX_BLOCKS {
        return Err(invalid(format!("at most {MAX_BLOCKS} blocks")));
    }
    let parts: Vec<String> = blocks.iter().map(one_block).filter(|p| !p.trim().is_empty()).collect();
    Ok(parts.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_markdown;

    #[test]
    fn known_blocks_keep_their_shape() {
        let md = to_markdown(&[
            json!({"type": "header", "text": {"type": "plain_text", "text": "Deploy #42"}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "*prod* is up"},
                   "fields": [{"type": "mrkdwn", "text": "*Env*\nprod"}]}),
            json!({"type": "divider"}),
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": "by _ci_"},
                   {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "logo"}]}),
            json!({"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open"},
                   "url": "https://example.com/run/42"}]}),
        ])
        .unwrap();
        assert!(md.starts_with("**Deploy \\#42**\n\n**prod** is up  \n**Env**\nprod\n\n---"), "{md}");
        assert!(md.contains("by *ci* · 🖼 logo"), "{md}");
        assert!(md.ends_with("[Open](<https://example.com/run/42>)"), "{md}");
    }

    #[test]
    fn rich_text_styles_lists_and_quotes() {
        let md = to_markdown(&[json!({"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [
                {"type": "text", "text": "Hi "}, {"type": "text", "text": "all", "style": {"bold": true}},
                {"type": "emoji", "name": "wave", "unicode": "1f44b"}]},
            {"type": "rich_text_list", "style": "bullet", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                {"type": "rich_text_section", "elements": [{"type": "link", "url": "https://example.com", "text": "two"}]}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "wise words"}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "cargo test"}]}
        ]})])
        .unwrap();
        assert_eq!(md, "Hi **all**👋\n- one\n- [two](<https://example.com>)\n> wise words\n```\ncargo test\n```");
    }

    #[test]
    fn unknown_blocks_degrade_to_their_text() {
        let md = to_markdown(&[
            json!({"type": "video", "title": {"type": "plain_text", "text": "Demo"}, "video_url": "https://example.com/v"}),
            json!({"type": "hologram"}),
        ])
        .unwrap();
        assert_eq!(md, "Demo\n\n*(hologram block)*");
    }
}
