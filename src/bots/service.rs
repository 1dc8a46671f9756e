//! Bots: created by a workspace admin with an owner; a bot user of their own (shown as an
//! app everywhere a user appears) with the workspace role `bot`, so it sees only the
//! channels it is added to; tokens with scopes. The owner or an admin manages it.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{bot, KIND_BOT};
use super::scopes;
use crate::access::{self, WorkspaceAccess, WorkspaceRole};
use crate::accounts::model::user;
use crate::accounts::service::{self as accounts, PreparedUser};
use crate::auth::model::api_token;
use crate::auth::{api_tokens, secret_token};
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::validate;

pub const TOKEN_PREFIX: &str = "bot_";
const MAX_TOKENS_PER_BOT: usize = 20;
const DESCRIPTION_MAX: usize = 500;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBot {
    /// The handle it is mentioned by, e.g. `deploy-bot`.
    pub username: String,
    pub display_name: String,
    pub description: Option<String>,
    /// https address of its picture.
    pub avatar_url: Option<String>,
    /// Who answers for it (a member of the workspace); the creator if absent.
    pub owner_id: Option<Uuid>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotPatch {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BotView {
    /// The bot's user id (it posts and is mentioned as this user).
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub description: String,
    pub avatar_url: Option<String>,
    pub owner_id: Uuid,
    pub deactivated: bool,
    pub created_at: String,
}

fn view(b: &bot::Model, u: &user::Model) -> BotView {
    BotView {
        id: u.id,
        workspace_id: b.workspace_id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        description: b.description.clone(),
        avatar_url: u.avatar_url.clone(),
        owner_id: b.owner_id,
        deactivated: u.deactivated_at.is_some(),
        created_at: rfc3339(b.created_at),
    }
}

/// An avatar address: https (or http) only, a sane length.
pub fn avatar(url: Option<&str>) -> AppResult<Option<String>> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) if integrations::markdown::safe_url(u).is_some_and(|s| s.starts_with("http")) => Ok(Some(u.to_owned())),
        Some(_) => Err(AppError::invalid("avatar_url", "must be an http or https address")),
    }
}

fn description(d: Option<&str>) -> AppResult<String> {
    validate::line_text("description", d.unwrap_or_default(), DESCRIPTION_MAX)
}

/// Who a new bot user is.
pub struct Identity<'a> {
    pub workspace_id: Uuid,
    /// `bot` or `hook`.
    pub kind: &'a str,
    pub owner: Uuid,
    pub username: &'a str,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub description: String,
}

/// Renames the user a hook or bot posts as.
pub async fn rename_identity(conn: &impl ConnectionTrait, user_id: Uuid, display_name: &str) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::DisplayName, display_name.into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A bot user and its row, a member of the workspace with the `bot` role.
pub async fn create_identity(tx: &WriteTx, who: Identity<'_>) -> AppResult<user::Model> {
    let prepared =
        PreparedUser::bot(Uuid::now_v7(), validate::username(who.username)?, who.display_name, who.avatar_url);
    let u = accounts::insert(&**tx, prepared).await?;
    bot::ActiveModel {
        user_id: Set(u.id),
        workspace_id: Set(who.workspace_id),
        kind: Set(who.kind.to_owned()),
        owner_id: Set(who.owner),
        description: Set(who.description),
        created_at: Set(now_ms()),
    }
    .insert(&**tx)
    .await?;
    crate::workspaces::service::add_member(tx, who.workspace_id, u.id, WorkspaceRole::Bot).await?;
    Ok(u)
}

pub async fn create(
    tx: &WriteTx,
    ws: &WorkspaceAccess,
    actor: Uuid,
    new: NewBot,
    name_max: usize,
) -> AppResult<BotView> {
    ws.require_admin()?;
    let owner = new.owner_id.unwrap_or(actor);
    if owner != actor {
        let owner_role = access::workspace(&**tx, owner, ws.workspace.id)
            .await
            .map_err(|_| AppError::invalid("owner_id", "must be a member of the workspace"))?;
        if owner_role.role < WorkspaceRole::Member {
            return Err(AppError::invalid("owner_id", "must be a member of the workspace"));
        }
    }
    let display_name = validate::display_text("display_name", &new.display_name, name_max)?;
    let who = Identity {
        workspace_id: ws.workspace.id,
        kind: KIND_BOT,
        owner,
        username: &new.username,
        display_name,
        avatar_url: avatar(new.avatar_url.as_deref())?,
        description: description(new.description.as_deref())?,
    };
    let u = create_identity(tx, who).await?;
    let b = bot::Entity::find_by_id(u.id).one(&**tx).await?.ok_or_else(|| anyhow::anyhow!("bot row vanished"))?;
    Ok(view(&b, &u))
}

