//! /api/v1/channels/{id}/hooks, /api/v1/workspaces/{id}/hooks and /api/v1/hooks/{id}:
//! creating, listing, renaming, rotating and deleting incoming webhooks.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::service::{self, CreatedHook, HookPatch, HookView, NewHook};
use crate::access::{self, Need};
use crate::audit::{self, AuditEvent};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;

/// Create an incoming webhook that posts into this channel; its URL is shown once.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/hooks", tag = "integrations",
    params(("channel_id" = Uuid, Path)), request_body = NewHook,
    responses((status = 201, body = CreatedHook), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/channels/{channel_id}/hooks")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewHook>,
) -> AppResult<HttpResponse> {
    let channel = access::channel(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    let ws = access::workspace(&state.db, me.id(), channel.channel.workspace_id).await?;
    service::may_create(&ws, &channel)?;
    let tx = state.db.write().await?;
    let created = service::create(
        &tx,
        &state.sealer,
        &state.settings.server.site_url,
        &channel,
        me.id(),
        body.into_inner(),
        state.settings.limits.name_chars,
    )
    .await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "hook.created")
            .workspace(ws.workspace.id)
            .target("hook", created.view.id)
            .details(serde_json::json!({"channel_id": channel.channel.id, "name": created.view.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// The workspace's incoming webhooks (admins see all, members the ones they made).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/hooks", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = [HookView]), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/hooks")]
pub async fn list(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::list(&state.db.conn, &ws, me.id()).await?))
}

/// Rename a hook, change its picture or its signing secret.
#[utoipa::path(patch, path = "/api/v1/hooks/{hook_id}", tag = "integrations", params(("hook_id" = Uuid, Path)),
    request_body = HookPatch, responses((status = 200, body = HookView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/hooks/{hook_id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<HookPatch>,
) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let view = service::update(&*tx, &state.sealer, h, body.into_inner(), state.settings.limits.name_chars).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "hook.updated").workspace(view.workspace_id).target("hook", view.id),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A new URL for the hook; the old one stops working at once. Shown once.
#[utoipa::path(post, path = "/api/v1/hooks/{hook_id}/rotate", tag = "integrations", params(("hook_id" = Uuid, Path)),
    responses((status = 200, body = CreatedHook), (status = 404, body = ErrorBody)))]
#[post("/hooks/{hook_id}/rotate")]
pub async fn rotate(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let rotated = service::rotate(&*tx, &state.settings.server.site_url, h).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "hook.rotated")
            .workspace(rotated.view.workspace_id)
            .target("hook", rotated.view.id),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(rotated))
}

/// Delete a hook. What it posted stays, shown with its name.
#[utoipa::path(delete, path = "/api/v1/hooks/{hook_id}", tag = "integrations", params(("hook_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/hooks/{hook_id}")]
pub async fn remove(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    service::delete(&*tx, &h).await?;
    audit::record(&*tx, AuditEvent::new(Some(me.id()), "hook.deleted").workspace(h.workspace_id).target("hook", h.id))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
