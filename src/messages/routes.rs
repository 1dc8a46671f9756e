//! /api/v1/channels/{id}/messages|pins and /api/v1/messages/{id}/*.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::history::{self, HistoryPage, HistoryQuery, ThreadPage, ThreadQuery};
use super::service::{self, NewMessage};
use super::view::{self, MessageView};
use super::{pins, reactions};
use crate::access::{self, Need};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;

/// Post a message (or a thread reply). Resending a `client_msg_id` returns the
/// original with 200 instead of creating a second message.
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/messages", tag = "messages", params(("channel_id" = Uuid, Path)),
    request_body = NewMessage,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "duplicate client_msg_id"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/channels/{channel_id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewMessage>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    let (msg, created) =
        service::post(&state.db, &a, &me.user, body.into_inner(), state.settings.limits.message_chars).await?;
    Ok(if created { HttpResponse::Created().json(msg) } else { HttpResponse::Ok().json(msg) })
}

/// Channel history by cursor (before / after / around a seq or message id).
#[utoipa::path(get, path = "/api/v1/channels/{channel_id}/messages", tag = "messages", params(("channel_id" = Uuid, Path), HistoryQuery),
    responses((status = 200, body = HistoryPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/channels/{channel_id}/messages")]
pub async fn channel_history(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    q: web::Query<HistoryQuery>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    Ok(HttpResponse::Ok().json(history::page(&state.db, &a, q.into_inner()).await?))
}

/// Pinned messages of a channel, most recently pinned first.
#[utoipa::path(get, path = "/api/v1/channels/{channel_id}/pins", tag = "messages", params(("channel_id" = Uuid, Path)),
    responses((status = 200, body = [MessageView]), (status = 404, body = ErrorBody)))]
#[get("/channels/{channel_id}/pins")]
pub async fn list_pins(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    Ok(HttpResponse::Ok().json(pins::list(&state.db.conn, a.channel.id).await?))
}

/// One message.
#[utoipa::path(get, path = "/api/v1/messages/{message_id}", tag = "messages", params(("message_id" = Uuid, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody)))]
#[get("/messages/{message_id}")]
pub async fn get_message(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let (msg, _) = access::message(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    Ok(HttpResponse::Ok().json(view::view(&state.db.conn, &msg).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessage {
    pub text: String,
}

/// Edit my message.
#[utoipa::path(patch, path = "/api/v1/messages/{message_id}", tag = "messages", params(("message_id" = Uuid, Path)),
    request_body = EditMessage,
    responses((status = 200, body = MessageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/messages/{message_id}")]
pub async fn edit_message(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<EditMessage>,
) -> AppResult<HttpResponse> {
    let msg = service::edit(
        &state.db,
        me.id(),
        path.into_inner(),
        body.into_inner().text,
        state.settings.limits.message_chars,
    )
    .await?;
    Ok(HttpResponse::Ok().json(msg))
}

/// Delete a message (its author, or a channel admin).
#[utoipa::path(delete, path = "/api/v1/messages/{message_id}", tag = "messages", params(("message_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/messages/{message_id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    service::delete(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A thread: its root and replies, oldest first.
#[utoipa::path(get, path = "/api/v1/messages/{message_id}/thread", tag = "messages", params(("message_id" = Uuid, Path), ThreadQuery),
    responses((status = 200, body = ThreadPage), (status = 404, body = ErrorBody)))]
#[get("/messages/{message_id}/thread")]
pub async fn thread(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    q: web::Query<ThreadQuery>,
) -> AppResult<HttpResponse> {
    let (msg, _) = access::message(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    Ok(HttpResponse::Ok().json(history::thread(&state.db, &msg, q.into_inner()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReaction {
    /// A shortcode such as `thumbsup` or an emoji character.
    pub emoji: String,
}

/// React to a message (adding the same reaction twice is harmless).
#[utoipa::path(post, path = "/api/v1/messages/{message_id}/reactions", tag = "messages", params(("message_id" = Uuid, Path)),
    request_body = NewReaction,
    responses((status = 200, body = MessageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/messages/{message_id}/reactions")]
pub async fn add_reaction(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewReaction>,
) -> AppResult<HttpResponse> {
    let (msg, a) = access::message(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    reactions::react(&state.db, &msg, a.channel.workspace_id, me.id(), &body.emoji).await?;
    Ok(HttpResponse::Ok().json(view::view(&state.db.conn, &msg).await?))
}

/// Remove my reaction.
#[utoipa::path(delete, path = "/api/v1/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(("message_id" = Uuid, Path), ("emoji" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/messages/{message_id}/reactions/{emoji}")]
pub async fn remove_reaction(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, String)>,
) -> AppResult<HttpResponse> {
    let (id, emoji) = path.into_inner();
    let (msg, a) = access::message(&state.db, me.id(), id, Need::Post).await?;
    reactions::unreact(&state.db, &msg, a.channel.workspace_id, me.id(), &emoji).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pin a message to its channel.
#[utoipa::path(post, path = "/api/v1/messages/{message_id}/pin", tag = "messages", params(("message_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/messages/{message_id}/pin")]
pub async fn pin(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (msg, a) = access::message(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    let tx = state.db.write().await?;
    if pins::pin(&*tx, &msg, me.id()).await? {
        let data = json!({"message_id": msg.id, "pinned_by": me.id()});
        tx.emit(NewEvent::channel(kind::PIN_ADDED, a.channel.workspace_id, msg.channel_id, data));
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unpin a message.
#[utoipa::path(delete, path = "/api/v1/messages/{message_id}/pin", tag = "messages", params(("message_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/messages/{message_id}/pin")]
pub async fn unpin(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (msg, a) = access::message(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    let tx = state.db.write().await?;
    pins::unpin(&*tx, &msg).await?;
    let data = json!({"message_id": msg.id});
    tx.emit(NewEvent::channel(kind::PIN_REMOVED, a.channel.workspace_id, msg.channel_id, data));
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
