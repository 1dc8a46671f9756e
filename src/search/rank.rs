//! Relevance for the embedded backend: BM25 over a bounded set of candidate messages,
//! computed here from their text. The statistics (document frequency, average length)
//! come from the candidates themselves.
use std::collections::HashMap;

use uuid::Uuid;

use super::Scoped;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// What ranks a document: each term's text, lowercased (a phrase counts as one).
pub fn needles(q: &Scoped) -> Vec<String> {
    q.query.terms.iter().map(|t| t.text().to_lowercase()).filter(|t| !t.is_empty()).collect()
}

fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.match_indices(needle).count()
}

/// `candidates` (newest first) ordered by BM25 score, ties kept newest first.
pub fn order(candidates: &[Uuid], bodies: &HashMap<Uuid, String>, needles: &[String]) -> Vec<Uuid> {
    let docs: Vec<(Uuid, String)> =
        candidates.iter().map(|id| (*id, bodies.get(id).map(|b| b.to_lowercase()).unwrap_or_default())).collect();
    if docs.is_empty() {
        return Vec::new();
    }
    let n = docs.len() as f64;
    let avg_len = docs.iter().map(|(_, b)| b.chars().count() as f64).sum::<f64>() / n;
    let df: Vec<f64> =
        needles.iter().map(|w| docs.iter().filter(|(_, b)| b.contains(w.as_str())).count() as f64).collect();
    let mut scored: Vec<(f64, usize, Uuid)> = docs
        .iter()
        .enumerate()
        .map(|(i, (id, body))| {
            let len = body.chars().count() as f64;
            let score = needles
                .iter()
                .zip(&df)
                .map(|(w, df)| {
                    let tf = occurrences(body, w) as f64;
                    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len.max(1.0)))
                })
                .sum::<f64>();
            (score, i, *id)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_and_denser_matches_rank_first() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let bodies: HashMap<Uuid, String> = [
            (ids[0], "a long message that mentions deploy once among many other words here".to_owned()),
            (ids[1], "deploy deploy rollback".to_owned()),
            (ids[2], "nothing relevant".to_owned()),
        ]
        .into_iter()
        .collect();
        let ranked = order(&ids, &bodies, &["deploy".into(), "rollback".into()]);
        assert_eq!(ranked, vec![ids[1], ids[0], ids[2]]);
    }
}
