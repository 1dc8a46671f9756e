//! Registering custom slash commands (workspace admins): `/name` → a URL, with a
//! description and usage hint for the composer's autocomplete. Each gets a `whsec_`
//! secret, shown once, that its requests are signed with (Standard Webhooks), and an
//! identity its `in_channel` answers are posted as.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::builtin::BUILTINS;
use super::model::command;
use crate::access::WorkspaceAccess;
use crate::accounts::service as accounts;
use crate::auth::sealed::Sealer;
use crate::bots::model::KIND_HOOK;
use crate::bots::service::{create_identity, Identity};
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::db::{is_unique_violation, WriteTx};
use crate::error::{AppError, AppResult};
use crate::outbound::Outbound;
use crate::webhooks::outgoing::signing;

const NAME_MAX: usize = 32;
const DESCRIPTION_MAX: usize = 200;
const USAGE_MAX: usize = 100;
const MAX_PER_WORKSPACE: usize = 200;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommand {
    /// `deploy` or `/deploy`: letters, digits, `-` and `_`, at most 32.
    pub command: String,
    /// Where it is sent.
    pub url: String,
    /// `POST` (a form body, the default) or `GET` (the fields in the query string).
    pub method: Option<String>,
    pub description: Option<String>,
    /// Shown after the command in the autocomplete, e.g. `[environment]`.
    pub usage_hint: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandPatch {
    pub url: Option<String>,
    pub method: Option<String>,
    pub description: Option<String>,
    pub usage_hint: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommandView {
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// With its slash: `/deploy`.
    pub command: String,
    pub url: String,
    pub method: String,
    pub description: String,
    pub usage_hint: String,
    /// The user `in_channel` answers are posted as.
    pub bot_user_id: Uuid,
    pub created_by: Uuid,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedCommand {
    #[serde(flatten)]
    pub view: CommandView,
    /// Shown this once: the `whsec_…` secret requests are signed with.
    pub secret: String,
}

pub fn view(c: &command::Model) -> CommandView {
    CommandView {
        id: c.id,
        workspace_id: c.workspace_id,
        command: format!("/{}", c.name),
        url: c.url.clone(),
        method: c.method.clone(),
        description: c.description.clone(),
        usage_hint: c.usage_hint.clone(),
        bot_user_id: c.bot_user_id,
        created_by: c.created_by,
        created_at: rfc3339(c.created_at),
        last_used_at: opt_rfc3339(c.last_used_at),
    }
}

pub fn secret_context(id: Uuid) -> String {
    format!("slash-command-secret:{id}")
}

/// A command's name as typed, without its slash, lowercase; None if it cannot be one.
pub fn normal_name(raw: &str) -> Option<String> {
    let name = raw.trim().trim_start_matches('/').to_lowercase();
    let ok = !name.is_empty()
        && name.chars().count() <= NAME_MAX
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(name)
}

fn method(raw: Option<&str>) -> AppResult<String> {
    match raw.map(|m| m.trim().to_uppercase()).as_deref() {
        None | Some("POST") => Ok("POST".into()),
        Some("GET") => Ok("GET".into()),
        Some(_) => Err(AppError::invalid("method", "POST or GET")),
    }
}

fn line(field: &'static str, raw: Option<&str>, max: usize) -> AppResult<String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(String::new()),
        Some(s) => crate::validate::line_text(field, s, max),
    }
}

pub async fn create(
    tx: &WriteTx,
    sealer: &Sealer,
    outbound: &Outbound,
    ws: &WorkspaceAccess,
    actor: Uuid,
    new: NewCommand,
) -> AppResult<CreatedCommand> {
    ws.require_admin()?;
    let name = normal_name(&new.command)
        .ok_or_else(|| AppError::invalid("command", "letters, digits, '-' and '_', at most 32"))?;
    if BUILTINS.iter().any(|b| b.name == name) {
        return Err(AppError::conflict("command_taken", format!("/{name} is built in")));
    }
    let existing = command::Entity::find().filter(command::Column::WorkspaceId.eq(ws.workspace.id)).all(&**tx).await?;
    if existing.len() >= MAX_PER_WORKSPACE {
        return Err(AppError::conflict("too_many_commands", "delete commands you no longer use first"));
    }
    if existing.iter().any(|c| c.name == name) {
        return Err(AppError::conflict("command_taken", format!("/{name} exists in this workspace")));
    }
    let url = outbound.target_url(&new.url)?;
    let id = Uuid::now_v7();
    let username = format!("cmd-{}", &id.simple().to_string()[20..]);
    let bot = create_identity(
        tx,
        Identity {
            workspace_id: ws.workspace.id,
            kind: KIND_HOOK,
            owner: actor,
            username: &username,
            display_name: format!("/{name}"),
            avatar_url: None,
            description: String::new(),
        },
    )
    .await?;
    let secret = signing::new_secret();
    let row = command::ActiveModel {
        id: Set(id),
        workspace_id: Set(ws.workspace.id),
        name: Set(name),
        url: Set(url),
        method: Set(method(new.method.as_deref())?),
        description: Set(line("description", new.description.as_deref(), DESCRIPTION_MAX)?),
        usage_hint: Set(line("usage_hint", new.usage_hint.as_deref(), USAGE_MAX)?),
        bot_user_id: Set(bot.id),
        secret_sealed: Set(sealer.seal(&secret_context(id), secret.as_bytes())?),
        created_by: Set(actor),
        created_at: Set(now_ms()),
        last_used_at: Set(None),
    }
    .insert(&**tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("command_taken", "that command exists in this workspace")
        } else {
            e.into()
        }
    })?;
    Ok(CreatedCommand { view: view(&row), secret })
}

