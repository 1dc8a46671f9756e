//! What a provider said about the person, read from a verified ID token's claims or a
//! user-info answer through the provider's claim names.
use serde_json::Value;

use super::settings::ClaimNames;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    /// True only when the provider says so in so many words (`true`, or `"true"`).
    pub email_verified: bool,
    pub name: Option<String>,
    pub username: Option<String>,
    pub avatar_url: Option<String>,
    pub groups: Vec<String>,
    /// The provider's session id (OIDC `sid`), for back-channel logout.
    pub sid: Option<String>,
}

/// Longest subject kept (the column's size); a longer one is refused, not cut.
pub const SUBJECT_MAX: usize = 255;

/// A dotted name (`realm_access.roles`) walks into nested objects.
fn lookup<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    if name.is_empty() {
        return None;
    }
    if let Some(v) = doc.get(name) {
        return Some(v);
    }
    name.split('.').try_fold(doc, |v, part| v.get(part))
}

fn text(doc: &Value, name: &str) -> Option<String> {
    match lookup(doc, name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        // GitHub's user id is a number.
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Claims {
    /// None when there is no usable subject.
    pub fn read(doc: &Value, names: &ClaimNames) -> Option<Self> {
        let subject = text(doc, &names.subject).filter(|s| s.len() <= SUBJECT_MAX)?;
        let email_verified = match lookup(doc, &names.email_verified) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        let groups = match lookup(doc, &names.groups) {
            Some(Value::Array(items)) => items.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
            Some(Value::String(s)) => s.split([' ', ',']).filter(|g| !g.is_empty()).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Some(Self {
            subject,
            email: text(doc, &names.email).map(|e| e.to_lowercase()),
            email_verified,
            name: text(doc, &names.name),
            username: text(doc, &names.username),
            avatar_url: text(doc, &names.avatar_url).filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            groups,
            sid: text(doc, "sid").filter(|s| s.len() <= 255),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn standard_claims_are_read_and_verification_must_be_explicit() {
        let names = ClaimNames::default();
        let c = Claims::read(
            &json!({"sub": "abc", "email": "Ann@Example.COM", "email_verified": true, "groups": ["eng", "ops"]}),
            &names,
        )
        .unwrap();
        assert_eq!(c.email.as_deref(), Some("ann@example.com"));
        assert!(c.email_verified);
        assert_eq!(c.groups, ["eng", "ops"]);
        for unverified in [
            json!({"sub": "a"}),
            json!({"sub": "a", "email_verified": "yes"}),
            json!({"sub": "a", "email_verified": 1}),
        ] {
            assert!(!Claims::read(&unverified, &names).unwrap().email_verified);
        }
        assert_eq!(Claims::read(&json!({"email": "a@b.c"}), &names), None);
        assert_eq!(Claims::read(&json!({"sub": "x".repeat(256)}), &names), None);
    }

    #[test]
    fn github_style_numbers_and_nested_names() {
        let names = ClaimNames {
            subject: "id".into(),
            username: "login".into(),
            groups: "realm_access.roles".into(),
            avatar_url: "avatar_url".into(),
            ..ClaimNames::default()
        };
        let c = Claims::read(
            &json!({"id": 42, "login": "octo", "realm_access": {"roles": ["a"]}, "avatar_url": "javascript:x"}),
            &names,
        )
        .unwrap();
        assert_eq!((c.subject.as_str(), c.username.as_deref()), ("42", Some("octo")));
        assert_eq!(c.groups, ["a"]);
        assert_eq!(c.avatar_url, None);
    }
}
