//! Slack's `mrkdwn` → CommonMark.
//!
//! Slack marks `*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ```blocks``` ````,
//! `&gt;` quotes, and angle-bracket tokens: `<url|label>`, `<@U…|name>`, `<#C…|name>`,
//! `<!here>`, `<!channel>`, `<!date^…|fallback>`. It escapes `&`, `<` and `>` as
//! entities. Everything else is literal text, so characters CommonMark would read as
//! syntax (`[`, `#`, a lone `*`) are escaped on the way.
use crate::markdown::{escape, push_escaped, safe_url};

/// One piece of a line: a character of text, or something already written as Markdown.
enum Piece {
    Char(char),
    Atom(String),
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `<…>` (without the brackets) as Markdown.
fn angle_token(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(decode_entities(l))),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return format!("@{}", escape(label.as_deref().map_or(id, |l| l.trim_start_matches('@'))));
    }
    if let Some(id) = target.strip_prefix('#') {
        return format!("#{}", escape(label.as_deref().unwrap_or(id)));
    }
    if let Some(special) = target.strip_prefix('!') {
        let name = special.split('^').next().unwrap_or_default();
        return match name {
            "here" => "@here".into(),
            "channel" => "@channel".into(),
            "everyone" => "@everyone".into(),
            _ => label.map(|l| escape(&l)).unwrap_or_default(),
        };
    }
    let url = decode_entities(target);
    match (safe_url(&url), label) {
        (Some(u), Some(l)) if !l.trim().is_empty() => format!("[{}](<{u}>)", escape(&l)),
        (Some(u), _) => format!("<{u}>"),
        (None, Some(l)) => escape(&l),
        (None, None) => escape(&url),
    }
}

fn code_span(code: &str) -> String {
    let code = decode_entities(code);
    let fence = if code.contains('`') { "`` " } else { "`" };
    let close = if code.contains('`') { " ``" } else { "`" };
    format!("{fence}{code}{close}")
}