pub async fn list(conn: &impl ConnectionTrait, workspace_id: Uuid) -> AppResult<Vec<command::Model>> {
    Ok(command::Entity::find()
        .filter(command::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(command::Column::Name)
        .all(conn)
        .await?)
}

pub async fn by_name(conn: &impl ConnectionTrait, workspace_id: Uuid, name: &str) -> AppResult<Option<command::Model>> {
    Ok(command::Entity::find()
        .filter(command::Column::WorkspaceId.eq(workspace_id))
        .filter(command::Column::Name.eq(name))
        .one(conn)
        .await?)
}

/// A command a workspace admin manages; 404 for everyone else.
pub async fn manageable(conn: &impl ConnectionTrait, actor: Uuid, id: Uuid) -> AppResult<command::Model> {
    let c = command::Entity::find_by_id(id).one(conn).await?.ok_or(AppError::NotFound("command"))?;
    let ws = crate::access::workspace(conn, actor, c.workspace_id).await.map_err(|_| AppError::NotFound("command"))?;
    if !ws.role.is_admin() {
        return Err(AppError::NotFound("command"));
    }
    Ok(c)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    outbound: &Outbound,
    c: command::Model,
    patch: CommandPatch,
) -> AppResult<CommandView> {
    let mut am: command::ActiveModel = c.into();
    if let Some(url) = patch.url.as_deref() {
        am.url = Set(outbound.target_url(url)?);
    }
    if patch.method.is_some() {
        am.method = Set(method(patch.method.as_deref())?);
    }
    if patch.description.is_some() {
        am.description = Set(line("description", patch.description.as_deref(), DESCRIPTION_MAX)?);
    }
    if patch.usage_hint.is_some() {
        am.usage_hint = Set(line("usage_hint", patch.usage_hint.as_deref(), USAGE_MAX)?);
    }
    Ok(view(&am.update(conn).await?))
}

pub async fn delete(conn: &impl ConnectionTrait, c: &command::Model) -> AppResult<()> {
    command::Entity::delete_by_id(c.id).exec(conn).await?;
    accounts::set_active(conn, c.bot_user_id, false).await
}

pub async fn touch(conn: &impl ConnectionTrait, c: &command::Model) -> AppResult<()> {
    command::Entity::update_many()
        .col_expr(command::Column::LastUsedAt, Some(now_ms()).into())
        .filter(command::Column::Id.eq(c.id))
        .exec(conn)
        .await?;
    Ok(())
}
