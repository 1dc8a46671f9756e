//! Checking a token the provider signed — the ID token of a sign-in, or a back-channel
//! logout token — with the `openidconnect` crate's verifier plus what it leaves out
//! (azp, the age of iat), following a key rotation at the provider by fetching its keys
//! again (rate limited) when a token names a key Parley does not know.
use std::time::{Duration, Instant};

use openidconnect::core::{CoreIdToken, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{
    ClaimsVerificationError, JsonWebTokenType, Nonce, NormalizedJsonWebTokenType, SignatureVerificationError,
};
use serde_json::Value;

use super::failure::SsoFailure;
use super::oidc::{client, error_chain, Metadata};
use super::provider::Provider;
use super::settings::SsoSettings;

/// Asymmetric algorithms only: `none` and the HS* family (whose key would be the client
/// secret) are never accepted, whatever the provider advertises.
const SAFE_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// What the token must say about the nonce.
#[derive(Clone, Copy)]
pub enum Expect<'a> {
    /// An ID token: the nonce of this sign-in.
    Nonce(&'a str),
    /// A logout token: none at all.
    NoNonce,
}

/// The token's claims if it passes every check; on a key Parley does not know, the
/// provider's keys are fetched again (and `metadata` updated) and the check repeated.
pub async fn verified(
    p: &Provider,
    sso: &SsoSettings,
    metadata: &mut Metadata,
    token: &CoreIdToken,
    expect: Expect<'_>,
) -> Result<Value, SsoFailure> {
    let mut checked = check_id_token(p, sso, metadata, token, expect);
    if let Err(VerifyError::UnknownKey) = checked {
        *metadata = refreshed_keys(p, sso, metadata.clone()).await?;
        checked = check_id_token(p, sso, metadata, token, expect);
    }
    checked.map_err(|e| match e {
        VerifyError::UnknownKey => SsoFailure::token("signed with a key the provider does not publish"),
        VerifyError::Invalid(why) => SsoFailure::token(why),
    })
}

enum VerifyError {
    UnknownKey,
    Invalid(String),
}

/// The signature (asymmetric and advertised algorithms only), iss, aud, azp, exp, iat
/// and nonce; then the claims as JSON (groups and the like are not typed by the crate).
fn check_id_token(
    p: &Provider,
    sso: &SsoSettings,
    metadata: &Metadata,
    id_token: &CoreIdToken,
    expect: Expect<'_>,
) -> Result<Value, VerifyError> {
    let client = client(p, metadata.clone()).map_err(|e| VerifyError::Invalid(e.detail))?;
    let advertised = metadata.id_token_signing_alg_values_supported();
    let algs: Vec<_> = SAFE_ALGS.iter().filter(|a| advertised.contains(a)).cloned().collect();
    let skew = chrono_seconds(sso.clock_skew_s);
    let max_age = chrono_seconds(sso.login_ttl_minutes.max(1) as u64 * 60) + skew;
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(algs)
        // exp: tolerate a clock behind the provider's by the skew.
        .set_time_fn(move || chrono::Utc::now() - skew)
        .set_issue_time_verifier_fn(move |iat| {
            let now = chrono::Utc::now();
            if iat > now + skew {
                Err(format!("issued in the future ({iat})"))
            } else if iat < now - max_age {
                Err(format!("issued too long ago ({iat})"))
            } else {
                Ok(())
            }
        });
    let checked = match expect {
        Expect::Nonce(nonce) => id_token.claims(&verifier, &Nonce::new(nonce.to_owned())),
        // Back-Channel Logout 1.0 types logout tokens `logout+jwt` (plain JWT is allowed).
        Expect::NoNonce => {
            id_token.claims(&verifier.set_allowed_jose_types(logout_token_types()), |n: Option<&Nonce>| match n {
                Some(_) => Err("a logout token carries no nonce".to_owned()),
                None => Ok(()),
            })
        }
    };
    let claims = checked.map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            VerifyError::UnknownKey
        }
        other => VerifyError::Invalid(other.to_string()),
    })?;
    // azp: when present it must be this client; with several audiences it must be present.
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != p.settings.client_id => {
            return Err(VerifyError::Invalid(format!("issued to another party ({})", azp.as_str())));
        }
        None if claims.audiences().len() > 1 => {
            return Err(VerifyError::Invalid("several audiences and no authorized party".into()));
        }
        _ => {}
    }
    payload_json(&id_token.to_string()).ok_or_else(|| VerifyError::Invalid("unreadable claims".into()))
}

fn logout_token_types() -> Vec<NormalizedJsonWebTokenType> {
    ["logout+jwt", "application/jwt", "JWT"]
        .into_iter()
        .filter_map(|t| JsonWebTokenType::new(t.to_owned()).normalize().ok())
        .collect()
}

fn chrono_seconds(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}

/// The claims part of a compact JWT whose signature has been checked.
fn payload_json(compact: &str) -> Option<Value> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let part = compact.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// Fetches the provider's keys again, at most once per `jwks_refresh_min_s`.
async fn refreshed_keys(p: &Provider, sso: &SsoSettings, metadata: Metadata) -> Result<Metadata, SsoFailure> {
    {
        let mut last = p.oidc.keys_refreshed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(sso.jwks_refresh_min_s)) {
            return Err(SsoFailure::token("signed with an unknown key (keys were fetched again moments ago)"));
        }
        *last = Some(Instant::now());
    }
    let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &p.http)
        .await
        .map_err(|e| SsoFailure::provider(format!("fetching the signing keys failed: {}", error_chain(&e))))?;
    let updated = metadata.set_jwks(keys);
    let mut slot = p.oidc.discovered.write().await;
    let at = slot.as_ref().map_or_else(Instant::now, |(_, at)| *at);
    *slot = Some((updated.clone(), at));
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_of_a_compact_token_are_read() {
        let v = payload_json("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.").unwrap();
        assert_eq!(v["sub"], "a");
        assert!(payload_json("not a token").is_none());
    }
}
