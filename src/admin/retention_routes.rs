//! /api/v1/admin/retention…: retention policies per workspace and channel, legal holds
//! on channels and people, and running the policy now (instance administrators; a
//! workspace's owners and admins set its policies, but not legal holds).
use actix_web::{get, post, put, web, HttpResponse};
use uuid::Uuid;

use super::retention::{self, ChannelRetention, PersonHold, RetentionView, WorkspaceRetention};
use super::scope::Admin;
use super::tasks::TaskView;
use crate::access::not_allowed;
use crate::auth::InstanceAdmin;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;

/// Every policy and hold, and the latest runs.
#[utoipa::path(get, path = "/api/v1/admin/retention", tag = "admin",
    responses((status = 200, body = RetentionView), (status = 404, body = ErrorBody)))]
#[get("/retention")]
pub async fn overview(state: web::Data<AppState>, _admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(retention::view(&state).await?))
}

/// How long a workspace keeps messages and their files.
#[utoipa::path(put, path = "/api/v1/admin/workspaces/{workspace_id}/retention", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = WorkspaceRetention,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/workspaces/{workspace_id}/retention")]
pub async fn workspace(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<WorkspaceRetention>,
) -> AppResult<HttpResponse> {
    let ws = admin.workspace(&state.db, path.into_inner()).await?;
    retention::set_workspace(&state.db, Some(admin.id()), ws.workspace.id, body.retention_days).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A channel's own policy, and its legal hold (an instance administrator's to change).
#[utoipa::path(put, path = "/api/v1/admin/channels/{channel_id}/retention", tag = "admin",
    params(("channel_id" = Uuid, Path)), request_body = ChannelRetention,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/channels/{channel_id}/retention")]
pub async fn channel(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<ChannelRetention>,
) -> AppResult<HttpResponse> {
    let a = admin.channel(&state.db, path.into_inner()).await?;
    if !admin.is_instance() && body.legal_hold != a.channel.legal_hold {
        return Err(not_allowed("legal holds are placed and lifted by instance administrators"));
    }
    retention::set_channel(&state.db, Some(admin.id()), a.channel.id, body.retention_days, body.legal_hold).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Put what a person wrote on legal hold, or take it off.
#[utoipa::path(put, path = "/api/v1/admin/users/{user_id}/legal-hold", tag = "admin",
    params(("user_id" = Uuid, Path)), request_body = PersonHold,
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[put("/users/{user_id}/legal-hold")]
pub async fn person(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
    body: web::Json<PersonHold>,
) -> AppResult<HttpResponse> {
    retention::set_person_hold(&state.db, Some(admin.0.id()), path.into_inner(), body.legal_hold).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Apply every policy now (Parley also does once a day).
#[utoipa::path(post, path = "/api/v1/admin/retention/run", tag = "admin",
    responses((status = 202, body = TaskView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/retention/run")]
pub async fn run(state: web::Data<AppState>, admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(retention::start(&state.db, Some(admin.0.id())).await?))
}
