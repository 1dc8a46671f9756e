//! `CurrentUser`: the authenticated, active caller — from the session cookie or a
//! bearer token. Cookie-authenticated unsafe requests must come from our own Origin.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use uuid::Uuid;

use super::credentials::Resolved;
use super::sessions;
use crate::accounts::model::user;
use crate::bots::scopes;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session(Uuid),
    Token(Uuid),
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: user::Model,
    pub via: AuthMethod,
    /// A bot token's scopes (space-separated); None for a person.
    pub scopes: Option<String>,
}

impl CurrentUser {
    pub fn id(&self) -> Uuid {
        self.user.id
    }
}

pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies() {
        sessions::COOKIE_SECURE
    } else {
        sessions::COOKIE_INSECURE
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// The person a page request's session cookie belongs to (pages answer the signed-out
/// with a form or a redirect rather than a 401).
pub async fn page_user(state: &AppState, req: &HttpRequest) -> Result<Option<user::Model>, AppError> {
    Ok(cookie_session(state, req).await?.map(|s| s.user).filter(|u| u.deactivated_at.is_none()))
}

/// The session a request's cookie names, if it is live (its owner may be deactivated).
pub async fn cookie_session(state: &AppState, req: &HttpRequest) -> Result<Option<Resolved>, AppError> {
    let Some(cookie) = req.cookie(session_cookie_name(state)) else { return Ok(None) };
    state.credentials.session(&state.db, cookie.value(), state.settings.auth.session_idle_hours).await
}

/// Cookie auth on an unsafe method needs our Origin (or, for browsers that omit it,
/// `Sec-Fetch-Site: same-origin`). Bearer tokens are not sent by browsers on their own.
pub fn check_origin(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let headers = req.headers();
    let ok = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin == state.settings.site_origin(),
        None => headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin"),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::forbidden("csrf_origin_mismatch", "request Origin does not match this site"))
    }
}

pub async fn authenticate(req: HttpRequest) -> Result<CurrentUser, AppError> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| anyhow::anyhow!("no app state"))?;
    let (resolved, via) = if let Some(token) = bearer(&req) {
        let t = state.credentials.token(&state.db, &token).await?.ok_or(AppError::Unauthenticated)?;
        if t.scopes.is_some() {
            let pattern = req.match_pattern().unwrap_or_default();
            scopes::check(t.scopes.as_deref(), scopes::required(req.method(), &pattern))?;
        }
        let via = AuthMethod::Token(t.id);
        (t, via)
    } else {
        let s = cookie_session(state, &req).await?.ok_or(AppError::Unauthenticated)?;
        check_origin(&req, state)?;
        let via = AuthMethod::Session(s.id);
        (s, via)
    };
    let Resolved { user, scopes, .. } = resolved;
    if user.deactivated_at.is_some() {
        return Err(AppError::Unauthenticated);
    }
    Ok(CurrentUser { user, via, scopes })
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// The caller must be an instance administrator. Admin routes live in scopes whose gate
/// (admin::gate) has checked that already, before any other extractor ran; outside such a
/// scope the check is made here, with the same 404 for anyone else.
pub struct InstanceAdmin(pub CurrentUser);

impl FromRequest for InstanceAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let admitted = req.extensions().get::<crate::admin::gate::Admitted>().cloned();
        let req = req.clone();
        Box::pin(async move {
            if let Some(crate::admin::gate::Admitted(me)) = admitted {
                return Ok(InstanceAdmin(me));
            }
            match authenticate(req).await {
                Ok(me) if me.user.is_admin => Ok(InstanceAdmin(me)),
                Err(e) if e.status_code().is_server_error() => Err(e),
                _ => Err(AppError::NotFound("route")),
            }
        })
    }
}
