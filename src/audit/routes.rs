//! /api/v1/admin/audit: the audit log, filtered and paged, and its export (instance
//! administrators; a workspace's owners and admins read that workspace's entries).
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::query::{self, AuditQuery, AuditView, Filter, Format};
use super::{record, AuditEvent};
use crate::admin::scope::Admin;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    /// Pass as `before` for the next page; absent on the last one.
    pub next_before: Option<uuid::Uuid>,
}

/// Audit log entries, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/audit")]
pub async fn list(state: web::Data<AppState>, admin: Admin, q: web::Query<AuditQuery>) -> AppResult<HttpResponse> {
    within_reach(&admin, &q)?;
    Ok(HttpResponse::Ok().json(audit_page(&state, &q).await?))
}

/// A workspace's owner or admin reads the entries of a workspace they administer, named
/// in the query; an instance administrator reads everything.
pub fn within_reach(admin: &Admin, q: &AuditQuery) -> AppResult<()> {
    let Some(mine) = admin.workspace_ids() else { return Ok(()) };
    match q.workspace {
        None => Err(AppError::invalid("workspace", "the id of a workspace you administer")),
        Some(w) if mine.contains(&w) => Ok(()),
        Some(_) => Err(AppError::NotFound("workspace")),
    }
}

pub async fn audit_page(state: &AppState, q: &AuditQuery) -> AppResult<AuditPage> {
    let limit = query::limit_of(q)?;
    let filter = Filter::new(&state.db.conn, q).await?;
    let entries = query::page(&state.db.conn, &filter, q.before, limit).await?;
    let next_before = (entries.len() as u64 == limit).then(|| entries.last().map(|e| e.id)).flatten();
    Ok(AuditPage { entries, next_before })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `csv` or `jsonl` (JSON Lines, the default).
    pub format: Option<String>,
}

/// Every matching entry, newest first, streamed as CSV or JSON Lines (`before` and
/// `limit` do not apply). The export itself is recorded in the log.
#[utoipa::path(get, path = "/api/v1/admin/audit/export", tag = "admin", params(AuditQuery, ExportFormat),
    responses((status = 200, content_type = "application/jsonl", body = String), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[get("/audit/export")]
pub async fn export(
    state: web::Data<AppState>,
    admin: Admin,
    q: web::Query<AuditQuery>,
    f: web::Query<ExportFormat>,
) -> AppResult<HttpResponse> {
    within_reach(&admin, &q)?;
    let format = Format::parse(f.format.as_deref())?;
    let filter = Filter::new(&state.db.conn, &q).await?;
    let details = serde_json::json!({
        "format": format.extension(), "actor": q.actor, "action": q.action, "target": q.target,
        "workspace": q.workspace, "since": q.since, "until": q.until,
    });
    let mut event = AuditEvent::new(Some(admin.id()), "audit.exported").details(details);
    event.workspace = q.workspace;
    record(&state.db.conn, event).await?;
    let name = format!("attachment; filename=\"parley-audit.{}\"", format.extension());
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(query::export(state.db.conn.clone(), filter, format)))
}
