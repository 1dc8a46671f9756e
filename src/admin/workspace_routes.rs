//! /api/v1/admin/workspaces/… and /api/v1/admin/channels/…: every workspace, its
//! channels and members, changed with a workspace owner's rights by an instance
//! administrator, or with their own by an owner or admin of that workspace (creating
//! workspaces, their limits and moving people between them are the instance's).
use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::scope::Admin;
use super::workspaces::{self, WorkspaceDetail, WorkspaceRow};
use crate::access::WorkspaceRole;
use crate::auth::InstanceAdmin;
use crate::channels::manage;
use crate::channels::service::ChannelPatch;
use crate::channels::view::ChannelView;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;
use crate::workspaces::invites::CreatedInvite;
use crate::workspaces::routes::{NewInvite, NewWorkspace};
use crate::workspaces::settings_routes::{change, WorkspaceSettings};

/// Every workspace with its size, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/workspaces", tag = "admin",
    responses((status = 200, body = [WorkspaceRow]), (status = 404, body = ErrorBody)))]
#[get("/workspaces")]
pub async fn list(state: web::Data<AppState>, admin: Admin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(workspaces::list_for(&state.db, &admin).await?))
}

/// One workspace: every channel (private ones and conversations by size only) and member.
#[utoipa::path(get, path = "/api/v1/admin/workspaces/{workspace_id}", tag = "admin",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = WorkspaceDetail), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}")]
pub async fn detail(state: web::Data<AppState>, admin: Admin, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = admin.workspace(&state.db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(workspaces::detail(&state, ws.workspace.id).await?))
}

