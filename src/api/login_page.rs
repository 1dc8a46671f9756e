//! /login: the sign-in form. A plain HTML form (works before any script loads); on
//! success the session cookie is set and the browser goes to the chat screen.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::pages::{html, redirect};
use crate::auth::current_user::{check_origin, page_user};
use crate::auth::routes::{authenticate, signed_in};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
}

fn render(state: &AppState, status: StatusCode, error: Option<String>, email: String) -> AppResult<HttpResponse> {
    let page = LoginPage { error, email }.render().map_err(anyhow::Error::from)?;
    Ok(html(state, status, page))
}

#[get("/login")]
pub async fn login_page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if page_user(&state, &req).await?.is_some() {
        return Ok(redirect("/"));
    }
    render(&state, StatusCode::OK, None, String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

#[post("/login")]
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    check_origin(&req, &state)?;
    let form = form.into_inner();
    match authenticate(&state, &req, &form.email, form.password).await {
        Ok(user) => {
            let mut res = signed_in(&state, &req, &user, StatusCode::SEE_OTHER).await?;
            res.headers_mut()
                .insert(actix_web::http::header::LOCATION, actix_web::http::header::HeaderValue::from_static("/"));
            Ok(res)
        }
        Err(AppError::BadCredentials) => {
            render(&state, StatusCode::UNAUTHORIZED, Some("That e-mail and password do not match.".into()), form.email)
        }
        Err(AppError::RateLimited { .. }) => render(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many attempts. Wait a minute and try again.".into()),
            form.email,
        ),
        Err(e) => Err(e),
    }
}
