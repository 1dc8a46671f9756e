//! Signing out across Parley and the identity provider: RP-initiated logout (after
//! signing out of Parley, the person is offered the provider's sign-out) and OpenID
//! Connect Back-Channel Logout 1.0 (the provider posts a signed logout token; the
//! sessions it names end and the person's sockets close).
use actix_web::{post, web, HttpResponse};
use openidconnect::core::CoreIdToken;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{json, Value};

use super::claims::Claims;
use super::failure::SsoFailure;
use super::identity;
use super::oidc;
use super::provider::Provider;
use super::settings::ProviderKind;
use super::token_check::{verified, Expect};
use crate::audit::{self, AuditEvent};
use crate::auth::model::session;
use crate::error::AppResult;
use crate::state::AppState;

const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

async fn end_session_endpoint(p: &Provider) -> Option<url::Url> {
    if p.settings.kind != ProviderKind::Oidc {
        return None;
    }
    let metadata = oidc::metadata(p).await.ok()?;
    let endpoint = metadata.additional_metadata().end_session_endpoint.as_deref()?;
    url::Url::parse(endpoint).ok().filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// Where a person who signed out of a session from `provider_id` can sign out of the
/// provider too; None when the provider offers no sign-out (or is gone).
pub async fn offer(state: &AppState, provider_id: &str) -> Option<String> {
    let p = state.sso.get(provider_id)?;
    end_session_endpoint(p).await?;
    Some(format!("{}/sso/{provider_id}/logout", state.settings.site_base()))
}

/// The provider's end-session URL for this client, coming back to the sign-in page.
pub async fn provider_logout_url(state: &AppState, p: &Provider) -> Option<String> {
    let mut url = end_session_endpoint(p).await?;
    url.query_pairs_mut()
        .append_pair("client_id", &p.settings.client_id)
        .append_pair("post_logout_redirect_uri", &format!("{}/login", state.settings.site_base()));
    Some(url.to_string())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LogoutForm {
    /// The provider's signed logout token (a JWT).
    logout_token: String,
}

/// OIDC Back-Channel Logout 1.0, called by the identity provider: the sessions the
/// logout token names end and the person's sockets close. 200 when the token is good
/// (whether or not it named a session Parley still has), 400 otherwise.
#[utoipa::path(post, path = "/sso/{provider}/backchannel-logout", tag = "auth",
    params(("provider" = String, Path, description = "the provider's id in the configuration")),
    request_body(content = LogoutForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200), (status = 400, description = "invalid_request: the token failed a check")))]
#[post("/sso/{provider}/backchannel-logout")]
pub async fn backchannel(
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    // Why a token failed goes to the log and the admin view, not to the caller: it
    // would coach someone forging tokens.
    let refused = |e: SsoFailure| {
        tracing::info!(detail = %e.detail, "back-channel logout refused");
        HttpResponse::BadRequest()
            .insert_header(("cache-control", "no-store"))
            .json(json!({"error": "invalid_request", "error_description": "the logout token was not accepted"}))
    };
    // Read here rather than by the form extractor, whose refusals are pages for people.
    let form = match crate::edge::body::collect(payload, 64 * 1024).await {
        Ok(body) => serde_urlencoded::from_bytes::<LogoutForm>(&body).ok(),
        Err(_) => None,
    };
    let Some(form) = form else { return Ok(refused(SsoFailure::token("not a form with a logout_token"))) };
    let Some(p) = state.sso.get(&path.into_inner()).cloned() else {
        return Ok(refused(SsoFailure::token("no such provider")));
    };
    let claims = match logout_claims(&state, &p, &form.logout_token).await {
        Ok(c) => c,
        Err(e) => return Ok(refused(e)),
    };
    end_sessions(&state, &p, &claims).await?;
    Ok(HttpResponse::Ok().insert_header(("cache-control", "no-store")).finish())
}

/// The logout token's claims once its signature, issuer, audience, times and form are
/// checked: the back-channel event, a `jti`, no nonce, and a subject.
async fn logout_claims(state: &AppState, p: &Provider, token: &str) -> Result<Value, SsoFailure> {
    if p.settings.kind != ProviderKind::Oidc {
        return Err(SsoFailure::token("not an OpenID Connect provider"));
    }
    // The crate's ID token type reads it; a token without `sub` (sid only) does not parse.
    let token: CoreIdToken = serde_json::from_value(Value::String(token.to_owned()))
        .map_err(|_| SsoFailure::token("not a logout token Parley can read (it needs iss, aud, iat, exp, sub)"))?;
    let mut metadata = oidc::metadata(p).await?;
    let claims = verified(p, &state.settings.sso, &mut metadata, &token, Expect::NoNonce).await?;
    if !claims.get("events").and_then(|e| e.get(BACKCHANNEL_EVENT)).is_some_and(Value::is_object) {
        return Err(SsoFailure::token("not a back-channel logout token (no logout event)"));
    }
    if claims.get("jti").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(SsoFailure::token("the logout token has no jti"));
    }
    Ok(claims)
}

/// Ends the sessions the token names that came through this provider: those of the
/// provider session `sid` when it is given, else every one of the person the subject
/// names (read through the provider's `claims.subject`: a provider configured with
/// another subject claim than `sub` is matched by `sid` alone). Their sockets close.
async fn end_sessions(state: &AppState, p: &Provider, claims: &Value) -> AppResult<()> {
    let subject = Claims::read(claims, &p.settings.claims).map(|c| c.subject);
    let person = match &subject {
        Some(s) => identity::find(&state.db.conn, &p.issuer(), s).await?.map(|l| l.user_id),
        None => None,
    };
    let sid = claims.get("sid").and_then(Value::as_str).filter(|s| !s.is_empty());
    if person.is_none() && sid.is_none() {
        return Ok(());
    }
    let mut named = session::Entity::find().filter(session::Column::SsoProviderId.eq(&p.settings.id));
    if let Some(user_id) = person {
        named = named.filter(session::Column::UserId.eq(user_id));
    }
    if let Some(sid) = sid {
        named = named.filter(session::Column::SsoSid.eq(sid));
    }
    let tx = state.db.write().await?;
    let sessions = named.all(&*tx).await?;
    let mut people: Vec<uuid::Uuid> = sessions.iter().map(|s| s.user_id).collect();
    people.sort();
    people.dedup();
    let ids: Vec<_> = sessions.iter().map(|s| s.id).collect();
    session::Entity::delete_many().filter(session::Column::Id.is_in(ids)).exec(&*tx).await?;
    for user_id in person.iter().chain(people.iter()).copied().collect::<std::collections::BTreeSet<_>>() {
        let ended = sessions.iter().filter(|s| s.user_id == user_id).count();
        let ev = AuditEvent::new(Some(user_id), "sso.backchannel_logout").target("user", user_id);
        audit::record(&*tx, ev.details(json!({"provider": p.settings.id, "sessions_ended": ended}))).await?;
    }
    tx.commit().await?;
    for user_id in people {
        crate::auth::routes::revoke_sockets_after_commit(state, user_id).await;
    }
    Ok(())
}
