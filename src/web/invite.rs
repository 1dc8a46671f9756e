//! /invite/{token}: where an invitation link leads. A new person creates an account
//! and joins; someone already signed in joins with one click.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::notice::or_notice;
use crate::auth::client_ip::client_ip;
use crate::auth::current_user::{check_origin, page_user};
use crate::auth::routes::SignupRequest;
use crate::auth::signup;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::workspaces::invites;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    token: String,
    workspace_name: String,
    role: &'static str,
    signed_in_as: Option<String>,
    error: Option<String>,
    display_name: String,
    email: String,
    email_locked: bool,
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    token: String,
    error: Option<String>,
    form: Option<&InviteForm>,
) -> AppResult<HttpResponse> {
    let preview = invites::preview(&state.db.conn, &token).await?;
    let me = page_user(state, req).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = InvitePage {
        token,
        workspace_name: preview.workspace_name,
        role: match preview.role.as_str() {
            "admin" => "an admin",
            "guest" => "a guest",
            _ => "a member",
        },
        signed_in_as: me.map(|u| u.display_name),
        error,
        display_name: form.map(|f| f.display_name.clone()).unwrap_or_default(),
        email_locked: preview.email.is_some(),
        email: preview.email.or_else(|| form.map(|f| f.email.clone())).unwrap_or_default(),
    };
    let html = page.render().map_err(anyhow::Error::from)?;
    Ok(super::page::html(state, status, html))
}

#[get("/invite/{token}")]
pub async fn invite_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    or_notice(&state, render(&state, &req, path.into_inner(), None, None).await)
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    accept: Option<String>,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[post("/invite/{token}")]
pub async fn invite_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let form = form.into_inner();
    if form.accept.is_some() {
        return or_notice(&state, accept(&state, &req, &token).await);
    }
    or_notice(&state, sign_up(&state, &req, token, form).await)
}

/// Someone signed in joins with one click; someone whose session ended signs in first
/// and comes back here.
async fn accept(state: &AppState, req: &HttpRequest, token: &str) -> AppResult<HttpResponse> {
    check_origin(req, state)?;
    let Some(me) = page_user(state, req).await? else {
        if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(AppError::NotFound("invite"));
        }
        return Ok(super::page::redirect(&format!("/login?next=/invite/{token}")));
    };
    let tx = state.db.write().await?;
    invites::accept(&tx, token, &me).await?;
    tx.commit().await?;
    Ok(super::page::redirect("/"))
}

async fn sign_up(state: &AppState, req: &HttpRequest, token: String, form: InviteForm) -> AppResult<HttpResponse> {
    check_origin(req, state)?;
    let ip = client_ip(req, &state.settings.server.trusted_proxies);
    let request = SignupRequest {
        invite_token: Some(token.clone()),
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        username: None,
        password: form.password.clone(),
    };
    match signup::create_account(state, ip, request).await {
        Ok(user) => super::login::signed_in_redirect(state, req, &user, "/", None).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            render(state, req, token, Some(e.to_string()), Some(&form)).await
        }
        Err(e) => Err(e),
    }
}
