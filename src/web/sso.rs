//! /sso/{provider}/start and /sso/{provider}/callback: signing in through an identity
//! provider in the browser. Start records the attempt, sets this browser's sign-in
//! cookie and sends the browser to the provider; the callback checks the answer and
//! signs the person in (a new session) or links the identity to the signed-in person.
//! Every refusal is a page saying what happened and what to do.
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::{local_path, signed_in_redirect};
use super::notice::or_notice;
use super::page::{html, redirect};
use crate::auth::client_ip::client_ip;
use crate::auth::current_user::page_user;
use crate::error::AppResult;
use crate::sso::attempt::{attempt_cookie, cookie_name, removal_cookie};
use crate::sso::failure::{FailureKind, FlowError, SsoFailure};
use crate::sso::flow::{self, CallbackQuery};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "sso_error.html")]
struct SsoErrorPage<'a> {
    provider: &'a str,
    happened: &'a str,
    to_do: &'a str,
    code: &'a str,
    reason: String,
}

fn failure_page(state: &AppState, provider: &str, f: &SsoFailure) -> AppResult<HttpResponse> {
    let (happened, to_do) = f.explain();
    // The short reason helps an administrator; token and exchange details can carry
    // nothing secret (they are the library's verdicts), provider errors are logged only.
    let reason = match f.kind {
        FailureKind::TokenInvalid | FailureKind::IssuerMismatch => f.detail.chars().take(200).collect(),
        _ => String::new(),
    };
    let page = SsoErrorPage { provider, happened, to_do, code: f.code(), reason };
    let mut res = html(state, f.status(), page.render().map_err(anyhow::Error::from)?);
    res.add_cookie(&removal_cookie(state)).map_err(anyhow::Error::from)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

#[get("/sso/{provider}/start")]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let Some(p) = state.sso.get(&id).cloned() else {
        return failure_page(&state, &id, &SsoFailure::new(FailureKind::UnknownProvider, "unknown provider"));
    };
    let q = q.into_inner();
    let next = local_path(&state, q.next);
    // Linking starts from Settings (a POST to the API): a GET anyone can make a
    // signed-in browser open must not start one.
    if page_user(&state, &req).await?.is_some() {
        return Ok(redirect(if next.is_empty() { "/" } else { &next }));
    }
    let ip = client_ip(&req, &state.settings.server.trusted_proxies);
    let existing = req.cookie(cookie_name(&state)).map(|c| c.value().to_owned());
    match flow::start(&state, &p, ip, next, None, existing).await {
        Ok(started) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, started.redirect_to))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(attempt_cookie(&state, started.browser_secret))
            .finish()),
        Err(FlowError::Refused(f)) => failure_page(&state, &p.settings.name, &f),
        Err(FlowError::Server(e)) => or_notice(&state, Err(e)),
    }
}

#[get("/sso/{provider}/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<CallbackQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let Some(p) = state.sso.get(&id).cloned() else {
        return failure_page(&state, &id, &SsoFailure::new(FailureKind::UnknownProvider, "unknown provider"));
    };
    let browser = req.cookie(cookie_name(&state)).map(|c| c.value().to_owned());
    let ip = client_ip(&req, &state.settings.server.trusted_proxies).to_string();
    match flow::finish(&state, &p, q.into_inner(), browser.as_deref(), &ip).await {
        Ok(done) => {
            let next = if done.next_path.is_empty() { "/" } else { done.next_path.as_str() };
            let mut res = if done.linked {
                redirect(if done.next_path.is_empty() { "/#settings" } else { next })
            } else {
                signed_in_redirect(&state, &req, &done.signed_in.user, next, Some(done.origin)).await?
            };
            res.add_cookie(&removal_cookie(&state)).map_err(anyhow::Error::from)?;
            Ok(res)
        }
        Err(FlowError::Refused(f)) => failure_page(&state, &p.settings.name, &f),
        // A client error on the way (two first sign-ins of one person racing) is a page too.
        Err(FlowError::Server(e)) => or_notice(&state, Err(e)),
    }
}

/// RP-initiated logout: on to the provider's sign-out, which sends the browser back to
/// the sign-in page.
#[get("/sso/{provider}/logout")]
pub async fn provider_logout(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let url = match state.sso.get(&path.into_inner()) {
        Some(p) => crate::sso::logout::provider_logout_url(&state, p).await,
        None => None,
    };
    match url {
        Some(u) => HttpResponse::SeeOther().insert_header((header::LOCATION, u)).finish(),
        None => redirect("/login"),
    }
}

/// The sign-in page's buttons: (link, name) for each provider.
pub fn buttons(state: &AppState, next: &str) -> Vec<(String, String)> {
    state
        .sso
        .all()
        .iter()
        .map(|p| {
            let mut href = format!("/sso/{}/start", p.settings.id);
            if !next.is_empty() {
                let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                href.push_str("?next=");
                href.push_str(&encoded);
            }
            (href, p.settings.name.clone())
        })
        .collect()
}
