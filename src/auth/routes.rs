//! /api/v1/auth/* and /api/v1/me/tokens: sign in and out, sign up, API tokens.
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::client_ip::client_ip;
use super::current_user::{session_cookie_name, AuthMethod, CurrentUser};
use super::{api_tokens, password, sessions};
use crate::accounts::service as accounts;
use crate::accounts::view::MeView;
use crate::audit::{self, AuditEvent};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;
use crate::validate;

/// Closes the user's open sockets (4001): a socket is authenticated once, at connect,
/// so ending sessions or revoking a token must end the sockets too. Devices that are
/// still signed in reconnect and resume at once.
/// For a change already committed: a failure to close the sockets is logged (their
/// sessions are gone, so they fail at their next request) rather than reported as if
/// the change had not happened.
pub async fn revoke_sockets_after_commit(state: &AppState, user: uuid::Uuid) {
    if let Err(e) = revoke_sockets(state, user).await {
        tracing::warn!(user_id = %user, error = %e, "could not close the sockets of a changed account");
    }
}

pub async fn revoke_sockets(state: &AppState, user: uuid::Uuid) -> AppResult<()> {
    let tx = state.db.write().await?;
    revoke_sockets_in(&tx, user);
    tx.commit().await
}

/// Tells every node, once `tx` commits, to close `user`'s sockets (their clients
/// reconnect with whatever credentials still work).
pub fn revoke_sockets_in(tx: &crate::db::WriteTx, user: uuid::Uuid) {
    tx.emit(NewEvent::user(kind::SESSIONS_REVOKED, user, serde_json::json!({"user_id": user})));
}

pub fn session_cookie(state: &AppState, secret: String) -> Cookie<'static> {
    Cookie::build(session_cookie_name(state), secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies())
        .max_age(CookieDuration::hours(state.settings.auth.session_idle_hours))
        .finish()
}

fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = session_cookie(state, String::new());
    c.make_removal();
    c
}

/// Starts a session for `user_id` and answers with the profile and the cookie.
pub async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::accounts::model::user::Model,
    status: actix_web::http::StatusCode,
) -> AppResult<HttpResponse> {
    signed_in_with(state, req, user, status, None).await
}

/// `signed_in`, for a session that came through an identity provider.
pub async fn signed_in_with(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::accounts::model::user::Model,
    status: actix_web::http::StatusCode,
    sso: Option<sessions::SsoOrigin>,
) -> AppResult<HttpResponse> {
    let ua = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let ip = client_ip(req, &state.settings.server.trusted_proxies).to_string();
    let idle = state.settings.auth.session_idle_hours;
    let s = sessions::create(&state.db.conn, user.id, idle, ua, Some(ip), sso).await?;
    Ok(HttpResponse::build(status).cookie(session_cookie(state, s.secret)).json(MeView::from(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Sign in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody, description = "bad_credentials"),
              (status = 403, body = ErrorBody, description = "account_deactivated (the password was right)"),
              (status = 429, body = ErrorBody, description = "rate_limited")))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let user = authenticate(&state, &req, &body.email, body.password).await?;
    signed_in(&state, &req, &user, actix_web::http::StatusCode::OK).await
}

const DEACTIVATED: &str = "this account has been deactivated; ask an administrator to reactivate it";

