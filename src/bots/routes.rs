//! /api/v1/workspaces/{id}/bots and /api/v1/bots/{id}/*: bots and their tokens.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::service::{self, BotPatch, BotTokenView, BotView, CreatedBotToken, NewBot, NewBotToken};
use crate::access;
use crate::accounts::service as accounts;
use crate::audit::{self, AuditEvent};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;

/// Create a bot (workspace admins). It can do nothing until it has a token.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/bots", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), request_body = NewBot,
    responses((status = 201, body = BotView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "already_exists"), (status = 422, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/bots")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewBot>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    ws.ensure_writable()?;
    let tx = state.db.write().await?;
    let bot = service::create(&tx, &ws, me.id(), body.into_inner(), state.settings.limits.name_chars).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "bot.created").workspace(ws.workspace.id).target("user", bot.id),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(bot))
}

/// The workspace's bots (admins see all, members the ones they own).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/bots", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = [BotView]), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/bots")]
pub async fn list(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::list(&state.db.conn, &ws, me.id()).await?))
}

/// Rename a bot, change its description or picture (its owner or an admin).
#[utoipa::path(patch, path = "/api/v1/bots/{bot_id}", tag = "integrations", params(("bot_id" = Uuid, Path)),
    request_body = BotPatch, responses((status = 200, body = BotView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/bots/{bot_id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<BotPatch>,
) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let bot =
        service::update(&*tx, me.id(), path.into_inner(), body.into_inner(), state.settings.limits.name_chars).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(bot))
}

async fn set_active(state: &AppState, me: &CurrentUser, bot_id: Uuid, active: bool) -> AppResult<HttpResponse> {
    let (bot, _) = service::manageable(&state.db.conn, me.id(), bot_id).await?;
    if active {
        // Bringing a bot back is an admin's decision, not only its owner's.
        access::workspace(&state.db, me.id(), bot.workspace_id).await?.require_admin()?;
    }
    let tx = state.db.write().await?;
    accounts::set_active(&*tx, bot_id, active).await?;
    if !active {
        tx.emit(NewEvent::user(kind::USER_DEACTIVATED, bot_id, serde_json::json!({"user_id": bot_id})));
    }
    if let Some(u) =
        <crate::accounts::model::user::Entity as sea_orm::EntityTrait>::find_by_id(bot_id).one(&*tx).await?
    {
        crate::accounts::routes::announce(&tx, &u).await?;
    }
    let action = if active { "bot.reactivated" } else { "bot.deactivated" };
    audit::record(&*tx, AuditEvent::new(Some(me.id()), action).workspace(bot.workspace_id).target("user", bot_id))
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deactivate a bot (its owner or an admin): its tokens end and its sockets close at once.
#[utoipa::path(post, path = "/api/v1/bots/{bot_id}/deactivate", tag = "integrations", params(("bot_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[post("/bots/{bot_id}/deactivate")]
pub async fn deactivate(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    set_active(&state, &me, path.into_inner(), false).await
}

/// Reactivate a bot (workspace admins). Its old tokens stay revoked.
#[utoipa::path(post, path = "/api/v1/bots/{bot_id}/reactivate", tag = "integrations", params(("bot_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/bots/{bot_id}/reactivate")]
pub async fn reactivate(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    set_active(&state, &me, path.into_inner(), true).await
}

/// Create a bot token with scopes; the token is shown once.
#[utoipa::path(post, path = "/api/v1/bots/{bot_id}/tokens", tag = "integrations", params(("bot_id" = Uuid, Path)),
    request_body = NewBotToken,
    responses((status = 201, body = CreatedBotToken), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/bots/{bot_id}/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewBotToken>,
) -> AppResult<HttpResponse> {
    let (bot, user) = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let created = service::create_token(&*tx, &user, body.into_inner()).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "bot.token_created")
            .workspace(bot.workspace_id)
            .target("user", user.id)
            .details(serde_json::json!({"token_id": created.view.id, "scopes": created.view.scopes})),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// A bot's tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/bots/{bot_id}/tokens", tag = "integrations", params(("bot_id" = Uuid, Path)),
    responses((status = 200, body = [BotTokenView]), (status = 404, body = ErrorBody)))]
#[get("/bots/{bot_id}/tokens")]
pub async fn tokens(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (bot, _) = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::tokens(&state.db.conn, bot.user_id).await?))
}

/// Revoke a bot token; sockets opened with it close.
#[utoipa::path(delete, path = "/api/v1/bots/{bot_id}/tokens/{token_id}", tag = "integrations",
    params(("bot_id" = Uuid, Path), ("token_id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/bots/{bot_id}/tokens/{token_id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (bot_id, token_id) = path.into_inner();
    let (bot, _) = service::manageable(&state.db.conn, me.id(), bot_id).await?;
    service::revoke_token(&state.db.conn, bot.user_id, token_id).await?;
    crate::auth::routes::revoke_sockets(&state, bot.user_id).await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(Some(me.id()), "bot.token_revoked").workspace(bot.workspace_id).target("user", bot.user_id),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
