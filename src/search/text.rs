//! Text helpers shared by the embedded backends: CJK-aware word splitting and the
//! highlighted snippet every result carries.
use crate::messages::markdown::escape;

/// Han, Hiragana, Katakana and Hangul: scripts written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4dbf}' // CJK extension A
        | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
        | '\u{ac00}'..='\u{d7af}' // Hangul syllables
        | '\u{f900}'..='\u{faff}' // compatibility ideographs
        | '\u{ff66}'..='\u{ff9f}' // half-width Katakana
        | '\u{20000}'..='\u{2ffff}')
}

/// Puts spaces around CJK characters so a word tokenizer sees each as a token, and a
/// CJK word of any length can be found as a phrase of its characters.
pub fn space_cjk(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for c in text.chars() {
        if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters, not bytes: the trigram index needs three of them.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// An HTML-escaped excerpt of `text` around the first match, every case-insensitive
/// occurrence of `needles` wrapped in `<mark>`. At most about `width` characters.
pub fn snippet(text: &str, needles: &[String], width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
    let needles: Vec<Vec<char>> = needles
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect())
        .collect();
    let mut marks = vec![false; chars.len()];
    let mut first: Option<usize> = None;
    for n in &needles {
        if n.len() > lower.len() {
            continue;
        }
        for start in 0..=lower.len() - n.len() {
            if lower[start..start + n.len()] == n[..] {
                first = Some(first.map_or(start, |f: usize| f.min(start)));
                marks[start..start + n.len()].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    let from = first.map_or(0, |f| f.saturating_sub(width / 3));
    let to = (from + width).min(chars.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut i = from;
    while i < to {
        let marked = marks[i];
        let mut j = i;
        while j < to && marks[j] == marked {
            j += 1;
        }
        let piece: String = chars[i..j].iter().collect();
        let piece = piece.replace(['\n', '\r', '\t'], " ");
        if marked {
            out.push_str("<mark>");
            out.push_str(&escape(&piece));
            out.push_str("</mark>");
        } else {
            out.push_str(&escape(&piece));
        }
        i = j;
    }
    if to < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_is_spaced_and_latin_is_not() {
        assert_eq!(space_cjk("ab東京cd"), "ab 東  京 cd");
        assert!(is_cjk('会') && is_cjk('カ') && is_cjk('한') && !is_cjk('a') && !is_cjk('é'));
    }

    #[test]
    fn snippets_escape_and_mark() {
        let s = snippet("Deploy <b>now</b>: the DEPLOYMENT failed", &["deploy".into()], 200);
        assert_eq!(s, "<mark>Deploy</mark> &lt;b&gt;now&lt;/b&gt;: the <mark>DEPLOY</mark>MENT failed");
        let long = format!("{} needle {}", "x".repeat(300), "y".repeat(300));
        let s = snippet(&long, &["needle".into()], 60);
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains("<mark>needle</mark>"), "{s}");
    }
}