/// Splits a line into pieces: code spans and angle tokens become atoms, entities are
/// decoded into characters.
fn pieces(line: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            if let Some(end) = rest[1..].find('`') {
                out.push(Piece::Atom(code_span(&rest[1..=end])));
                rest = &rest[end + 2..];
                continue;
            }
        }
        if c == '<' {
            if let Some(end) = rest.find('>') {
                out.push(Piece::Atom(angle_token(&rest[1..end])));
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c == '&' {
            if let Some((entity, ch)) =
                [("&lt;", '<'), ("&gt;", '>'), ("&amp;", '&')].into_iter().find(|(e, _)| rest.starts_with(e))
            {
                out.push(Piece::Char(ch));
                rest = &rest[entity.len()..];
                continue;
            }
        }
        out.push(Piece::Char(c));
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn is_space(p: Option<&Piece>) -> bool {
    matches!(p, Some(Piece::Char(c)) if c.is_whitespace())
}

/// Where a word may start or end: the line's edge, whitespace or punctuation.
fn boundary(p: Option<&Piece>) -> bool {
    match p {
        None => true,
        Some(Piece::Char(c)) => c.is_whitespace() || (c.is_ascii_punctuation() && !matches!(c, '*' | '_' | '~')),
        Some(Piece::Atom(_)) => false,
    }
}

/// For each delimiter that opens a Slack format, the index of the one that closes it.
fn pairs(ps: &[Piece]) -> Vec<Option<usize>> {
    let mut closes = vec![None; ps.len()];
    let mut used = vec![false; ps.len()];
    for i in 0..ps.len() {
        let Piece::Char(d) = ps[i] else { continue };
        if !matches!(d, '*' | '_' | '~') || used[i] {
            continue;
        }
        let opens = boundary(i.checked_sub(1).map(|j| &ps[j])) && !is_space(ps.get(i + 1)) && i + 1 < ps.len();
        if !opens {
            continue;
        }
        let close = (i + 2..ps.len()).find(|&j| {
            matches!(ps[j], Piece::Char(c) if c == d) && !used[j] && !is_space(ps.get(j - 1)) && boundary(ps.get(j + 1))
        });
        if let Some(j) = close {
            closes[i] = Some(j);
            used[i] = true;
            used[j] = true;
        }
    }
    closes
}

fn format_line(line: &str) -> String {
    let (quote, body) = match line.strip_prefix("&gt;").or_else(|| line.strip_prefix('>')) {
        Some(rest) => ("> ", rest.strip_prefix(' ').unwrap_or(rest)),
        None => ("", line),
    };
    let ps = pieces(body);
    let closes = pairs(&ps);
    let closers: std::collections::HashSet<usize> = closes.iter().flatten().copied().collect();
    let mut text = String::new();
    for (i, p) in ps.iter().enumerate() {
        match p {
            Piece::Atom(md) => text.push_str(md),
            Piece::Char(c) if closes[i].is_some() || closers.contains(&i) => text.push_str(match c {
                '*' => "**",
                '_' => "*",
                _ => "~~",
            }),
            Piece::Char(c) => push_escaped(&mut text, *c),
        }
    }
    format!("{quote}{text}")
}

fn inline_part(text: &str) -> String {
    text.split('\n').map(format_line).collect::<Vec<_>>().join("\n")
}

/// Slack mrkdwn text as CommonMark.
pub fn to_markdown(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(start) = rest.find("```") {
        out.push_str(&inline_part(&rest[..start]));
        let after = &rest[start + 3..];
        let Some(end) = after.find("```") else {
            out.push_str(&inline_part(&rest[start..]));
            return out;
        };
        let code = decode_entities(after[..end].trim_matches('\n'));
        out.truncate(out.trim_end_matches(' ').len());
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("```\n{code}\n```\n"));
        rest = after[end + 3..].strip_prefix('\n').unwrap_or(&after[end + 3..]);
    }
    out.push_str(&inline_part(rest));
    out
}

/// Plain text (a `plain_text` object, `mrkdwn: false`) as literal Markdown, lines kept.
pub fn plain(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("  \n")
}

#[cfg(test)]
mod tests {
    use super::to_markdown as md;

    #[test]
    fn formatting() {
        assert_eq!(md("*bold* _it_ ~gone~"), "**bold** *it* ~~gone~~");
        assert_eq!(md("a * b * c"), "a \\* b \\* c", "spaced stars are not bold");
        assert_eq!(md("snake_case_name"), "snake\\_case\\_name");
        assert_eq!(
            md("*<https://ci.example.com/1|Build 1>* passed"),
            "**[Build 1](<https://ci.example.com/1>)** passed"
        );
        assert_eq!(md("`*not bold*` and ```\nfn x() {}\n```"), "`*not bold*` and\n```\nfn x() {}\n```\n");
    }

    #[test]
    fn tokens() {
        assert_eq!(md("<https://example.com|the site>"), "[the site](<https://example.com>)");
        assert_eq!(md("<https://example.com>"), "<https://example.com>");
        assert_eq!(md("<mailto:a@example.com|mail>"), "[mail](<mailto:a@example.com>)");
        assert_eq!(md("hi <@U024BE7LH|alice> and <@U1>"), "hi @alice and @U1");
        assert_eq!(md("in <#C024BE7LH|general>"), "in #general");
        assert_eq!(md("<!here> <!channel> <!everyone>"), "@here @channel @everyone");
        assert_eq!(md("<!date^1392734382^{date_short}|Feb 18, 2014>"), "Feb 18, 2014");
        assert_eq!(md("&lt;b&gt; &amp; co"), "\\<b\\> \\& co");
        assert_eq!(md("&gt; quoted *text*"), "> quoted **text**");
    }

    #[test]
    fn hostile_links_are_inert() {
        assert_eq!(md("<javascript:alert(1)|click>"), "click");
        assert_eq!(md("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
        assert_eq!(md("<data:text/html,hi>"), "data:text/html,hi");
        assert!(!md("<https://a.example/x\" onclick=\"y|z>").contains("onclick=\"y"));
    }
}
