//! /api/v1/workspaces/{id}/channels|conversations and /api/v1/channels/{id}/*.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::conversations::{self, shared_view};
use super::manage;
use super::service::{self, ChannelPatch, NewChannel};
use super::view::ChannelView;
use crate::access::{self, Need};
use crate::accounts::view::UserView;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;

/// Create a public or private channel; I become its admin.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/channels", tag = "channels",
    params(("workspace_id" = Uuid, Path)), request_body = NewChannel,
    responses((status = 201, body = ChannelView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "already_exists"), (status = 422, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/channels")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewChannel>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    ws.ensure_writable()?;
    let tx = state.db.write().await?;
    let view = service::create(&*tx, &ws, me.id(), body.into_inner()).await?;
    tx.emit(NewEvent::member_joined(ws.workspace.id, view.id, me.id()));
    // To its members only: guests may not see public channels they have not joined,
    // and everyone else finds new public channels by browsing.
    tx.emit(NewEvent::channel(kind::CHANNEL_CREATED, ws.workspace.id, view.id, shared_view(&view)?));
    tx.commit().await?;
    Ok(HttpResponse::Created().json(view))
}

/// My channels and conversations in a workspace, with unread and mention counts.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/channels", tag = "channels",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = [ChannelView]), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/channels")]
pub async fn list_mine(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::list_mine(&state.db, &ws, me.id()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrowseQuery {
    #[serde(default)]
    pub include_archived: bool,
}

/// Public channels of a workspace, joined or not (not for guests).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/channels/browse", tag = "channels",
    params(("workspace_id" = Uuid, Path), BrowseQuery),
    responses((status = 200, body = [ChannelView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/channels/browse")]
pub async fn browse(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    q: web::Query<BrowseQuery>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::browse(&state.db.conn, &ws, me.id(), q.include_archived).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationRequest {
    /// The other people (1 for a direct message, up to 8 for a group; empty for notes to self).
    pub user_ids: Vec<Uuid>,
}

/// Get or create the direct or group conversation with exactly these people.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/conversations", tag = "channels",
    params(("workspace_id" = Uuid, Path)), request_body = ConversationRequest,
    responses((status = 200, body = ChannelView, description = "existing"), (status = 201, body = ChannelView, description = "created"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/conversations")]
pub async fn conversation(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<ConversationRequest>,
) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let ws = access::workspace(&*tx, me.id(), path.into_inner()).await?;
    ws.ensure_writable()?;
    let conv = conversations::get_or_create(&*tx, &ws, me.id(), &body.user_ids).await?;
    conversations::announce(&tx, ws.workspace.id, &conv)?;
    tx.commit().await?;
    Ok(if conv.created { HttpResponse::Created().json(conv.view) } else { HttpResponse::Ok().json(conv.view) })
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{channel_id}", tag = "channels", params(("channel_id" = Uuid, Path)),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody)))]
#[get("/channels/{channel_id}")]
pub async fn get(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    Ok(HttpResponse::Ok().json(service::view_for(&state.db.conn, &a.channel, me.id()).await?))
}

/// Rename (channel or workspace admins) or set topic and purpose (members).
#[utoipa::path(patch, path = "/api/v1/channels/{channel_id}", tag = "channels", params(("channel_id" = Uuid, Path)),
    request_body = ChannelPatch,
    responses((status = 200, body = ChannelView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/channels/{channel_id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<ChannelPatch>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    let view = manage::update(&state.db, &a, me.id(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn set_archived(state: &AppState, me: &CurrentUser, id: Uuid, archived: bool) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), id, Need::Manage).await?;
    manage::set_archived(&state.db, &a, me.id(), archived).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Archive a channel: read-only until unarchived.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/archive", tag = "channels", params(("channel_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/channels/{channel_id}/archive")]
pub async fn archive(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    set_archived(&state, &me, path.into_inner(), true).await
}

/// Unarchive a channel.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/unarchive", tag = "channels", params(("channel_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/channels/{channel_id}/unarchive")]
pub async fn unarchive(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    set_archived(&state, &me, path.into_inner(), false).await
}

/// Join a public channel.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/join", tag = "channels", params(("channel_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/channels/{channel_id}/join")]
pub async fn join(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let a = access::channel(&*tx, me.id(), path.into_inner(), Need::Read).await?;
    if service::join(&*tx, &a, me.id()).await? {
        tx.emit(NewEvent::member_joined(a.channel.workspace_id, a.channel.id, me.id()));
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Leave a channel or group conversation.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/leave", tag = "channels", params(("channel_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/channels/{channel_id}/leave")]
pub async fn leave(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    let tx = state.db.write().await?;
    service::leave(&*tx, &a, me.id()).await?;
    tx.emit(NewEvent::member_left(a.channel.workspace_id, a.channel.id, me.id()));
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members of a channel.
#[utoipa::path(get, path = "/api/v1/channels/{channel_id}/members", tag = "channels", params(("channel_id" = Uuid, Path)),
    responses((status = 200, body = [UserView]), (status = 404, body = ErrorBody)))]
#[get("/channels/{channel_id}/members")]
pub async fn members(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    Ok(HttpResponse::Ok().json(service::members(&state.db.conn, &a).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub user_id: Uuid,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Added {
    /// False when the person was already a member.
    pub added: bool,
}

/// Add a workspace member to a channel I belong to.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/members", tag = "channels", params(("channel_id" = Uuid, Path)),
    request_body = AddMember,
    responses((status = 200, body = Added), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/channels/{channel_id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<AddMember>,
) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let a = access::channel(&*tx, me.id(), path.into_inner(), Need::Read).await?;
    let added = service::add_member(&*tx, &a, body.user_id).await?;
    if added {
        tx.emit(NewEvent::member_joined(a.channel.workspace_id, a.channel.id, body.user_id));
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(Added { added }))
}

/// Remove someone from a channel (admins), or myself.
#[utoipa::path(delete, path = "/api/v1/channels/{channel_id}/members/{user_id}", tag = "channels",
    params(("channel_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/channels/{channel_id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let a = access::channel(&state.db, me.id(), id, Need::Read).await?;
    let tx = state.db.write().await?;
    service::remove_member(&*tx, &a, me.id(), user_id).await?;
    tx.emit(NewEvent::member_left(a.channel.workspace_id, a.channel.id, user_id));
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
