//! /forgot-password and /reset-password: the pages of a password reset (the API is
//! /api/v1/auth/password-reset). Plain forms, working before any script loads.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::notice::or_notice;
use super::page::{html, redirect};
use crate::auth::client_ip::client_ip;
use crate::auth::current_user::check_origin;
use crate::auth::password_reset::{self, VALID_MINUTES};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    sent: bool,
    error: Option<String>,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    token: String,
    error: Option<String>,
}

fn page(state: &AppState, status: StatusCode, body: impl Template) -> AppResult<HttpResponse> {
    Ok(html(state, status, body.render().map_err(anyhow::Error::from)?))
}

#[get("/forgot-password")]
pub async fn forgot_page(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    page(&state, StatusCode::OK, ForgotPage { sent: false, error: None, minutes: VALID_MINUTES })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

#[post("/forgot-password")]
pub async fn forgot_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let asked = async {
        check_origin(&req, &state)?;
        password_reset::request(&state, client_ip(&req, &state.settings.server.trusted_proxies), &form.email).await
    };
    match asked.await {
        Ok(()) => page(&state, StatusCode::OK, ForgotPage { sent: true, error: None, minutes: VALID_MINUTES }),
        Err(AppError::RateLimited { retry_after_s }) => page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            ForgotPage {
                sent: false,
                error: Some(format!("Too many attempts. Wait {retry_after_s} seconds and try again.")),
                minutes: VALID_MINUTES,
            },
        ),
        Err(e) => or_notice(&state, Err(e)),
    }
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

#[get("/reset-password")]
pub async fn reset_page(state: web::Data<AppState>, q: web::Query<ResetQuery>) -> AppResult<HttpResponse> {
    let shown = async {
        password_reset::check(&state, &q.token).await?;
        page(&state, StatusCode::OK, ResetPage { token: q.token.clone(), error: None })
    };
    or_notice(&state, shown.await)
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

#[post("/reset-password")]
pub async fn reset_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let done = async {
        check_origin(&req, &state)?;
        password_reset::complete(&state, &form.token, form.password).await
    };
    match done.await {
        Ok(()) => Ok(redirect("/login")),
        // A weak password: say why, keep the link.
        Err(AppError::Invalid { reason, .. }) => page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            ResetPage { token: form.token, error: Some(format!("That password cannot be used: {reason}.")) },
        ),
        Err(e) => or_notice(&state, Err(e)),
    }
}
