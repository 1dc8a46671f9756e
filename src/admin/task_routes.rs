//! /api/v1/admin/search, /api/v1/admin/exports and /api/v1/admin/tasks: the search
//! index's state and its rebuild, compliance exports and their download, and the
//! progress of either (instance administrators; a workspace's owners and admins export
//! their workspace and follow their own exports).
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use uuid::Uuid;

use super::export::{self, ExportRequest};
use super::overview::{self, SearchFigures};
use super::scope::Admin;
use super::tasks::{self, TaskView, COMPLIANCE_EXPORT, SEARCH_REBUILD};
use crate::audit::{self, AuditEvent};
use crate::auth::InstanceAdmin;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

const SHOWN: u64 = 20;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchStatus {
    #[serde(flatten)]
    pub index: SearchFigures,
    /// The latest rebuilds, newest first.
    pub rebuilds: Vec<TaskView>,
}

pub async fn search_status(state: &AppState) -> AppResult<SearchStatus> {
    Ok(SearchStatus {
        index: overview::queue_figures(state).await?.search,
        rebuilds: tasks::recent(&state.db.conn, SEARCH_REBUILD, SHOWN).await?,
    })
}

/// The search backend, its backlog, and its latest rebuilds.
#[utoipa::path(get, path = "/api/v1/admin/search", tag = "admin",
    responses((status = 200, body = SearchStatus), (status = 404, body = ErrorBody)))]
#[get("/search")]
pub async fn search(state: web::Data<AppState>, _admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(search_status(&state).await?))
}

/// Starts a rebuild unless one is waiting or running.
pub async fn start_rebuild(state: &AppState, admin: Uuid) -> AppResult<TaskView> {
    let busy = tasks::recent(&state.db.conn, SEARCH_REBUILD, 1).await?;
    if busy.first().is_some_and(|t| t.state == "queued" || t.state == "running") {
        return Err(AppError::conflict("task_running", "a rebuild is already waiting or running"));
    }
    tasks::start(&state.db, Some(admin), SEARCH_REBUILD, serde_json::json!({})).await
}

/// Rebuild the search index from the database (search keeps answering meanwhile).
#[utoipa::path(post, path = "/api/v1/admin/search/rebuild", tag = "admin",
    responses((status = 202, body = TaskView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/search/rebuild")]
pub async fn rebuild(state: web::Data<AppState>, admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(start_rebuild(&state, admin.0.id()).await?))
}

/// A task's progress.
#[utoipa::path(get, path = "/api/v1/admin/tasks/{task_id}", tag = "admin", params(("task_id" = Uuid, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = ErrorBody)))]
#[get("/tasks/{task_id}")]
pub async fn task(state: web::Data<AppState>, admin: Admin, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let t = tasks::get(&state.db.conn, path.into_inner()).await?;
    if !admin.is_instance() && t.requested_by != Some(admin.id()) {
        return Err(AppError::NotFound("task"));
    }
    Ok(HttpResponse::Ok().json(TaskView::from(t)))
}

/// The exports `admin` sees: every one for an instance administrator, else their own.
pub async fn exports_of(state: &AppState, admin: &Admin) -> AppResult<Vec<TaskView>> {
    let mine = (!admin.is_instance()).then(|| admin.id());
    tasks::recent_of(&state.db.conn, COMPLIANCE_EXPORT, SHOWN, mine).await
}

/// Starts an export of what `admin` may export: anything for an instance administrator; a
/// workspace they administer, or one of its channels, for a workspace's owner or admin.
pub async fn start_export(state: &AppState, admin: &Admin, request: ExportRequest) -> AppResult<TaskView> {
    if !admin.is_instance() {
        match request.scope.as_str() {
            "workspace" => drop(admin.workspace(&state.db, request.id).await?),
            "channel" => drop(admin.channel(&state.db, request.id).await?),
            "person" => {
                return Err(crate::access::not_allowed("a person's messages are exported by instance administrators"))
            }
            _ => {}
        }
    }
    export::check(&state.db, &request).await?;
    let params = serde_json::to_value(&request).map_err(anyhow::Error::from)?;
    tasks::start(&state.db, Some(admin.id()), COMPLIANCE_EXPORT, params).await
}

/// Export every message of a workspace, channel or person over a date range as JSON
/// Lines; the file can be downloaded by whoever asked for it, for 24 hours.
#[utoipa::path(post, path = "/api/v1/admin/exports", tag = "admin", request_body = ExportRequest,
    responses((status = 202, body = TaskView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/exports")]
pub async fn create_export(
    state: web::Data<AppState>,
    admin: Admin,
    body: web::Json<ExportRequest>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(start_export(&state, &admin, body.into_inner()).await?))
}

/// The latest compliance exports, newest first (a workspace's admin sees their own).
#[utoipa::path(get, path = "/api/v1/admin/exports", tag = "admin",
    responses((status = 200, body = [TaskView]), (status = 404, body = ErrorBody)))]
#[get("/exports")]
pub async fn exports(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(exports_of(&state, &admin).await?))
}

/// The export's file, for the administrator who asked for it, until it expires; audited.
pub async fn download_export(
    state: &AppState,
    req: &actix_web::HttpRequest,
    admin: Uuid,
    id: Uuid,
) -> AppResult<HttpResponse> {
    let t = tasks::get(&state.db.conn, id).await?;
    let mine = t.kind == COMPLIANCE_EXPORT && t.requested_by == Some(admin);
    let live = t.result.is_some() && t.expires_at.is_some_and(|e| e > now_ms());
    if !mine || !live {
        return Err(AppError::NotFound("export"));
    }
    let tx = state.db.write().await?;
    audit::record(&*tx, AuditEvent::new(Some(admin), "export.downloaded").target("task", id)).await?;
    tx.commit().await?;
    let name = format!("attachment; filename=\"parley-export-{}.jsonl\"", id.simple());
    let mut resp = crate::files::routes::deliver(state, req, &export::file_key(id), "application/jsonl", &name).await?;
    resp.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

/// Download an export (only by the administrator who asked for it, for 24 hours).
#[utoipa::path(get, path = "/api/v1/admin/exports/{task_id}/download", tag = "admin", params(("task_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/jsonl", body = String), (status = 302), (status = 404, body = ErrorBody)))]
#[get("/exports/{task_id}/download")]
pub async fn download(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    download_export(&state, &req, admin.id(), path.into_inner()).await
}