/// Bots of a workspace: all of them for admins, a member's own otherwise.
pub async fn list(conn: &impl ConnectionTrait, ws: &WorkspaceAccess, actor: Uuid) -> AppResult<Vec<BotView>> {
    let mut q = bot::Entity::find()
        .filter(bot::Column::WorkspaceId.eq(ws.workspace.id))
        .filter(bot::Column::Kind.eq(KIND_BOT))
        .order_by_asc(bot::Column::CreatedAt);
    if !ws.role.is_admin() {
        q = q.filter(bot::Column::OwnerId.eq(actor));
    }
    let rows = q.all(conn).await?;
    let users = user::Entity::find().filter(user::Column::Id.is_in(rows.iter().map(|b| b.user_id))).all(conn).await?;
    Ok(rows.iter().filter_map(|b| users.iter().find(|u| u.id == b.user_id).map(|u| view(b, u))).collect())
}

/// A bot the actor may manage (its owner, or an admin of its workspace); others get 404.
pub async fn manageable(
    conn: &impl ConnectionTrait,
    actor: Uuid,
    bot_id: Uuid,
) -> AppResult<(bot::Model, user::Model)> {
    let b = bot::Entity::find_by_id(bot_id)
        .one(conn)
        .await?
        .filter(|b| b.kind == KIND_BOT)
        .ok_or(AppError::NotFound("bot"))?;
    let ws = access::workspace(conn, actor, b.workspace_id).await.map_err(|_| AppError::NotFound("bot"))?;
    if b.owner_id != actor && !ws.role.is_admin() {
        return Err(AppError::NotFound("bot"));
    }
    let u = user::Entity::find_by_id(bot_id).one(conn).await?.ok_or(AppError::NotFound("bot"))?;
    Ok((b, u))
}

pub async fn update(
    conn: &impl ConnectionTrait,
    actor: Uuid,
    bot_id: Uuid,
    patch: BotPatch,
    name_max: usize,
) -> AppResult<BotView> {
    let (b, u) = manageable(conn, actor, bot_id).await?;
    let mut user_am: user::ActiveModel = u.into();
    if let Some(name) = patch.display_name.as_deref() {
        user_am.display_name = Set(validate::display_text("display_name", name, name_max)?);
    }
    if patch.avatar_url.is_some() {
        user_am.avatar_url = Set(avatar(patch.avatar_url.as_deref())?);
    }
    user_am.updated_at = Set(now_ms());
    let u = user_am.update(conn).await?;
    let b = match patch.description.as_deref() {
        Some(d) => {
            let mut am: bot::ActiveModel = b.into();
            am.description = Set(description(Some(d))?);
            am.update(conn).await?
        }
        None => b,
    };
    Ok(view(&b, &u))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBotToken {
    pub name: String,
    /// Any of channels:read, channels:history, chat:write, reactions:write, files:write,
    /// channels:manage, users:read.
    pub scopes: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BotTokenView {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedBotToken {
    #[serde(flatten)]
    pub view: BotTokenView,
    /// `bot_…`: shown this once, stored only as a hash.
    pub token: String,
}

fn token_view(t: &api_token::Model) -> BotTokenView {
    BotTokenView {
        id: t.id,
        name: t.name.clone(),
        prefix: t.prefix.clone(),
        scopes: t
            .scopes
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: rfc3339(t.created_at),
        last_used_at: opt_rfc3339(t.last_used_at),
    }
}

pub async fn create_token(
    conn: &impl ConnectionTrait,
    bot_user: &user::Model,
    new: NewBotToken,
) -> AppResult<CreatedBotToken> {
    if bot_user.deactivated_at.is_some() {
        return Err(AppError::conflict("bot_deactivated", "reactivate the bot first"));
    }
    let name = validate::display_text("name", &new.name, 80)?;
    let parsed = scopes::parse_list(&new.scopes.join(" ")).map_err(|e| AppError::invalid("scopes", e))?;
    if parsed.is_empty() {
        return Err(AppError::invalid("scopes", "give at least one scope"));
    }
    let existing = api_token::Entity::find().filter(api_token::Column::UserId.eq(bot_user.id)).all(conn).await?;
    if existing.len() >= MAX_TOKENS_PER_BOT {
        return Err(AppError::conflict("too_many_tokens", "revoke an old token first"));
    }
    let secret = secret_token::generate(TOKEN_PREFIX);
    let row = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(bot_user.id),
        name: Set(name),
        token_hash: Set(secret_token::hash(&secret)),
        prefix: Set(secret.chars().take(10).collect()),
        created_at: Set(now_ms()),
        last_used_at: Set(None),
        expires_at: Set(None),
        scopes: Set(Some(scopes::to_list(&parsed))),
    }
    .insert(conn)
    .await?;
    Ok(CreatedBotToken { view: token_view(&row), token: secret })
}

pub async fn tokens(conn: &impl ConnectionTrait, bot_id: Uuid) -> AppResult<Vec<BotTokenView>> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(bot_id))
        .order_by_asc(api_token::Column::CreatedAt)
        .all(conn)
        .await?;
    Ok(rows.iter().map(token_view).collect())
}

pub async fn revoke_token(conn: &impl ConnectionTrait, bot_id: Uuid, token_id: Uuid) -> AppResult<()> {
    api_tokens::revoke(conn, bot_id, token_id).await
}