/// Change a workspace's sign-in policy or who may create webhooks.
#[utoipa::path(patch, path = "/api/v1/admin/workspaces/{workspace_id}/settings", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = WorkspaceSettings,
    responses((status = 200, body = WorkspaceRow), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/workspaces/{workspace_id}/settings")]
pub async fn settings(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<WorkspaceSettings>,
) -> AppResult<HttpResponse> {
    let ws = admin.workspace(&state.db, path.into_inner()).await?;
    change(&state, admin.id(), &ws.workspace, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(workspaces::detail(&state, ws.workspace.id).await?.workspace))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    pub role: WorkspaceRole,
}

/// Change a member's role in a workspace (a workspace keeps one owner).
#[utoipa::path(put, path = "/api/v1/admin/workspaces/{workspace_id}/members/{user_id}", tag = "admin",
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = MemberRole,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/workspaces/{workspace_id}/members/{user_id}")]
pub async fn member_role(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<MemberRole>,
) -> AppResult<HttpResponse> {
    let (ws_id, user_id) = path.into_inner();
    let ws = admin.workspace(&state.db, ws_id).await?;
    crate::workspaces::service::change_role(&state.db, &ws, admin.id(), user_id, body.role).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a member from a workspace: their access to it ends at once.
#[utoipa::path(delete, path = "/api/v1/admin/workspaces/{workspace_id}/members/{user_id}", tag = "admin",
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/workspaces/{workspace_id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (ws_id, user_id) = path.into_inner();
    let ws = admin.workspace(&state.db, ws_id).await?;
    crate::workspaces::service::remove_member(&state.db, &ws, admin.id(), user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rename a channel, or set its topic and purpose.
#[utoipa::path(patch, path = "/api/v1/admin/channels/{channel_id}", tag = "admin", params(("channel_id" = Uuid, Path)),
    request_body = ChannelPatch,
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[patch("/channels/{channel_id}")]
pub async fn update_channel(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<ChannelPatch>,
) -> AppResult<HttpResponse> {
    let a = admin.channel(&state.db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(manage::update(&state.db, &a, admin.id(), body.into_inner()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelState {
    /// Archived: read-only for everyone until unarchived.
    pub archived: Option<bool>,
    /// Private: only members see it (and its history and search results) from now on;
    /// public: everyone in the workspace may find it and read its whole history.
    pub private: Option<bool>,
}

/// Archive or unarchive a channel, or make it private or public.
#[utoipa::path(put, path = "/api/v1/admin/channels/{channel_id}/state", tag = "admin", params(("channel_id" = Uuid, Path)),
    request_body = ChannelState,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/channels/{channel_id}/state")]
pub async fn channel_state(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<ChannelState>,
) -> AppResult<HttpResponse> {
    set_channel_state(&state, &admin, path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn set_channel_state(state: &AppState, admin: &Admin, id: Uuid, wanted: ChannelState) -> AppResult<()> {
    let a = admin.channel(&state.db, id).await?;
    if let Some(private) = wanted.private {
        manage::set_private(&state.db, &a, admin.id(), private).await?;
    }
    if let Some(archived) = wanted.archived {
        let a = admin.channel(&state.db, id).await?;
        if a.channel.archived_at.is_some() != archived {
            manage::set_archived(&state.db, &a, admin.id(), archived).await?;
        }
    }
    Ok(())
}

/// Creates a workspace (with #general) owned by `admin`, audited.
pub async fn create_workspace(state: &AppState, admin: Uuid, body: NewWorkspace) -> AppResult<Uuid> {
    let tx = state.db.write().await?;
    let name_max = state.settings.limits.name_chars;
    let ws = crate::workspaces::service::create(&tx, admin, &body.name, body.slug.as_deref(), name_max).await?;
    let event = crate::audit::AuditEvent::new(Some(admin), "workspace.created").workspace(ws.id);
    crate::audit::record(&*tx, event.details(serde_json::json!({ "name": ws.name }))).await?;
    tx.commit().await?;
    Ok(ws.id)
}

/// Create a workspace (with #general); you become its owner.
#[utoipa::path(post, path = "/api/v1/admin/workspaces", tag = "admin", request_body = NewWorkspace,
    responses((status = 201, body = WorkspaceRow), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/workspaces")]
pub async fn create(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    body: web::Json<NewWorkspace>,
) -> AppResult<HttpResponse> {
    let id = create_workspace(&state, admin.0.id(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(workspaces::detail(&state, id).await?.workspace))
}

/// Invite someone to a workspace (a link, mailed when an address is given).
#[utoipa::path(post, path = "/api/v1/admin/workspaces/{workspace_id}/invites", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = NewInvite,
    responses((status = 201, body = CreatedInvite), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/invites")]
pub async fn invite(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<NewInvite>,
) -> AppResult<HttpResponse> {
    let ws = admin.workspace(&state.db, path.into_inner()).await?;
    Ok(HttpResponse::Created()
        .json(crate::workspaces::routes::invite(&state, &ws, &admin.user, body.into_inner()).await?))
}

/// Set a workspace's guest access and file quota.
#[utoipa::path(put, path = "/api/v1/admin/workspaces/{workspace_id}/limits", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = super::workspaces::WorkspaceLimits,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/workspaces/{workspace_id}/limits")]
pub async fn limits(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
    body: web::Json<super::workspaces::WorkspaceLimits>,
) -> AppResult<HttpResponse> {
    workspaces::set_limits(&state, admin.0.id(), path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceName {
    pub name: String,
}

/// Rename a workspace (its slug stays).
#[utoipa::path(put, path = "/api/v1/admin/workspaces/{workspace_id}/name", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = WorkspaceName,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/workspaces/{workspace_id}/name")]
pub async fn rename(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<WorkspaceName>,
) -> AppResult<HttpResponse> {
    let ws = admin.workspace(&state.db, path.into_inner()).await?;
    workspaces::rename(&state, admin.id(), ws.workspace.id, &body.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceState {
    /// Archived: everything in it stays readable, searchable and exportable, but nothing
    /// can be posted, edited, created or joined there until it is unarchived.
    pub archived: bool,
}

/// Archive or unarchive a workspace.
#[utoipa::path(put, path = "/api/v1/admin/workspaces/{workspace_id}/state", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = WorkspaceState,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/workspaces/{workspace_id}/state")]
pub async fn set_state(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<Uuid>,
    body: web::Json<WorkspaceState>,
) -> AppResult<HttpResponse> {
    let ws = admin.workspace(&state.db, path.into_inner()).await?;
    workspaces::set_archived(&state, &ws, admin.id(), body.archived).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add an existing person to a workspace, or move them there from another.
#[utoipa::path(post, path = "/api/v1/admin/workspaces/{workspace_id}/members", tag = "admin",
    params(("workspace_id" = Uuid, Path)), request_body = super::workspaces::AddPerson,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
    body: web::Json<super::workspaces::AddPerson>,
) -> AppResult<HttpResponse> {
    workspaces::add_person(&state, admin.0.id(), path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
