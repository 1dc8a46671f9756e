//! OpenID Connect with the `openidconnect` crate: discovery (cached), the authorization
//! URL, the code exchange and the ID token's checks, following a key rotation at the
//! provider by fetching its keys again when a token names a key Parley does not know.
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreGrantType, CoreIdToken, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use super::failure::SsoFailure;
use super::provider::Provider;
use super::settings::SsoSettings;

/// Discovery is fetched again after this long.
const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(3600);

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

/// Discovery fields the crate does not type: RP-initiated logout, RFC 9207.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

pub type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

#[derive(Default)]
pub struct OidcCache {
    discovered: RwLock<Option<(Metadata, Instant)>>,
    /// When the keys were last fetched because a token named an unknown one.
    keys_refreshed: std::sync::Mutex<Option<Instant>>,
}

/// The provider's metadata (and keys), discovered now or recently.
pub async fn metadata(p: &Provider) -> Result<Metadata, SsoFailure> {
    if let Some((m, at)) = &*p.oidc.discovered.read().await {
        if at.elapsed() < DISCOVERY_MAX_AGE {
            return Ok(m.clone());
        }
    }
    let mut slot = p.oidc.discovered.write().await;
    if let Some((m, at)) = &*slot {
        if at.elapsed() < DISCOVERY_MAX_AGE {
            return Ok(m.clone());
        }
    }
    let issuer = IssuerUrl::new(p.settings.issuer.clone()).map_err(|e| SsoFailure::provider(e.to_string()))?;
    let found = Metadata::discover_async(issuer, &p.http)
        .await
        .map_err(|e| SsoFailure::provider(format!("discovery failed: {}", error_chain(&e))))?;
    p.discovered();
    *slot = Some((found.clone(), Instant::now()));
    Ok(found)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn client(
    p: &Provider,
    metadata: Metadata,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    SsoFailure,
> {
    let redirect = RedirectUrl::new(p.redirect_uri.clone()).map_err(|e| SsoFailure::provider(e.to_string()))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(p.settings.client_id.clone()),
        p.client_secret().map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(redirect))
}

/// Where to send the browser: the provider's authorization endpoint with PKCE (S256),
/// `state` and `nonce`.
pub async fn authorize_url(
    p: &Provider,
    state: &str,
    nonce: &str,
    challenge: PkceCodeChallenge,
) -> Result<String, SsoFailure> {
    let client = client(p, metadata(p).await?)?;
    let (state, nonce) = (state.to_owned(), nonce.to_owned());
    let mut req = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, move || CsrfToken::new(state), move || Nonce::new(nonce))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    for s in &p.settings.scopes {
        req = req.add_scope(Scope::new(s.clone()));
    }
    Ok(req.url().0.to_string())
}

/// Exchanges the code (with the PKCE verifier) and checks the ID token; answers its
/// claims, merged with the user-info answer when the token lacks the address.
pub async fn finish(
    p: &Provider,
    sso: &SsoSettings,
    callback: Callback,
    nonce: &str,
) -> Result<Value, SsoFailure> {
    let mut metadata = metadata(p).await?;
    check_callback_issuer(&metadata, callback.iss.as_deref())?;
    let Callback { code, verifier, .. } = callback;
    let token = client(p, metadata.clone())?
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| SsoFailure::provider(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&p.http)
        .await
        .map_err(|e| SsoFailure::exchange(error_chain(&e)))?;
    let id_token = token.id_token().ok_or_else(|| SsoFailure::token("the provider sent no ID token"))?;
    let mut checked = check_id_token(p, sso, &metadata, id_token, nonce);
    if let Err(VerifyError::UnknownKey) = checked {
        metadata = refreshed_keys(p, sso, metadata).await?;
        checked = check_id_token(p, sso, &metadata, id_token, nonce);
    }
    let mut claims = checked.map_err(|e| match e {
        VerifyError::UnknownKey => SsoFailure::token("signed with a key the provider does not publish"),
        VerifyError::Invalid(why) => SsoFailure::token(why),
    })?;
    if claims.get("email").and_then(Value::as_str).is_none() {
        if let Some(url) = metadata.userinfo_endpoint() {
            let info = super::userinfo::fetch(p, url.as_str(), token.access_token().secret()).await?;
            super::userinfo::merge_same_subject(&mut claims, info)?;
        }
    }
    Ok(claims)
}

/// What came back to the callback, with the attempt's PKCE verifier.
pub struct Callback {
    pub code: String,
    pub verifier: String,
    /// RFC 9207's `iss`, when the provider sent one.
    pub iss: Option<String>,
}

/// RFC 9207: an `iss` on the callback must be this provider's issuer (a mix-up attack
/// sends another provider's answer here); a provider that promises one must send it.
fn check_callback_issuer(metadata: &Metadata, iss: Option<&str>) -> Result<(), SsoFailure> {
    use super::failure::FailureKind::IssuerMismatch;
    match iss {
        Some(iss) if iss != metadata.issuer().as_str() => {
            Err(SsoFailure::new(IssuerMismatch, format!("the callback names issuer {iss:?}")))
        }
        None if metadata.additional_metadata().authorization_response_iss_parameter_supported == Some(true) => {
            Err(SsoFailure::new(IssuerMismatch, "the provider promises `iss` on the callback and sent none"))
        }
        _ => Ok(()),
    }
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
    nonce: &str,
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
    let claims = id_token.claims(&verifier, &Nonce::new(nonce.to_owned())).map_err(|e| match e {
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
async fn refreshed_keys(
    p: &Provider,
    sso: &SsoSettings,
    metadata: Metadata,
) -> Result<Metadata, SsoFailure> {
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
