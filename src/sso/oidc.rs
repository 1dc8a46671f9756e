//! OpenID Connect with the `openidconnect` crate: discovery (cached), the authorization
//! URL, the code exchange and the ID token's checks, following a key rotation at the
//! provider by fetching its keys again when a token names a key Parley does not know.
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use super::failure::SsoFailure;
use super::provider::Provider;
use super::settings::SsoSettings;
use super::token_check::{verified, Expect};

/// Discovery is fetched again after this long.
const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(3600);

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
    pub(super) discovered: RwLock<Option<(Metadata, Instant)>>,
    /// When the keys were last fetched because a token named an unknown one.
    pub(super) keys_refreshed: std::sync::Mutex<Option<Instant>>,
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

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

pub(super) fn client(
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
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
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
pub async fn finish(p: &Provider, sso: &SsoSettings, callback: Callback, nonce: &str) -> Result<Value, SsoFailure> {
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
    let mut claims = verified(p, sso, &mut metadata, id_token, Expect::Nonce(nonce)).await?;
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
