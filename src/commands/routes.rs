//! Slash commands over HTTP: what a workspace's people can type (autocomplete, `/help`),
//! running one in a channel, registering custom ones (workspace admins), and the
//! `response_url` a command server answers through later.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use sea_orm::EntityTrait;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::builtin::{Runs, BUILTINS};
use super::execute::{self, Caller, CommandResult, Invocation};
use super::service::{self, CommandPatch, CommandView, CreatedCommand, NewCommand};
use crate::access::{self, Need};
use crate::accounts::model::user;
use crate::audit::{self, AuditEvent};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommandHelp {
    /// With its slash.
    pub command: String,
    pub usage_hint: String,
    pub description: String,
    /// `server`: POST it to /channels/{id}/commands; `client`: the web client does it
    /// with the REST route its buttons use.
    pub runs: Runs,
    pub builtin: bool,
}

/// The commands people of this workspace can type, for autocomplete and `/help`.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/commands", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = [CommandHelp]), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/commands")]
pub async fn available(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    let mut out: Vec<CommandHelp> = BUILTINS
        .iter()
        .map(|b| CommandHelp {
            command: format!("/{}", b.name),
            usage_hint: b.usage_hint.into(),
            description: b.description.into(),
            runs: b.runs,
            builtin: true,
        })
        .collect();
    out.extend(service::list(&state.db.conn, ws.workspace.id).await?.into_iter().map(|c| CommandHelp {
        command: format!("/{}", c.name),
        usage_hint: c.usage_hint,
        description: c.description,
        runs: Runs::Server,
        builtin: false,
    }));
    Ok(HttpResponse::Ok().json(out))
}

/// Run a slash command in a channel (where you may post).
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/commands", tag = "integrations",
    params(("channel_id" = Uuid, Path)), request_body = Invocation,
    responses((status = 200, body = CommandResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/channels/{channel_id}/commands")]
pub async fn run(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<Invocation>,
) -> AppResult<HttpResponse> {
    let channel_access = access::channel(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    let caller_user = me.user.clone();
    let caller = Caller { user: &caller_user, access: &channel_access, thread_root_id: body.thread_root_id };
    Ok(HttpResponse::Ok().json(execute::run(&state, &caller, &body).await?))
}

/// Where a command server sends a later answer (Slack's `response_url`): valid 30
/// minutes, 5 times. No sign-in: the URL is the secret.
#[utoipa::path(post, path = "/commands/respond/{token}", tag = "integrations", params(("token" = String, Path)),
    request_body(content = Object, description = "a Slack message with `response_type` `in_channel` or `ephemeral`"),
    responses((status = 200, description = "{\"ok\": true}"), (status = 404, description = "{\"ok\": false, \"error\": \"expired_url\"}")),
    security(()))]
#[post("/commands/respond/{token}")]
pub async fn respond(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> AppResult<HttpResponse> {
    let expired = || HttpResponse::NotFound().json(json!({"ok": false, "error": "expired_url"}));
    let conn = &state.db.conn;
    let Some(r) = execute::take_response_url(conn, &path).await? else { return Ok(expired()) };
    let Some(cmd) = super::model::command::Entity::find_by_id(r.command_id).one(conn).await? else {
        return Ok(expired());
    };
    let who = user::Entity::find_by_id(r.user_id).one(conn).await?.filter(|u| u.deactivated_at.is_none());
    let Some(who) = who else { return Ok(expired()) };
    let channel_access = match access::channel(conn, who.id, r.channel_id, Need::Post).await {
        Ok(a) => a,
        Err(AppError::NotFound(_) | AppError::Forbidden { .. } | AppError::Conflict { .. }) => return Ok(expired()),
        Err(e) => return Err(e),
    };
    let caller = Caller { user: &who, access: &channel_access, thread_root_id: r.thread_root_id };
    execute::answer_with(&state, &caller, &cmd, &body, true).await?;
    Ok(HttpResponse::Ok().json(json!({"ok": true})))
}

/// Register a slash command (workspace admins). Its signing secret is shown once.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/slash-commands", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), request_body = NewCommand,
    responses((status = 201, body = CreatedCommand), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/workspaces/{workspace_id}/slash-commands")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewCommand>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    ws.ensure_writable()?;
    let tx = state.db.write().await?;
    let created = service::create(&tx, &state.sealer, &state.outbound, &ws, me.id(), body.into_inner()).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "slash_command.created")
            .workspace(ws.workspace.id)
            .target("slash_command", created.view.id)
            .details(json!({"command": created.view.command, "url": created.view.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

/// The workspace's custom slash commands, with their URLs (workspace admins).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/slash-commands", tag = "integrations",
    params(("workspace_id" = Uuid, Path)), responses((status = 200, body = [CommandView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/slash-commands")]
pub async fn list(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    ws.require_admin()?;
    let rows = service::list(&state.db.conn, ws.workspace.id).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(service::view).collect::<Vec<_>>()))
}

/// Change a command's URL, method, description or usage hint.
#[utoipa::path(patch, path = "/api/v1/slash-commands/{command_id}", tag = "integrations",
    params(("command_id" = Uuid, Path)), request_body = CommandPatch,
    responses((status = 200, body = CommandView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/slash-commands/{command_id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<CommandPatch>,
) -> AppResult<HttpResponse> {
    let c = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    let view = service::update(&*tx, &state.outbound, c, body.into_inner()).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "slash_command.updated")
            .workspace(view.workspace_id)
            .target("slash_command", view.id),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Remove a command; what it posted stays.
#[utoipa::path(delete, path = "/api/v1/slash-commands/{command_id}", tag = "integrations",
    params(("command_id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/slash-commands/{command_id}")]
pub async fn remove(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let c = service::manageable(&state.db.conn, me.id(), path.into_inner()).await?;
    let tx = state.db.write().await?;
    service::delete(&*tx, &c).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(me.id()), "slash_command.deleted").workspace(c.workspace_id).target("slash_command", c.id),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
