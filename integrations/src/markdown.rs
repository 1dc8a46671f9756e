//! Writing Markdown safely from other tools' fields: their names, titles and messages
//! are text, so anything Markdown would read as syntax is escaped; links only go to
//! http(s) and mailto.

/// Appends `c`, backslash-escaped if Markdown could read it as syntax anywhere in a line.
pub fn push_escaped(out: &mut String, c: char) {
    if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&') {
        out.push('\\');
    }
    out.push(c);
}

/// `text` as literal Markdown inline text: every character that could start syntax is
/// backslash-escaped, and line breaks become spaces (titles and names are one line).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            _ => push_escaped(&mut out, c),
        }
    }
    // A list marker or a thematic break is syntax only at the start of a line.
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    if out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    } else if digits > 0 && out[digits..].starts_with(['.', ')']) {
        out.insert(digits, '\\');
    }
    out
}

/// Like `escape`, keeping line breaks (a commit message, an issue body excerpt).
pub fn escape_lines(text: &str) -> String {
    text.lines().map(escape).collect::<Vec<_>>().join("  \n")
}

/// A URL a link may point to: http, https or mailto, nothing that could break out of
/// the Markdown link syntax.
pub fn safe_url(url: &str) -> Option<&str> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:");
    let clean = !u.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'));
    (scheme_ok && clean && u.len() <= 2048).then_some(u)
}

/// `[label](url)` with the label escaped; just the label when the URL is not safe.
pub fn link(label: &str, url: Option<&str>) -> String {
    let label = escape(label);
    match url.and_then(safe_url) {
        Some(u) => format!("[{label}](<{}>)", u.replace('>', "%3E")),
        None => label,
    }
}

/// `[`code`](url)`: a short id (a commit, a branch) shown as code.
pub fn code_link(code: &str, url: Option<&str>) -> String {
    let code = code.replace('`', "'");
    let shown = format!("`{code}`");
    match url.and_then(safe_url) {
        Some(u) => format!("[{shown}](<{u}>)"),
        None => shown,
    }
}

/// The first line of a multi-line text, at most `max` characters (commit subjects).
pub fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// A colour for a card's bar: Slack's names, or `#rgb` / `#rrggbb` (with or without
/// `#`). Anything else is dropped, never passed on.
pub fn color(value: &str) -> Option<String> {
    let v = value.trim();
    match v {
        "good" => return Some("#2eb67d".into()),
        "warning" => return Some("#ecb22e".into()),
        "danger" => return Some("#e01e5a".into()),
        _ => {}
    }
    let hex = v.strip_prefix('#').unwrap_or(v);
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!("#{}", hex.chars().flat_map(|c| [c, c]).collect::<String>().to_ascii_lowercase())),
        _ => None,
    }
}

/// Characters that must not survive into a one-line label a client shows as text:
/// controls, direction overrides and isolates (they reorder what follows), and
/// zero-width characters (they hide what is there).
fn hidden_or_reordering(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

pub fn clean_label(s: &str) -> String {
    s.chars().filter(|c| !hidden_or_reordering(*c)).collect::<String>().trim().to_owned()
}

/// Cleans every plain-text label of a message (Markdown fields go through the server's
/// renderer, which drops the same characters).
pub fn clean_labels(mut m: crate::Message) -> crate::Message {
    let clean = |s: &mut Option<String>| {
        if let Some(v) = s.as_mut() {
            *v = clean_label(v);
        }
        if s.as_deref().is_some_and(str::is_empty) {
            *s = None;
        }
    };
    clean(&mut m.username);
    clean(&mut m.icon_emoji);
    for a in &mut m.attachments {
        clean(&mut a.title);
        clean(&mut a.author);
        clean(&mut a.footer);
        for f in &mut a.fields {
            f.title = clean_label(&f.title);
        }
    }
    m
}

pub const RED: &str = "#e01e5a";
pub const GREEN: &str = "#2eb67d";
pub const YELLOW: &str = "#ecb22e";
pub const GREY: &str = "#8d8d8d";
pub const BLUE: &str = "#1d9bd1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_titles_cannot_become_markup() {
        assert_eq!(escape("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
        assert_eq!(escape("- not a list"), "\\- not a list");
        assert_eq!(escape("1. nor this"), "1\\. nor this");
        assert_eq!(escape("# *big*\n<b>"), "\\# \\*big\\* \\<b\\>");
    }

    #[test]
    fn links_only_go_to_the_web_or_mail() {
        assert_eq!(link("site", Some("https://example.com/a b")), "site", "spaces would end the URL");
        assert_eq!(link("x", Some("javascript:alert(1)")), "x");
        assert_eq!(link("x", Some("data:text/html,hi")), "x");
        assert_eq!(link("a]b", Some("https://example.com/p?q=1")), "[a\\]b](<https://example.com/p?q=1>)");
    }

    #[test]
    fn colours_are_names_or_hex_only() {
        assert_eq!(color("danger").as_deref(), Some("#e01e5a"));
        assert_eq!(color("36A64F").as_deref(), Some("#36a64f"));
        assert_eq!(color("#abc").as_deref(), Some("#aabbcc"));
        assert_eq!(color("red;background:url(x)"), None);
        assert_eq!(color("#12345"), None);
    }
}
