//! The user-info endpoint: what the provider tells about the person holding an access
//! token (plain OAuth2 providers say it only here; OIDC ones when the ID token is terse).
use serde_json::Value;

use super::failure::SsoFailure;
use super::provider::Provider;

const MAX_BYTES: usize = 256 * 1024;

pub async fn fetch(p: &Provider, url: &str, access_token: &str) -> Result<Value, SsoFailure> {
    let fail = |what: String| SsoFailure::provider(format!("user info: {what}"));
    let mut res = p
        .http
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !res.status().is_success() {
        return Err(fail(format!("answered {}", res.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| fail(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(fail("answer too large".into()));
        }
    }
    let doc: Value = serde_json::from_slice(&body).map_err(|_| fail("answer is not JSON".into()))?;
    if !doc.is_object() {
        return Err(fail("answer is not a JSON object".into()));
    }
    Ok(doc)
}

/// Adds user-info claims the ID token lacks; the subject must be the token's (OIDC Core
/// 5.3.2: otherwise the answer is about someone else and must not be used).
pub fn merge_same_subject(claims: &mut Value, info: Value) -> Result<(), SsoFailure> {
    if info.get("sub") != claims.get("sub") {
        return Err(SsoFailure::token("the user-info answer is about another subject"));
    }
    if let (Some(into), Value::Object(from)) = (claims.as_object_mut(), info) {
        for (k, v) in from {
            into.entry(k).or_insert(v);
        }
    }
    Ok(())
}
