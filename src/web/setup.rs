//! /setup: the first-run page that creates the administrator and the first workspace,
//! reached from the one-time link the server prints while it has no users.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::notice::or_notice;
use super::page::html;
use crate::auth::setup::{complete, token_matches, SetupRequest};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    token: String,
    error: Option<String>,
    workspace_name: String,
    display_name: String,
    email: String,
}

fn page(state: &AppState, p: SetupPage, status: StatusCode) -> AppResult<HttpResponse> {
    let body = p.render().map_err(anyhow::Error::from)?;
    Ok(html(state, status, body))
}

#[derive(Deserialize)]
pub struct SetupLink {
    token: Option<String>,
}

#[get("/setup")]
pub async fn setup_page(state: web::Data<AppState>, q: web::Query<SetupLink>) -> AppResult<HttpResponse> {
    let token = q.into_inner().token.unwrap_or_default();
    if !token_matches(&state, &token) {
        return or_notice(&state, Err(AppError::NotFound("setup_token")));
    }
    page(
        &state,
        SetupPage {
            token,
            error: None,
            workspace_name: String::new(),
            display_name: String::new(),
            email: String::new(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct SetupForm {
    token: String,
    workspace_name: String,
    display_name: String,
    email: String,
    password: String,
}

#[post("/setup")]
pub async fn setup_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SetupForm>,
) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let echo = |error: String| SetupPage {
        token: f.token.clone(),
        error: Some(error),
        workspace_name: f.workspace_name.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
    };
    let request = SetupRequest {
        token: f.token.clone(),
        workspace_name: f.workspace_name.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        username: None,
        password: f.password.clone(),
    };
    match complete(&state, request).await {
        Ok(admin) => super::login::signed_in_redirect(&state, &req, &admin, "/", None).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            page(&state, echo(e.to_string()), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => or_notice(&state, Err(e)),
    }
}
