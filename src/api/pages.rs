//! Server-rendered pages that exist before the web client: home and the stylesheet.
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::current_user::session_cookie_name;
use crate::auth::sessions;
use crate::error::AppResult;
use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../static/parley.css");

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    user_name: Option<String>,
}

#[get("/")]
pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let mut user_name = None;
    if let Some(cookie) = req.cookie(session_cookie_name(&state)) {
        if let Some(s) =
            sessions::resolve(&state.db.conn, cookie.value(), state.settings.auth.session_idle_hours).await?
        {
            use sea_orm::EntityTrait;
            user_name = crate::accounts::model::user::Entity::find_by_id(s.user_id)
                .one(&state.db.conn)
                .await?
                .filter(|u| u.deactivated_at.is_none())
                .map(|u| u.display_name);
        }
    }
    let html = HomePage { user_name }.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}

#[get("/static/parley.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(STYLESHEET)
}
