//! Words the index holds, for typo tolerance: a query word also matches the vocabulary
//! words one or two edits away from it (Meilisearch's rule), found here and then matched
//! as substrings like the word itself.
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use super::embedded::{typos_allowed, within_distance};
use super::sql::Sql;
use super::text::{char_len, is_cjk};
use crate::db::Db;

/// Vocabulary words by their first letter, read from `search_vocab` at most once a
/// minute per letter. On SQLite that is an fts5vocab table, and reading it counts every
/// document of every word of the letter ("in", "is", "it" among them for an `i`), ≈ 100
/// ms at a million messages; on PostgreSQL a table of words written with the documents.
/// A new word is found at once; a typo of it, within a minute.
#[derive(Default)]
pub struct Vocabulary {
    by_letter: Mutex<HashMap<char, Words>>,
    /// PostgreSQL: words this process wrote to the vocabulary (or found there), so a
    /// document's common words cost nothing; forgotten all at once past `KNOWN_MAX`.
    known: Mutex<HashSet<String>>,
}

const KNOWN_MAX: usize = 100_000;
/// Words per INSERT, far below PostgreSQL's limit on bound values.
const WORDS_PER_STATEMENT: usize = 5_000;

/// The words a document gives the vocabulary: runs of letters and digits, lower-cased,
/// of 3 to 40 characters, none in a script written without spaces (typos of those are
/// never looked for).
pub fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| (3..=40).contains(&char_len(w)) && !w.chars().any(is_cjk))
        .map(str::to_lowercase)
}

/// One letter's words and when they were read.
type Words = (Instant, Arc<Vec<String>>);

const VOCABULARY_FRESH: Duration = Duration::from_secs(60);

impl Vocabulary {
    async fn starting_with(&self, db: &Db, first: char) -> anyhow::Result<Arc<Vec<String>>> {
        if let Ok(by_letter) = self.by_letter.lock() {
            if let Some((read, words)) = by_letter.get(&first) {
                if read.elapsed() < VOCABULARY_FRESH {
                    return Ok(words.clone());
                }
            }
        }
        let next = char::from_u32(first as u32 + 1).unwrap_or(first);
        let mut sql = Sql::new(db.is_postgres());
        sql.push("SELECT term FROM search_vocab WHERE term >= ").bind(first.to_string());
        sql.push(" AND term < ").bind(next.to_string());
        let mut words = Vec::new();
        for row in db.conn.query_all_raw(sql.statement()).await? {
            words.push(row.try_get_by_index::<String>(0)?);
        }
        let words = Arc::new(words);
        if let Ok(mut by_letter) = self.by_letter.lock() {
            by_letter.insert(first, (Instant::now(), words.clone()));
        }
        Ok(words)
    }

    /// PostgreSQL: adds the words of `texts` the vocabulary lacks, outside any other
    /// transaction (each statement commits by itself); a word is remembered once stored.
    pub async fn add_words(&self, conn: &impl ConnectionTrait, texts: &[&str]) -> anyhow::Result<()> {
        // Sorted: two writers adding the same new words wait for each other instead of
        // deadlocking.
        let mut fresh = BTreeSet::new();
        if let Ok(known) = self.known.lock() {
            fresh.extend(texts.iter().flat_map(|t| words_of(t)).filter(|w| !known.contains(w)));
        }
        let fresh: Vec<String> = fresh.into_iter().collect();
        for chunk in fresh.chunks(WORDS_PER_STATEMENT) {
            let mut sql = Sql::new(true);
            sql.push("INSERT INTO search_vocab (term) VALUES ");
            for (i, word) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" }).bind(word.clone()).push(")");
            }
            sql.push(" ON CONFLICT DO NOTHING");
            conn.execute_raw(sql.statement()).await?;
            if let Ok(mut known) = self.known.lock() {
                if known.len() + chunk.len() > KNOWN_MAX {
                    known.clear();
                }
                known.extend(chunk.iter().cloned());
            }
        }
        Ok(())
    }

    /// Vocabulary words close enough to `word` to count as a typo of it.
    pub async fn typos_of(&self, db: &Db, word: &str) -> anyhow::Result<Vec<String>> {
        let lower = word.to_lowercase();
        let max = typos_allowed(char_len(&lower));
        let Some(first) = lower.chars().next() else { return Ok(Vec::new()) };
        let mut found: Vec<(usize, &String)> = Vec::new();
        let words = self.starting_with(db, first).await?;
        for term in words.iter().filter(|t| **t != lower) {
            if let Some(d) = within_distance(&lower, term, max) {
                found.push((d, term));
            }
        }
        found.sort();
        Ok(found.into_iter().take(20).map(|(_, t)| t.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_gives_its_words_of_three_to_forty_letters_lower_cased() {
        let words: Vec<String> = words_of("Deploy the Kubernetes cluster: v2, ok? 会議室 café-bar x1y2z3").collect();
        assert_eq!(words, ["deploy", "the", "kubernetes", "cluster", "café", "bar", "x1y2z3"]);
        assert_eq!(words_of(&"a".repeat(41)).count(), 0);
    }
}
