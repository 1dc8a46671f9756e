//! The two ends of a sign-in through a provider: `start` (the button) and `finish`
//! (the provider sending the browser back), whatever the provider's kind.
use openidconnect::PkceCodeChallenge;
use uuid::Uuid;

use super::attempt::{self, NewAttempt, Secrets};
use super::claims::Claims;
use super::failure::{FailureKind, FlowError, SsoFailure};
use super::identity::{self, Intent, SignedIn};
use super::provider::Provider;
use super::settings::ProviderKind;
use super::{oauth2_plain, oidc};
use crate::auth::secret_token;
use crate::state::AppState;

pub struct Started {
    /// The provider's authorization URL.
    pub redirect_to: String,
    /// Goes into this browser's sign-in cookie.
    pub browser_secret: String,
}

/// Records the attempt and answers where to send the browser. `browser_secret` is the
/// one already in this browser's cookie, if any (two tabs signing in at once keep
/// working).
pub async fn start(
    state: &AppState,
    p: &Provider,
    ip: std::net::IpAddr,
    next_path: String,
    link_user_id: Option<Uuid>,
    browser_secret: Option<String>,
) -> Result<Started, FlowError> {
    if state.sso.may_start(ip).is_err() {
        return Err(SsoFailure::new(FailureKind::Throttled, format!("too many sign-ins started from {ip}")).into());
    }
    let state_param = secret_token::generate("");
    let nonce = secret_token::generate("");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let redirect_to = match p.settings.kind {
        ProviderKind::Oidc => oidc::authorize_url(p, &state_param, &nonce, challenge).await,
        ProviderKind::Oauth2 => oauth2_plain::authorize_url(p, &state_param, challenge),
    }
    .inspect_err(|f| note_failure(p, f))?;
    let browser_secret = browser_secret.filter(|s| s.len() == 43).unwrap_or_else(|| secret_token::generate(""));
    attempt::store(
        state,
        NewAttempt {
            provider_id: &p.settings.id,
            state: &state_param,
            browser_secret: &browser_secret,
            secrets: Secrets { nonce, pkce_verifier: verifier.secret().clone() },
            next_path,
            link_user_id,
        },
    )
    .await?;
    Ok(Started { redirect_to, browser_secret })
}

/// The callback's query.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

pub struct Finished {
    pub signed_in: SignedIn,
    /// What the new session records of its provider.
    pub origin: crate::auth::sessions::SsoOrigin,
    pub next_path: String,
    pub linked: bool,
}

/// Checks everything, then signs in (or links) the person the provider vouched for.
pub async fn finish(
    state: &AppState,
    p: &Provider,
    q: CallbackQuery,
    browser_secret: Option<&str>,
    ip: &str,
) -> Result<Finished, FlowError> {
    let out = finish_inner(state, p, q, browser_secret, ip).await;
    match &out {
        Ok(_) => p.signed_in(),
        Err(FlowError::Refused(f)) => note_failure(p, f),
        Err(FlowError::Server(_)) => {}
    }
    out
}

fn note_failure(p: &Provider, f: &SsoFailure) {
    tracing::info!(provider = %p.settings.id, code = f.code(), detail = %f.detail, "sso sign-in refused");
    p.failed(&f.to_string());
}

async fn finish_inner(
    state: &AppState,
    p: &Provider,
    q: CallbackQuery,
    browser_secret: Option<&str>,
    ip: &str,
) -> Result<Finished, FlowError> {
    let state_param = q.state.filter(|s| !s.is_empty() && s.len() <= 256);
    let Some(state_param) = state_param else {
        return Err(SsoFailure::new(FailureKind::BadCallback, "no state").into());
    };
    // Claimed before anything else: a refused answer still uses the attempt up.
    let claimed = attempt::claim(state, &p.settings.id, &state_param, browser_secret).await?;
    if let Some(error) = q.error {
        let error: String = error.chars().take(100).collect();
        return Err(SsoFailure::new(FailureKind::ProviderRefused, format!("the provider answered {error:?}")).into());
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return Err(SsoFailure::new(FailureKind::BadCallback, "no code").into());
    };
    let verifier = claimed.secrets.pkce_verifier;
    let doc = match p.settings.kind {
        ProviderKind::Oidc => {
            let callback = oidc::Callback { code, verifier, iss: q.iss };
            oidc::finish(p, &state.settings.sso, callback, &claimed.secrets.nonce).await?
        }
        ProviderKind::Oauth2 => oauth2_plain::finish(p, code, verifier).await?,
    };
    let claims = Claims::read(&doc, &p.settings.claims)
        .ok_or_else(|| SsoFailure::token(format!("no usable `{}` claim", p.settings.claims.subject)))?;
    let intent = claimed.link_user_id.map_or(Intent::SignIn, Intent::Link);
    let signed_in = identity::resolve(state, p, &claims, intent, ip).await?;
    let origin = crate::auth::sessions::SsoOrigin { provider_id: p.settings.id.clone(), sid: claims.sid };
    Ok(Finished { signed_in, origin, next_path: claimed.next_path, linked: matches!(intent, Intent::Link(_)) })
}
