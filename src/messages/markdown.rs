//! Message Markdown → safe HTML, and the @mentions it contains.
//!
//! Raw HTML in a message is shown as text, never interpreted; the rendered HTML is
//! then sanitised by ammonia (allow-listed tags, http/https/mailto links only, every
//! link `rel="noopener nofollow ugc"`). @mentions and #channel references outside code
//! become spans; the client links a reference to a channel the reader knows by that
//! name (the server looks nothing up, so a reference reveals nothing to anyone).
use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Lower-cased usernames mentioned with @name.
    pub users: Vec<String>,
    pub channel: bool,
    pub here: bool,
}

static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // a constant pattern; covered by the tests below
    Regex::new(r"(^|[^\p{L}\p{N}_.@/])@([A-Za-z0-9][A-Za-z0-9._-]{0,31})").expect("mention regex")
});

static CHANNEL_REF: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // a constant pattern; covered by the tests below
    Regex::new(r"(^|[^\p{L}\p{N}_&/#])#([a-z0-9][a-z0-9_-]{0,79})").expect("channel reference regex")
});

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .add_tags(["span", "del", "input"])
        .link_rel(Some("noopener nofollow ugc"))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .add_allowed_classes("span", ["mention", "channel-ref", "link-host"])
        .add_tag_attributes("span", ["data-mention", "data-channel"])
        .add_tag_attributes("input", ["type", "checked", "disabled"]);
    b
});

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One @mention or #channel reference found in plain text.
struct InlineRef<'a> {
    /// Byte range of the `@name` / `#name` (sigil included) in the text.
    start: usize,
    end: usize,
    sigil: char,
    name: &'a str,
}

fn inline_refs(text: &str) -> Vec<InlineRef<'_>> {
    let mut refs = Vec::new();
    for (re, sigil) in [(&*MENTION, '@'), (&*CHANNEL_REF, '#')] {
        for cap in re.captures_iter(text) {
            let Some(name) = cap.get(2) else { continue };
            let name_str = name.as_str().trim_end_matches(['.', '-', '_']);
            if !name_str.is_empty() {
                refs.push(InlineRef {
                    start: name.start() - 1,
                    end: name.start() + name_str.len(),
                    sigil,
                    name: name_str,
                });
            }
        }
    }
    refs.sort_by_key(|r| r.start);
    refs
}

