//! /admin/audit: who did what to what, when, from which address and client; filtered,
//! paged, and exported through the API's streamed export.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::audit::query::{AuditQuery, AuditView};
use crate::audit::routes::audit_page;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::html;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    section: &'static str,
    actor: String,
    action: String,
    since: String,
    until: String,
    entries: Vec<AuditView>,
    /// The filters as a query string, for the export links and the next page.
    filters: String,
    next_before: Option<uuid::Uuid>,
}

#[get("/audit")]
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    super::admin_of(&state, &req).await?;
    or_notice(&state, audit(&state, &req).await)
}

async fn audit(state: &AppState, req: &HttpRequest) -> AppResult<HttpResponse> {
    let q = web::Query::<AuditQuery>::from_query(req.query_string())
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?
        .into_inner();
    let found = audit_page(state, &q).await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let filters = serde_urlencoded::to_string([
        ("actor", text(&q.actor)),
        ("action", text(&q.action)),
        ("since", text(&q.since)),
        ("until", text(&q.until)),
    ])
    .map_err(anyhow::Error::from)?;
    let view = AuditPage {
        section: "audit",
        actor: text(&q.actor),
        action: text(&q.action),
        since: text(&q.since),
        until: text(&q.until),
        entries: found.entries,
        filters,
        next_before: found.next_before,
    };
    Ok(html(state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
}