/// Checks an e-mail and password under the login throttle (the API and the sign-in
/// page both come here); records the sign-in.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    email: &str,
    given: String,
) -> AppResult<crate::accounts::model::user::Model> {
    let ip = client_ip(req, &state.settings.server.trusted_proxies);
    state.login_throttle.check(ip, email)?;
    if given.len() > password::MAX_LEN {
        return Err(AppError::invalid("password", "too long"));
    }
    let user = accounts::find_by_email(&state.db.conn, email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(given, stored).await?;
    let user = match user {
        Some(u) if ok && u.deactivated_at.is_none() => u,
        // Said only to someone who knows the password: the account exists but is off.
        Some(_) if ok => return Err(AppError::forbidden("account_deactivated", DEACTIVATED)),
        _ => {
            tracing::info!(%ip, "failed login");
            state.login_throttle.spend(ip, email);
            return Err(AppError::BadCredentials);
        }
    };
    crate::sso::policy::check_password_sign_in(&state.db.conn, &user).await?;
    audit::record(&state.db.conn, AuditEvent::new(Some(user.id), "auth.login").ip(ip)).await?;
    Ok(user)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    /// Set when this session came through an identity provider that offers signing out
    /// there too (RP-initiated logout).
    pub provider: Option<ProviderSignOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProviderSignOut {
    pub id: String,
    pub name: String,
    /// Open this in the browser to sign out at the provider too.
    pub logout_url: String,
}

/// End this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 200, body = SignedOut)))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    let mut provider = None;
    if let AuthMethod::Session(id) = me.via {
        let ended = sessions::delete(&state.db.conn, id).await?;
        if let Some(p) = ended.and_then(|s| s.sso_provider_id).and_then(|id| state.sso.get(&id).cloned()) {
            provider = crate::sso::logout::offer(&state, &p.settings.id).await.map(|logout_url| ProviderSignOut {
                id: p.settings.id.clone(),
                name: p.settings.name.clone(),
                logout_url,
            });
        }
    }
    revoke_sockets(&state, me.id()).await?;
    Ok(HttpResponse::Ok().cookie(removal_cookie(&state)).json(SignedOut { provider }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoggedOut {
    pub sessions_ended: u64,
}

/// End every session of mine, on every device (this one included).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", responses((status = 200, body = LoggedOut)))]
#[post("/auth/logout-all")]
pub async fn logout_all(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    let n = sessions::delete_all_for_user(&state.db.conn, me.id(), None).await?;
    crate::accounts::service::void_mailed_links(&state.db.conn, me.id()).await?;
    revoke_sockets(&state, me.id()).await?;
    audit::record(&state.db.conn, AuditEvent::new(Some(me.id()), "auth.logout_all")).await?;
    Ok(HttpResponse::Ok().cookie(removal_cookie(&state)).json(LoggedOut { sessions_ended: n }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The token from an invitation link; required unless open sign-up is on.
    pub invite_token: Option<String>,
    pub email: String,
    pub display_name: String,
    /// Handle for @mentions; derived from the e-mail if omitted.
    pub username: Option<String>,
    pub password: String,
}

/// Create an account from an invitation (or freely, if open sign-up is enabled).
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = MeView), (status = 404, body = ErrorBody, description = "invite_not_found"),
              (status = 409, body = ErrorBody, description = "already_exists / invite_used_up"),
              (status = 422, body = ErrorBody)))]
#[post("/auth/signup")]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignupRequest>,
) -> AppResult<HttpResponse> {
    let ip = client_ip(&req, &state.settings.server.trusted_proxies);
    let user = super::signup::create_account(&state, ip, body.into_inner()).await?;
    signed_in(&state, &req, &user, actix_web::http::StatusCode::CREATED).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Lifetime in hours; none means until revoked.
    pub expires_in_hours: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: api_tokens::TokenView,
    /// The secret, shown only now. Send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Create a personal API token.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
#[post("/me/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<NewToken>,
) -> AppResult<HttpResponse> {
    let name = validate::display_text("name", &body.name, state.settings.limits.name_chars)?;
    if body.expires_in_hours.is_some_and(|h| !(1..=24 * 366 * 5).contains(&h)) {
        return Err(AppError::invalid("expires_in_hours", "must be 1 hour to 5 years"));
    }
    let tx = state.db.write().await?;
    let (info, token) = api_tokens::create(&*tx, me.id(), &name, body.expires_in_hours).await?;
    audit::record(&*tx, AuditEvent::new(Some(me.id()), "auth.token_created").target("api_token", info.id)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CreatedToken { info, token }))
}

/// My API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", responses((status = 200, body = [api_tokens::TokenView])))]
#[get("/me/tokens")]
pub async fn list_tokens(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(api_tokens::list(&state.db.conn, me.id()).await?))
}

/// Revoke one of my API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{token_id}", tag = "auth",
    params(("token_id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/me/tokens/{token_id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    api_tokens::revoke(&state.db.conn, me.id(), path.into_inner()).await?;
    revoke_sockets(&state, me.id()).await?;
    audit::record(&state.db.conn, AuditEvent::new(Some(me.id()), "auth.token_revoked")).await?;
    Ok(HttpResponse::NoContent().finish())
}