/// Splits plain text into text and span events for mentions and channel references,
/// recording the mentions.
fn inline_ref_events(text: &str, out: &mut Rendered) -> Option<String> {
    let refs = inline_refs(text);
    if refs.is_empty() {
        return None;
    }
    let mut html = String::new();
    let mut last = 0;
    for r in refs {
        if r.start < last {
            continue;
        }
        html.push_str(&escape(&text[last..r.start]));
        let lower = r.name.to_lowercase();
        if r.sigil == '#' {
            html.push_str(&format!("<span class=\"channel-ref\" data-channel=\"{0}\">#{0}</span>", escape(r.name)));
        } else {
            match lower.as_str() {
                "channel" | "all" | "everyone" => out.channel = true,
                "here" => out.here = true,
                _ if !out.users.contains(&lower) => out.users.push(lower.clone()),
                _ => {}
            }
            html.push_str(&format!(
                "<span class=\"mention\" data-mention=\"{}\">@{}</span>",
                escape(&lower),
                escape(r.name)
            ));
        }
        last = r.end;
    }
    html.push_str(&escape(&text[last..]));
    Some(html)
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
/// reorder what follows them: "invoice\u{202e}gnp.exe" shows as "invoiceexe.png". They
/// are dropped from what is shown (the stored text keeps them). The marks U+200E/U+200F,
/// which right-to-left writing needs, stay.
fn without_bidi_controls(text: CowStr<'_>) -> CowStr<'_> {
    let is_control = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if text.contains(is_control) {
        CowStr::from(text.replace(is_control, ""))
    } else {
        text
    }
}

/// Link text that reads like an address or a file name ("bank.example/login",
/// "invoice.pdf") but may point anywhere.
fn reads_like_address_or_file(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && !t.contains(char::is_whitespace) && (t.contains("://") || t.contains('.'))
}

/// The host a link really goes to, shown after link text that could pass for
/// another address or a file; None when the text already names that host.
fn revealed_host(href: &str, text: &str) -> Option<String> {
    let url = url::Url::parse(href).ok().filter(|u| matches!(u.scheme(), "http" | "https"))?;
    let host = url.host_str()?;
    let shown = text.trim();
    if !reads_like_address_or_file(shown) {
        return None;
    }
    // The host the text itself names ("https://a.example/x", "a.example/x"), if any.
    let named = url::Url::parse(shown)
        .ok()
        .filter(|u| u.host_str().is_some())
        .or_else(|| url::Url::parse(&format!("https://{shown}")).ok());
    match named.as_ref().and_then(url::Url::host_str) {
        Some(h) if h == host => None,
        _ => Some(host.to_owned()),
    }
}

pub fn render(source: &str) -> Rendered {
    let mut out = Rendered::default();
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut in_code = 0usize;
    let mut events = Vec::new();
    // The link being rendered: its destination and its text so far.
    let mut link: Option<(String, String)> = None;
    for event in Parser::new_ext(source, options) {
        let event = match event {
            Event::Text(t) => Event::Text(without_bidi_controls(t)),
            Event::Code(t) => Event::Code(without_bidi_controls(t)),
            other => other,
        };
        if let (Some((_, text)), Event::Text(t) | Event::Code(t)) = (&mut link, &event) {
            text.push_str(t);
        }
        match event {
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                link = Some((dest_url.to_string(), String::new()));
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                events.push(event);
                if let Some(host) = link.take().and_then(|(href, text)| revealed_host(&href, &text)) {
                    events.push(Event::InlineHtml(CowStr::from(format!(
                        " <span class=\"link-host\">({})</span>",
                        escape(&host)
                    ))));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code += 1;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = in_code.saturating_sub(1);
                events.push(event);
            }
            // Raw HTML is never interpreted: show it as the text it is.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Text(text) if in_code == 0 => match inline_ref_events(&text, &mut out) {
                Some(html) => events.push(Event::InlineHtml(CowStr::from(html))),
                None => events.push(Event::Text(text)),
            },
            other => events.push(other),
        }
    }
    let mut raw_html = String::new();
    html::push_html(&mut raw_html, events.into_iter());
    out.html = SANITIZER.clean(&raw_html).to_string();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_shown_as_text() {
        let r = render("<img src=x onerror=alert(1)> hi");
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(r.html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{}", r.html);
    }

    #[test]
    fn javascript_links_are_dropped_and_links_get_rel() {
        let r = render("[a](javascript:alert(1)) [b](https://example.com)");
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(r.html.contains("rel=\"noopener nofollow ugc\""), "{}", r.html);
        assert!(r.html.contains("href=\"https://example.com\""), "{}", r.html);
    }

    #[test]
    fn mentions_are_found_outside_code() {
        let r = render("hey @Alice and @bob.smith. also @here `@carol`\n\n```\n@dave\n```");
        assert_eq!(r.users, vec!["alice", "bob.smith"]);
        assert!(r.here && !r.channel);
        assert!(r.html.contains("<span class=\"mention\" data-mention=\"alice\">@Alice</span>"), "{}", r.html);
        assert!(!r.users.contains(&"carol".to_owned()) && !r.users.contains(&"dave".to_owned()));
    }

    #[test]
    fn channel_references_become_spans_outside_code_and_urls() {
        let r = render("see #ops-team, not `#code` nor https://example.com/#anchor or a&#35;b; @ann in #ops");
        assert!(
            r.html.contains("<span class=\"channel-ref\" data-channel=\"ops-team\">#ops-team</span>,"),
            "{}",
            r.html
        );
        assert!(r.html.contains("<code>#code</code>"), "{}", r.html);
        assert!(!r.html.contains("data-channel=\"anchor\""), "{}", r.html);
        assert!(r.html.contains("data-mention=\"ann\">@ann</span> in <span class=\"channel-ref\""), "{}", r.html);
        assert_eq!(r.users, vec!["ann".to_owned()]);
        let heading = render("# Title\n\n#Upper stays text");
        assert!(heading.html.contains("<h1>Title</h1>") && !heading.html.contains("channel-ref"), "{}", heading.html);
    }

    #[test]
    fn direction_overrides_are_dropped_from_what_is_shown() {
        let r = render("[invoice\u{202e}gnp.exe](https://files.example/x) and `code\u{2066}x\u{2069}` \u{202d}plain");
        for c in ['\u{202e}', '\u{2066}', '\u{2069}', '\u{202d}'] {
            assert!(!r.html.contains(c), "{:?}", r.html);
        }
        assert!(r.html.contains(">invoicegnp.exe</a> <span class=\"link-host\">(files.example)</span>"), "{}", r.html);
        let rtl = render("\u{200f}שלום\u{200e} ok");
        assert!(rtl.html.contains('\u{200f}') && rtl.html.contains('\u{200e}'), "marks stay");
    }

    #[test]
    fn links_dressed_as_another_address_or_a_file_show_their_real_host() {
        let shown = |md: &str| render(md).html;
        let h = shown("[https://bank.example/login](https://evil.example/phish)");
        assert!(h.contains("</a> <span class=\"link-host\">(evil.example)</span>"), "{h}");
        let h = shown("[bank.example](https://evil.example/)");
        assert!(h.contains("(evil.example)"), "{h}");
        let h = shown("[report.pdf](https://evil.example/report.exe)");
        assert!(h.contains("(evil.example)"), "{h}");
        // Honest links stay as they are.
        for md in [
            "[https://docs.example/a](https://docs.example/a)",
            "[docs.example](https://docs.example/)",
            "<https://docs.example/page>",
            "https://docs.example/page",
            "[the docs](https://docs.example/)",
        ] {
            assert!(!shown(md).contains("link-host"), "{md}: {}", shown(md));
        }
    }

    #[test]
    fn emails_are_not_mentions() {
        let r = render("mail alice@example.com");
        assert!(r.users.is_empty());
    }

    #[test]
    fn markdown_renders() {
        let r = render("**bold** _it_ ~~del~~\n\n- a\n- b");
        assert!(r.html.contains("<strong>bold</strong>"));
        assert!(r.html.contains("<del>del</del>"));
        assert!(r.html.contains("<li>a</li>"));
    }
}
