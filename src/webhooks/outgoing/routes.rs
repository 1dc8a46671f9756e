//! /api/v1/workspaces/{id}/outgoing-hooks and /api/v1/outgoing-hooks/{id}: subscribing
//! to events, changing, rotating the secret, deleting, the delivery log, redelivering
//! and sending a test event.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::log::{self, DeliveryView, LogQuery};
use super::service::{self, Context, CreatedOutgoingHook, NewOutgoingHook, OutgoingHookPatch, OutgoingHookView};
use crate::access::{self, Need};
use crate::audit::{self, AuditEvent};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

fn context(state: &AppState) -> Context<'_> {
    Context { sealer: &state.sealer, outbound: &state.outbound, name_max: state.settings.limits.name_chars }
}

fn audited(actor: Uuid, action: &'static str, workspace_id: Uuid, hook_id: Uuid) -> AuditEvent<'static> {
    AuditEvent::new(Some(actor), action).workspace(workspace_id).target("outgoing_hook", hook_id)
}

/// Subscribe a URL to events of the workspace's public channels (admins) or of one
/// channel (`channel_id`). The signing secret is shown once.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/outgoing-hooks", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), request_body = NewOutgoingHook,
    responses((status = 201, body = CreatedOutgoingHook), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/outgoing-hooks")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewOutgoingHook>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    ws.ensure_writable()?;
    let channel = match body.channel_id {
        Some(id) => {
            let c = access::channel(&state.db, me.id(), id, Need::Read).await?;
            if c.channel.workspace_id != ws.workspace.id {
                return Err(AppError::NotFound("channel"));
            }
            Some(c)
        }
        None => None,
    };
    service::may_create(&ws, channel.as_ref())?;
    let tx = state.db.write().await?;
    let created = service::create(&tx, &context(&state), &ws, me.id(), body.into_inner()).await?;
    audit::record(
        &*tx,
        audited(me.id(), "outgoing_hook.created", ws.workspace.id, created.view.id).details(serde_json::json!({
            "channel_id": created.view.channel_id, "url": created.view.url, "events": created.view.events,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// The workspace's outgoing webhooks (admins see all, members the ones they made).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/outgoing-hooks", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = [OutgoingHookView]), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/outgoing-hooks")]
pub async fn list(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::list(&state.db.conn, &ws, me.id()).await?))
}

/// Change what a hook listens to or where it sends; turn it on or off.
#[utoipa::path(patch, path = "/api/v1/outgoing-hooks/{hook_id}", tag = "integrations", params(("hook_id" = Uuid, Path)),
    request_body = OutgoingHookPatch,
    responses((status = 200, body = OutgoingHookView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/outgoing-hooks/{hook_id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<OutgoingHookPatch>,
) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let view = service::update(&*tx, &context(&state), h, body.into_inner()).await?;
    audit::record(&*tx, audited(me.id(), "outgoing_hook.updated", view.workspace_id, view.id)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A new signing secret, shown once; the old one keeps signing for 24 hours.
#[utoipa::path(post, path = "/api/v1/outgoing-hooks/{hook_id}/rotate", tag = "integrations",
    params(("hook_id" = Uuid, Path)), responses((status = 200, body = CreatedOutgoingHook), (status = 404, body = ErrorBody)))]
#[post("/outgoing-hooks/{hook_id}/rotate")]
pub async fn rotate(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let rotated = service::rotate(&*tx, &state.sealer, h).await?;
    audit::record(&*tx, audited(me.id(), "outgoing_hook.rotated", rotated.view.workspace_id, rotated.view.id)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(rotated))
}

/// Delete a hook and its delivery log.
#[utoipa::path(delete, path = "/api/v1/outgoing-hooks/{hook_id}", tag = "integrations",
    params(("hook_id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/outgoing-hooks/{hook_id}")]
pub async fn remove(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    service::delete(&*tx, &h).await?;
    audit::record(&*tx, audited(me.id(), "outgoing_hook.deleted", h.workspace_id, h.id)).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The hook's deliveries, newest first, each with every attempt.
#[utoipa::path(get, path = "/api/v1/outgoing-hooks/{hook_id}/deliveries", tag = "integrations",
    params(("hook_id" = Uuid, Path), LogQuery),
    responses((status = 200, body = [DeliveryView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/outgoing-hooks/{hook_id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<LogQuery>,
) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(log::list(&state.db.conn, &h, &query).await?))
}

/// Send a finished delivery again now, with the same `webhook-id` and body.
#[utoipa::path(post, path = "/api/v1/outgoing-hooks/{hook_id}/deliveries/{delivery_id}/redeliver", tag = "integrations",
    params(("hook_id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/outgoing-hooks/{hook_id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (hook_id, delivery_id) = path.into_inner();
    let h = service::manageable(&state.db.conn, me.id(), hook_id).await?;
    let tx = state.db.write().await?;
    let view = log::redeliver(&*tx, &h, delivery_id).await?;
    audit::record(&*tx, audited(me.id(), "outgoing_hook.redelivered", h.workspace_id, h.id)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Send a `ping` event to the hook's URL (also while it is turned off).
#[utoipa::path(post, path = "/api/v1/outgoing-hooks/{hook_id}/test", tag = "integrations",
    params(("hook_id" = Uuid, Path)), responses((status = 202, body = DeliveryView), (status = 404, body = ErrorBody)))]
#[post("/outgoing-hooks/{hook_id}/test")]
pub async fn test(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let h = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let view = log::send_test(&*tx, &h, me.id()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(view))
}
