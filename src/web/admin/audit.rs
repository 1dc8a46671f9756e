//! /admin/audit: who did what to what, when, from which address and client; filtered,
//! paged, and exported through the API's streamed export.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::admin::scope::Admin;
use crate::admin::workspaces;
use crate::audit::query::{AuditQuery, AuditView};
use crate::audit::routes::{audit_page, within_reach};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::html;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    section: &'static str,
    /// An instance administrator (else a workspace's: its entries only, fewer sections).
    instance: bool,
    /// The workspace whose entries are shown (all of them when absent).
    workspace: Option<uuid::Uuid>,
    /// The workspaces to choose from: (id, name).
    workspaces: Vec<(uuid::Uuid, String)>,
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
    let admin = super::admin_of(&req)?;
    or_notice(&state, audit(&state, &req, &admin).await)
}

async fn audit(state: &AppState, req: &HttpRequest, admin: &Admin) -> AppResult<HttpResponse> {
    // A form sends every field, the ones left empty too: those filter nothing.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?;
    let given = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>();
    let mut q = web::Query::<AuditQuery>::from_query(&serde_urlencoded::to_string(given).map_err(anyhow::Error::from)?)
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?
        .into_inner();
    // A workspace's admin reads their workspace's entries: the first of theirs unless named.
    let administered = workspaces::list_for(&state.db, admin).await?;
    if !admin.is_instance() && q.workspace.is_none() {
        q.workspace = administered.first().map(|w| w.id);
    }
    within_reach(admin, &q)?;
    let found = audit_page(state, &q).await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let workspace = q.workspace.map(|w| ("workspace", w.to_string()));
    let filters = serde_urlencoded::to_string(
        workspace
            .into_iter()
            .chain([
                ("actor", text(&q.actor)),
                ("action", text(&q.action)),
                ("since", text(&q.since)),
                ("until", text(&q.until)),
            ])
            .collect::<Vec<_>>(),
    )
    .map_err(anyhow::Error::from)?;
    let view = AuditPage {
        section: "audit",
        instance: admin.is_instance(),
        workspace: q.workspace,
        workspaces: administered.into_iter().map(|w| (w.id, w.name)).collect(),
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
