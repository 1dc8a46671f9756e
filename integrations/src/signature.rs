//! The sender's proof that a request is theirs, for hooks that have a secret:
//! GitHub signs the body (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`), Sentry too
//! (`Sentry-Hook-Signature: <hex HMAC-SHA256>`); GitLab sends the secret itself
//! (`X-Gitlab-Token`); Alertmanager and Grafana send it as `Authorization: Bearer`.
//! Every comparison takes constant time.
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{header, ConvertError, Headers, Source};

/// HMAC-SHA256 of `data` under `key` (what GitHub, Sentry and Standard Webhooks sign with).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// GitHub's `X-Hub-Signature-256` value for `body`.
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret, body)))
}

fn hmac_matches(secret: &[u8], body: &[u8], hex_signature: &str) -> bool {
    let Ok(given) = hex::decode(hex_signature.trim()) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn equals(secret: &[u8], given: &str) -> bool {
    secret.ct_eq(given.trim().as_bytes()).into()
}

pub fn verify(source: Source, headers: Headers<'_>, body: &[u8], secret: &[u8]) -> Result<(), ConvertError> {
    let ok = match source {
        Source::GitHub => {
            let sig = header(headers, "x-hub-signature-256").ok_or(ConvertError::MissingSignature)?;
            let hex = sig.strip_prefix("sha256=").ok_or(ConvertError::BadSignature)?;
            hmac_matches(secret, body, hex)
        }
        Source::Sentry => {
            let sig = header(headers, "sentry-hook-signature").ok_or(ConvertError::MissingSignature)?;
            hmac_matches(secret, body, sig)
        }
        Source::GitLab => equals(secret, header(headers, "x-gitlab-token").ok_or(ConvertError::MissingSignature)?),
        Source::Alertmanager | Source::Grafana => {
            let auth = header(headers, "authorization").ok_or(ConvertError::MissingSignature)?;
            let (scheme, token) = auth.split_once(' ').ok_or(ConvertError::BadSignature)?;
            scheme.eq_ignore_ascii_case("bearer") && equals(secret, token)
        }
        // Slack's format has no signature: the token in the URL is the credential.
        Source::Slack => true,
    };
    if ok {
        Ok(())
    } else {
        Err(ConvertError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_signatures() {
        // HMAC-SHA256("It's a Secret to Everybody", "Hello, World!") from GitHub's documentation.
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let body = b"Hello, World!";
        let secret = b"It's a Secret to Everybody";
        assert_eq!(verify(Source::GitHub, &[("x-hub-signature-256", sig)], body, secret), Ok(()));
        assert_eq!(
            verify(Source::GitHub, &[("x-hub-signature-256", sig)], b"Hello, World?", secret),
            Err(ConvertError::BadSignature)
        );
        assert_eq!(verify(Source::GitHub, &[], body, secret), Err(ConvertError::MissingSignature));
        assert_eq!(
            verify(Source::GitHub, &[("x-hub-signature-256", "sha1=00")], body, secret),
            Err(ConvertError::BadSignature)
        );
    }

    #[test]
    fn tokens_and_bearer_secrets() {
        assert_eq!(verify(Source::GitLab, &[("x-gitlab-token", "s3cret")], b"{}", b"s3cret"), Ok(()));
        assert_eq!(
            verify(Source::GitLab, &[("x-gitlab-token", "s3cre")], b"{}", b"s3cret"),
            Err(ConvertError::BadSignature)
        );
        assert_eq!(verify(Source::Grafana, &[("authorization", "Bearer s3cret")], b"{}", b"s3cret"), Ok(()));
        assert_eq!(
            verify(Source::Alertmanager, &[("authorization", "Basic s3cret")], b"{}", b"s3cret"),
            Err(ConvertError::BadSignature)
        );
    }
}
