//! A parsed, scoped query in Meilisearch's terms: the `q` string, the filter that holds
//! the searcher's permissions, and the sort.
use uuid::Uuid;

use super::super::query::Term;
use super::super::text::{is_cjk, space_cjk};
use super::super::{Scoped, Sort};

pub const NEWEST: &str = "created_at:desc";

#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub q: String,
    pub filter: String,
    pub newest: bool,
}

/// Meilisearch reads `"…"` as a phrase and a leading `-` as "without": a plain word
/// keeps neither, so it means what it means on the embedded backend.
fn plain(word: &str) -> String {
    word.replace('"', " ").trim_start_matches('-').to_owned()
}

fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', " ").split_whitespace().collect::<Vec<_>>().join(" "))
}

/// CJK words become phrases of their characters, matched against the document's
/// spaced `cjk` attribute. Meilisearch matches the last word of `q` as a prefix (and
/// only that one), so a prefix term goes last; further prefixes are searched as words.
fn q_string(terms: &[Term]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut prefix: Option<String> = None;
    for term in terms {
        match term {
            Term::Word(w) | Term::Phrase(w) if w.chars().any(is_cjk) => parts.push(phrase(&space_cjk(w))),
            Term::Word(w) => parts.push(plain(w)),
            Term::Phrase(p) => parts.push(phrase(p)),
            Term::Prefix(p) if prefix.is_none() => prefix = Some(plain(p)),
            Term::Prefix(p) => parts.push(plain(p)),
        }
    }
    parts.extend(prefix);
    parts.retain(|p| !p.trim_matches(|c: char| c == '"' || c.is_whitespace()).is_empty());
    parts.join(" ")
}

fn uuid_list(ids: &[Uuid]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Every condition is ANDed; ids and numbers are the only values, so nothing a
/// searcher types reaches the filter syntax.
fn filter(q: &Scoped) -> String {
    let mut parts = vec![format!("channel_id IN {}", uuid_list(&q.channels))];
    if !q.authors.is_empty() {
        parts.push(format!("author_id IN {}", uuid_list(&q.authors)));
    }
    if let Some(after) = q.query.after_ms {
        parts.push(format!("created_at >= {after}"));
    }
    if let Some(before) = q.query.before_ms {
        parts.push(format!("created_at < {before}"));
    }
    for (on, field) in
        [(q.query.has_file, "has_file"), (q.query.has_link, "has_link"), (q.query.is_thread, "is_thread")]
    {
        if on {
            parts.push(format!("{field} = true"));
        }
    }
    parts.join(" AND ")
}

pub fn plan(q: &Scoped, sort: Sort) -> Plan {
    let q_text = q_string(&q.query.terms);
    // Without words there is nothing to rank: newest first, as on the embedded backend.
    let newest = sort == Sort::Newest || q_text.is_empty();
    Plan { q: q_text, filter: filter(q), newest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    #[test]
    fn permissions_and_filters_are_one_conjunction() {
        // `after:` a day means from the start of the next one.
        let c = Uuid::nil();
        let a = Uuid::max();
        let mut query = parse("\"release train\" deplo* -rollback 会議 has:file is:thread after:2026-01-02").unwrap();
        query.terms.push(Term::Prefix("ops".into()));
        let scoped = Scoped { query, channels: vec![c], authors: vec![a] };
        let p = plan(&scoped, Sort::Relevance);
        assert_eq!(p.q, "\"release train\" rollback \"会 議\" ops deplo");
        assert_eq!(
            p.filter,
            format!(
                "channel_id IN [\"{c}\"] AND author_id IN [\"{a}\"] AND created_at >= 1767398400000 \
                 AND has_file = true AND is_thread = true"
            )
        );
        assert!(!p.newest);
        let only_filters = Scoped { query: parse("has:link").unwrap(), channels: vec![c], authors: vec![] };
        let p = plan(&only_filters, Sort::Relevance);
        assert_eq!((p.q.as_str(), p.newest), ("", true));
    }
}
