//! /login: the sign-in form. A plain HTML form (works before any script loads); on
//! success the session cookie is set and the browser goes on to the chat screen, or
//! back to the page that sent it here (`?next=/invite/…`).
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;

use super::next_path;
use super::notice::or_notice;
use super::page::{html, redirect};
use crate::auth::current_user::{check_origin, page_user};
use crate::auth::routes::{authenticate, signed_in_with};
use crate::auth::sessions::SsoOrigin;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
    next: String,
    /// Sign-in buttons of the identity providers: (link, name).
    providers: Vec<(String, String)>,
    /// Just signed out of a session from this provider: (name, its sign-out link).
    provider_sign_out: Option<(String, String)>,
}

fn render(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    email: String,
    next: String,
) -> AppResult<HttpResponse> {
    render_with(state, status, error, email, next, None)
}

fn render_with(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    email: String,
    next: String,
    provider_sign_out: Option<(String, String)>,
) -> AppResult<HttpResponse> {
    let providers = super::sso::buttons(state, &next);
    let page = LoginPage { error, email, next, providers, provider_sign_out }.render().map_err(anyhow::Error::from)?;
    Ok(html(state, status, page))
}

/// `next` if it is a path on this site (see next_path), else "".
pub fn local_path(state: &AppState, next: Option<String>) -> String {
    next.and_then(|n| next_path::local(&state.settings.server.site_url, &n)).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// The provider of the session just signed out of (the web client adds it).
    signed_out_of: Option<String>,
}

#[get("/login")]
pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let next = local_path(&state, q.next);
    if page_user(&state, &req).await?.is_some() {
        return Ok(redirect(if next.is_empty() { "/" } else { &next }));
    }
    let mut sign_out = None;
    if let Some(p) = q.signed_out_of.as_deref().and_then(|id| state.sso.get(id)) {
        if let Some(link) = crate::sso::logout::offer(&state, &p.settings.id).await {
            sign_out = Some((p.settings.name.clone(), link));
        }
    }
    render_with(&state, StatusCode::OK, None, String::new(), next, sign_out)
}

/// A new session (never an old one: fixation-safe) and a 303 to `to`, a local path.
pub async fn signed_in_redirect(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::accounts::model::user::Model,
    to: &str,
    sso: Option<SsoOrigin>,
) -> AppResult<HttpResponse> {
    let mut res = signed_in_with(state, req, user, StatusCode::SEE_OTHER, sso).await?;
    let to = header::HeaderValue::from_str(to).unwrap_or(header::HeaderValue::from_static("/"));
    res.headers_mut().insert(header::LOCATION, to);
    Ok(res)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let next = local_path(&state, form.next);
    let outcome = match check_origin(&req, &state) {
        Ok(()) => authenticate(&state, &req, &form.email, form.password).await,
        Err(e) => Err(e),
    };
    let (status, message) = match outcome {
        Ok(user) => {
            return signed_in_redirect(&state, &req, &user, if next.is_empty() { "/" } else { &next }, None).await
        }
        Err(AppError::BadCredentials) => {
            (StatusCode::UNAUTHORIZED, "That e-mail and password do not match.".to_owned())
        }
        Err(AppError::Forbidden { code: "sso_required", .. }) => (
            StatusCode::FORBIDDEN,
            "Your workspace signs in through its identity provider: use the button above.".to_owned(),
        ),
        Err(AppError::Forbidden { code: "account_deactivated", .. }) => (
            StatusCode::FORBIDDEN,
            "This account has been deactivated. Ask an administrator to reactivate it.".to_owned(),
        ),
        Err(AppError::RateLimited { retry_after_s }) => {
            (StatusCode::TOO_MANY_REQUESTS, format!("Too many attempts. Wait {retry_after_s} seconds and try again."))
        }
        Err(e @ AppError::Forbidden { code: "csrf_origin_mismatch", .. }) => return or_notice(&state, Err(e)),
        Err(e) if e.status_code().is_client_error() => (e.status_code(), e.to_string()),
        Err(e) => return Err(e),
    };
    render(&state, status, Some(message), form.email, next)
}
