//! The search language, the same on every backend:
//! words, "exact phrases", prefixes `deplo*`, `from:@alice`, `in:#ops`,
//! `before:` / `after:` / `on:` dates (YYYY-MM-DD, UTC), `has:file`, `has:link`, `is:thread`.
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::error::AppError;

pub const MAX_QUERY_CHARS: usize = 512;
pub const MAX_TERMS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Prefix(String),
    Phrase(String),
}

impl Term {
    pub fn text(&self) -> &str {
        match self {
            Term::Word(t) | Term::Prefix(t) | Term::Phrase(t) => t,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
    /// Usernames, without `@`; several mean any of them.
    pub from: Vec<String>,
    /// Channel names, without `#`; several mean any of them.
    pub in_channels: Vec<String>,
    /// Unix milliseconds: created at or after / strictly before.
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub has_file: bool,
    pub has_link: bool,
    pub is_thread: bool,
}

fn bad(message: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_search", message)
}

/// Splits on whitespace, keeping "quoted text" (also as a filter value) together.
fn tokens(input: &str) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in input.chars() {
        match c {
            '"' => {
                cur.push(c);
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(bad("a quote is not closed"));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
}

fn day(value: &str, key: &str) -> Result<Date, AppError> {
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map_err(|_| bad(format!("{key}: takes a date like 2026-11-30, not {value:?}")))
}

fn start_ms(d: Date) -> i64 {
    let t = OffsetDateTime::new_utc(d, Time::MIDNIGHT);
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Keeps letters, digits and inner punctuation that words carry (e.g. `e-mail`).
fn clean_word(s: &str) -> String {
    s.trim_matches(|c: char| !c.is_alphanumeric()).to_owned()
}

pub fn parse(input: &str) -> Result<Query, AppError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(bad(format!("a query is at most {MAX_QUERY_CHARS} characters")));
    }
    if input.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(bad("a query may not contain control characters"));
    }
    let mut q = Query::default();
    for tok in tokens(input)? {
        if let Some((key, value)) = tok.split_once(':').filter(|(k, _)| !k.starts_with('"')) {
            let value = unquote(value);
            match key.to_ascii_lowercase().as_str() {
                "from" => q.from.push(value.trim_start_matches('@').to_lowercase()),
                "in" => q.in_channels.push(value.trim_start_matches('#').to_lowercase()),
                "before" => q.before_ms = Some(start_ms(day(value, "before")?)),
                "after" => q.after_ms = Some(start_ms(day(value, "after")?.saturating_add(Duration::DAY))),
                "on" => {
                    let d = day(value, "on")?;
                    q.after_ms = Some(start_ms(d));
                    q.before_ms = Some(start_ms(d.saturating_add(Duration::DAY)));
                }
                "has" => match value.to_ascii_lowercase().as_str() {
                    "file" | "files" | "attachment" => q.has_file = true,
                    "link" | "links" => q.has_link = true,
                    other => return Err(bad(format!("has: takes file or link, not {other:?}"))),
                },
                "is" => match value.to_ascii_lowercase().as_str() {
                    "thread" => q.is_thread = true,
                    other => return Err(bad(format!("is: takes thread, not {other:?}"))),
                },
                _ => {
                    // Not a filter (a time like 10:30, a URL): search for it as words.
                    push_words(&mut q, &tok);
                    continue;
                }
            }
            if value.is_empty() {
                return Err(bad(format!("{key}: needs a value")));
            }
            continue;
        }
        if tok.starts_with('"') {
            let phrase = unquote(&tok).split_whitespace().collect::<Vec<_>>().join(" ");
            if !phrase.is_empty() {
                q.terms.push(Term::Phrase(phrase));
            }
            continue;
        }
        if let Some(stem) = tok.strip_suffix('*') {
            let stem = clean_word(stem);
            if stem.is_empty() {
                return Err(bad("a prefix needs at least one letter before *"));
            }
            q.terms.push(Term::Prefix(stem));
            continue;
        }
        push_words(&mut q, &tok);
    }
    if q.terms.len() > MAX_TERMS {
        return Err(bad(format!("a query has at most {MAX_TERMS} words")));
    }
    let filtered = !q.from.is_empty() || !q.in_channels.is_empty() || q.after_ms.is_some() || q.before_ms.is_some();
    if q.terms.is_empty() && !filtered && !q.has_file && !q.has_link && !q.is_thread {
        return Err(bad("the query is empty"));
    }
    if let (Some(a), Some(b)) = (q.after_ms, q.before_ms) {
        if a >= b {
            return Err(bad("after: must be earlier than before:"));
        }
    }
    Ok(q)
}

fn push_words(q: &mut Query, tok: &str) {
    for part in tok.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '_')) {
        let w = clean_word(part);
        if !w.is_empty() {
            q.terms.push(Term::Word(w));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_prefixes_and_filters() {
        let q = parse(r#"deplo* "release train" Rollback from:@Alice in:#ops has:file has:link is:thread"#).unwrap();
        assert_eq!(
            q.terms,
            vec![Term::Prefix("deplo".into()), Term::Phrase("release train".into()), Term::Word("Rollback".into())]
        );
        assert_eq!((q.from, q.in_channels), (vec!["alice".to_owned()], vec!["ops".to_owned()]));
        assert!(q.has_file && q.has_link && q.is_thread);
    }

    #[test]
    fn dates_are_utc_days() {
        let q = parse("on:2026-11-30").unwrap();
        assert_eq!(q.after_ms, Some(1_795_996_800_000));
        assert_eq!(q.before_ms.unwrap() - q.after_ms.unwrap(), 86_400_000);
        let q = parse("x after:2026-11-29 before:2026-12-01").unwrap();
        assert_eq!(q.before_ms.unwrap() - q.after_ms.unwrap(), 86_400_000, "after: excludes its own day");
    }

    #[test]
    fn bad_syntax_is_a_clear_error() {
        for bad in [
            "\"ab\0cd\"",
            "a\u{1}b*",
            "\"open",
            "before:yesterday",
            "has:cats",
            "is:open",
            "",
            "   ",
            "*",
            "on:2026-02-30",
            "from:",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_search", "{bad:?}");
        }
        assert!(parse(&"a ".repeat(300)).is_err());
    }

    #[test]
    fn unknown_keys_and_cjk_are_words() {
        let q = parse("meet at 10:30 東京の会議").unwrap();
        assert_eq!(q.terms.last(), Some(&Term::Word("東京の会議".into())));
        assert!(q.terms.contains(&Term::Word("10".into())));
    }
}
