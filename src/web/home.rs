//! `/`: the chat screen, an HTML shell for the signed-in (the client's modules do the rest
//! over the REST API and the WebSocket); everyone else is sent to sign in.
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use super::page::{html, redirect};
use crate::auth::current_user::page_user;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    site_name: String,
    /// An instance administrator: the settings offer the way to /admin (nobody else
    /// learns it exists).
    is_admin: bool,
}

#[get("/")]
pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let Some(me) = page_user(&state, &req).await? else {
        return Ok(redirect("/login"));
    };
    let page = AppPage { site_name: "Parley".into(), is_admin: me.is_admin }.render().map_err(anyhow::Error::from)?;
    Ok(html(&state, actix_web::http::StatusCode::OK, page))
}
