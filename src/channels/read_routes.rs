//! Read markers and notification preferences: mark read, mark unread, mark a whole
//! workspace read, mute and notification level.
use actix_web::{patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::read_state::{self, NotifyPrefs};
use crate::access::{self, Need};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Everything up to and including this seq is read.
    pub seq: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadMarker {
    pub last_read_seq: i64,
}

/// Mark the channel read up to a seq (never moves backwards).
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/read", tag = "channels", params(("channel_id" = Uuid, Path)),
    request_body = MarkRead,
    responses((status = 200, body = ReadMarker), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/channels/{channel_id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<MarkRead>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    let tx = state.db.write().await?;
    let seq = read_state::mark_read(&*tx, &a, me.id(), body.seq).await?;
    let data = json!({"channel_id": a.channel.id, "last_read_seq": seq});
    tx.emit(NewEvent::user(kind::READ_UPDATED, me.id(), data));
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(ReadMarker { last_read_seq: seq }))
}

/// Mute a channel or choose when it notifies me.
#[utoipa::path(patch, path = "/api/v1/channels/{channel_id}/notifications", tag = "channels", params(("channel_id" = Uuid, Path)),
    request_body = NotifyPrefs,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/channels/{channel_id}/notifications")]
pub async fn notifications(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NotifyPrefs>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    let tx = state.db.write().await?;
    read_state::set_prefs(&*tx, &a, me.id(), body.into_inner()).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkUnread {
    /// This message's seq and everything after it become unread.
    pub from_seq: i64,
}

/// Mark a message and everything after it unread (moves the read marker back).
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/unread", tag = "channels", params(("channel_id" = Uuid, Path)),
    request_body = MarkUnread,
    responses((status = 200, body = ReadMarker), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/channels/{channel_id}/unread")]
pub async fn mark_unread(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<MarkUnread>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    let tx = state.db.write().await?;
    let seq = read_state::mark_unread(&*tx, &a, me.id(), body.from_seq).await?;
    let data = json!({"channel_id": a.channel.id, "last_read_seq": seq});
    tx.emit(NewEvent::user(kind::READ_UPDATED, me.id(), data));
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(ReadMarker { last_read_seq: seq }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AllRead {
    /// How many channels had something unread.
    pub channels: usize,
}

/// Mark every channel and conversation I belong to in a workspace as read.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/read", tag = "channels",
    params(("workspace_id" = Uuid, Path)),
    responses((status = 200, body = AllRead), (status = 404, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/read")]
pub async fn mark_all_read(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let moved = read_state::mark_all_read(&*tx, ws.workspace.id, me.id()).await?;
    for (channel_id, seq) in &moved {
        let data = json!({"channel_id": channel_id, "last_read_seq": seq});
        tx.emit(NewEvent::user(kind::READ_UPDATED, me.id(), data));
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(AllRead { channels: moved.len() }))
}
