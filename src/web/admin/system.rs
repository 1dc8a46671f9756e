//! /admin/system: this node, its dependencies' health right now, and the configuration
//! in effect (secrets as set / not set).
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

use crate::admin::system::{system, SystemView};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::html;

#[derive(Template)]
#[template(path = "admin/system.html")]
struct SystemPage {
    section: &'static str,
    s: SystemView,
}

#[get("/system")]
pub async fn page(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let shown = async {
        let view = SystemPage { section: "system", s: system(&state).await? };
        Ok(html(&state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
    };
    or_notice(&state, shown.await)
}
