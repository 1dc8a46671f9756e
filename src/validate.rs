//! Input rules shared by every domain: names, e-mail addresses, free text.
use crate::error::{AppError, AppResult};

pub const EMAIL_MAX: usize = 254;
pub const USERNAME_MAX: usize = 32;

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control())
}

/// A human-readable name: trimmed, 1..=max characters, no control characters.
pub fn display_text(field: &'static str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters")));
    }
    if has_control(v) {
        return Err(AppError::invalid(field, "must not contain control characters"));
    }
    Ok(v.to_owned())
}

/// Optional free text such as a topic: may be empty, bounded, no control characters
/// except none at all (topics are one line).
pub fn line_text(field: &'static str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters")));
    }
    if has_control(v) {
        return Err(AppError::invalid(field, "must be a single line without control characters"));
    }
    Ok(v.to_owned())
}

/// A plausible e-mail address, lower-cased. Deliverability is proven by mail, not regex.
pub fn email(value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    let bad = || AppError::invalid("email", "must be an address like name@example.com");
    if v.len() > EMAIL_MAX || has_control(&v) || v.contains(char::is_whitespace) {
        return Err(bad());
    }
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.len() > 64 || domain.len() < 3 || !domain.contains('.') || domain.contains('@') {
        return Err(bad());
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad());
    }
    // An address the mail library cannot write into a header could never be mailed.
    if v.parse::<lettre::Address>().is_err() {
        return Err(bad());
    }
    Ok(v)
}

/// A handle for @mentions: lower-case letters, digits, `.`, `_`, `-`; 1..=32.
pub fn username(value: &str) -> AppResult<String> {
    let v = value.trim().trim_start_matches('@').to_lowercase();
    if v.is_empty() || v.len() > USERNAME_MAX {
        return Err(AppError::invalid("username", format!("must be 1 to {USERNAME_MAX} characters")));
    }
    if !v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
        return Err(AppError::invalid("username", "may contain only a-z, 0-9, '.', '_' and '-'"));
    }
    Ok(v)
}

/// A channel or workspace slug: lower-case letters (any script), digits, `-`, `_`.
pub fn slug(field: &'static str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim().trim_start_matches('#').to_lowercase();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be 1 to {max} characters")));
    }
    if !v.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return Err(AppError::invalid(field, "may contain only letters, digits, '-' and '_'"));
    }
    Ok(v)
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in a PATCH body.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in
            ["", "a", "a@b", "@x.io", "a@@x.io", "a b@x.io", "a@.x.io", "a@x..io", "a@x.io\nbcc: b@y.io", "a\u{7}@x.io"]
                .into_iter()
                // Accepted by the checks above, refused by the mail library: never mailable.
                .chain(["a(b)@x.io", ".a@x.io", "a..b@x.io", "a,b@x.io", "a<b@x.io"])
        {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(username("@Bob.Smith").unwrap(), "bob.smith");
        assert!(username("bob smith").is_err());
        assert!(username("<script>").is_err());
        assert_eq!(slug("name", "#General", 80).unwrap(), "general");
        assert_eq!(slug("name", "開発", 80).unwrap(), "開発");
        assert!(slug("name", "a b", 80).is_err());
        assert!(display_text("name", "  ", 80).is_err());
        assert!(display_text("name", "x\u{0}", 80).is_err());
        assert!(display_text("name", &"x".repeat(81), 80).is_err());
    }
}
