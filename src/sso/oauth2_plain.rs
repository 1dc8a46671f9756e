//! Plain OAuth2 providers (no OpenID Connect, e.g. GitHub): the authorization code flow
//! with PKCE through the `oauth2` crate, then who the person is from the user-info URL.
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use serde_json::Value;

use super::failure::SsoFailure;
use super::provider::Provider;

fn client(
    p: &Provider,
) -> Result<
    BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
    SsoFailure,
> {
    let bad = |e: oauth2::url::ParseError| SsoFailure::provider(e.to_string());
    let mut c = BasicClient::new(ClientId::new(p.settings.client_id.clone()))
        .set_auth_uri(AuthUrl::new(p.settings.authorization_url.clone()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(p.settings.token_url.clone()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(p.redirect_uri.clone()).map_err(bad)?);
    if let Some(secret) = p.client_secret() {
        c = c.set_client_secret(ClientSecret::new(secret.to_owned()));
    }
    Ok(c)
}

pub fn authorize_url(p: &Provider, state: &str, challenge: PkceCodeChallenge) -> Result<String, SsoFailure> {
    let state = state.to_owned();
    let client = client(p)?;
    let mut req = client.authorize_url(move || CsrfToken::new(state)).set_pkce_challenge(challenge);
    for s in &p.settings.scopes {
        req = req.add_scope(Scope::new(s.clone()));
    }
    Ok(req.url().0.to_string())
}

/// Exchanges the code (with the PKCE verifier), then asks the user-info URL who it is.
pub async fn finish(p: &Provider, code: String, verifier: String) -> Result<Value, SsoFailure> {
    let token = client(p)?
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&p.http)
        .await
        .map_err(|e| SsoFailure::exchange(e.to_string()))?;
    super::userinfo::fetch(p, &p.settings.userinfo_url, token.access_token().secret()).await
}
