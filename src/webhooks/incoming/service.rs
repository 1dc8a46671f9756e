//! Creating and managing incoming hooks. A hook is bound to a channel; its creator must
//! be able to post there (and be a workspace admin, unless the workspace lets members
//! create hooks). The token is shown once and stored hashed; the signing secret for the
//! native converters is sealed. The creator or a workspace admin manages a hook.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::hook;
use crate::access::{self, ChannelAccess, Need, WorkspaceAccess};
use crate::accounts::service as accounts;
use crate::auth::sealed::Sealer;
use crate::auth::secret_token;
use crate::bots::model::KIND_HOOK;
use crate::bots::service::{avatar, create_identity, Identity};
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::validate;

pub const TOKEN_PREFIX: &str = "hook_";
const SECRET_MIN: usize = 8;
const SECRET_MAX: usize = 256;
const MAX_HOOKS_PER_WORKSPACE: usize = 500;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    /// Shown as the author of what the hook posts.
    pub name: String,
    pub avatar_url: Option<String>,
    /// The secret GitHub / Sentry sign with, or GitLab, Alertmanager or Grafana send;
    /// when set, requests to the native converters must carry it.
    pub secret: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookPatch {
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    /// A new secret; `null` removes it.
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(value_type = Option<String>)]
    pub secret: Option<Option<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HookView {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub name: String,
    pub avatar_url: Option<String>,
    /// The user the hook posts as.
    pub bot_user_id: Uuid,
    /// The token's first characters, to recognise it.
    pub token_prefix: String,
    pub has_secret: bool,
    pub created_by: Uuid,
    pub created_at: String,
    pub rotated_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedHook {
    #[serde(flatten)]
    pub view: HookView,
    /// Shown this once: the URL tools post to (append `/github`, `/gitlab`,
    /// `/alertmanager`, `/grafana` or `/sentry` for their native payloads).
    pub url: String,
}

fn view(h: &hook::Model) -> HookView {
    HookView {
        id: h.id,
        workspace_id: h.workspace_id,
        channel_id: h.channel_id,
        name: h.name.clone(),
        avatar_url: h.avatar_url.clone(),
        bot_user_id: h.bot_user_id,
        token_prefix: h.token_prefix.clone(),
        has_secret: h.secret_sealed.is_some(),
        created_by: h.created_by,
        created_at: rfc3339(h.created_at),
        rotated_at: opt_rfc3339(h.rotated_at),
        last_used_at: opt_rfc3339(h.last_used_at),
    }
}

fn url(site_url: &str, token: &str) -> String {
    format!("{}/hooks/{token}", site_url.trim_end_matches('/'))
}

fn secret_context(hook_id: Uuid) -> String {
    format!("incoming-hook-secret:{hook_id}")
}

fn seal_secret(sealer: &Sealer, hook_id: Uuid, secret: Option<&str>) -> AppResult<Option<String>> {
    let Some(secret) = secret else { return Ok(None) };
    let n = secret.chars().count();
    if !(SECRET_MIN..=SECRET_MAX).contains(&n) || secret.chars().any(char::is_control) {
        return Err(AppError::invalid("secret", format!("must be {SECRET_MIN} to {SECRET_MAX} printable characters")));
    }
    Ok(Some(sealer.seal(&secret_context(hook_id), secret.as_bytes())?))
}

/// The hook's signing secret, opened.
pub fn secret_of(sealer: &Sealer, h: &hook::Model) -> AppResult<Option<Vec<u8>>> {
    match &h.secret_sealed {
        Some(sealed) => Ok(Some(sealer.open(&secret_context(h.id), sealed)?)),
        None => Ok(None),
    }
}

/// May `actor` create a hook in this channel? Admins may; members when the workspace
/// allows it; either way only where they can post.
pub fn may_create(ws: &WorkspaceAccess, channel: &ChannelAccess) -> AppResult<()> {
    if channel.kind.is_conversation() {
        return Err(access::not_allowed("hooks post to channels, not to direct conversations"));
    }
    if ws.role.is_admin() || (ws.workspace.members_create_hooks && ws.role >= access::WorkspaceRole::Member) {
        Ok(())
    } else {
        Err(access::not_allowed("only workspace admins may create hooks here"))
    }
}

pub async fn create(
    tx: &WriteTx,
    sealer: &Sealer,
    site_url: &str,
    channel: &ChannelAccess,
    actor: Uuid,
    new: NewHook,
    name_max: usize,
) -> AppResult<CreatedHook> {
    let ws_id = channel.channel.workspace_id;
    let existing = hook::Entity::find().filter(hook::Column::WorkspaceId.eq(ws_id)).all(&**tx).await?;
    if existing.len() >= MAX_HOOKS_PER_WORKSPACE {
        return Err(AppError::conflict("too_many_hooks", "delete hooks you no longer use first"));
    }
    let name = validate::display_text("name", &new.name, name_max)?;
    let avatar_url = avatar(new.avatar_url.as_deref())?;
    let id = Uuid::now_v7();
    let username = format!("hook-{}", &id.simple().to_string()[24..]);
    let who = Identity {
        workspace_id: ws_id,
        kind: KIND_HOOK,
        owner: actor,
        username: &username,
        display_name: name.clone(),
        avatar_url: avatar_url.clone(),
        description: String::new(),
    };
    let bot = create_identity(tx, who).await?;
    let token = secret_token::generate(TOKEN_PREFIX);
    let row = hook::ActiveModel {
        id: Set(id),
        workspace_id: Set(ws_id),
        channel_id: Set(channel.channel.id),
        bot_user_id: Set(bot.id),
        name: Set(name),
        avatar_url: Set(avatar_url),
        token_hash: Set(secret_token::hash(&token)),
        token_prefix: Set(token.chars().take(12).collect()),
        secret_sealed: Set(seal_secret(sealer, id, new.secret.as_deref())?),
        created_by: Set(actor),
        created_at: Set(now_ms()),
        rotated_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(&**tx)
    .await?;
    Ok(CreatedHook { view: view(&row), url: url(site_url, &token) })
}

/// Hooks of a workspace: all for admins, a member's own otherwise.
pub async fn list(conn: &impl ConnectionTrait, ws: &WorkspaceAccess, actor: Uuid) -> AppResult<Vec<HookView>> {
    let mut q = hook::Entity::find()
        .filter(hook::Column::WorkspaceId.eq(ws.workspace.id))
        .order_by_asc(hook::Column::CreatedAt);
    if !ws.role.is_admin() {
        q = q.filter(hook::Column::CreatedBy.eq(actor));
    }
    Ok(q.all(conn).await?.iter().map(view).collect())
}

/// A hook `actor` may manage (its creator or a workspace admin); others get 404.
pub async fn manageable(conn: &impl ConnectionTrait, actor: Uuid, hook_id: Uuid) -> AppResult<hook::Model> {
    let h = hook::Entity::find_by_id(hook_id).one(conn).await?.ok_or(AppError::NotFound("hook"))?;
    crate::webhooks::may_manage(conn, actor, h.workspace_id, h.created_by).await?;
    Ok(h)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    sealer: &Sealer,
    h: hook::Model,
    patch: HookPatch,
    name_max: usize,
) -> AppResult<HookView> {
    let bot_user = h.bot_user_id;
    let mut am: hook::ActiveModel = h.clone().into();
    if let Some(name) = patch.name.as_deref() {
        let name = validate::display_text("name", name, name_max)?;
        crate::bots::service::rename_identity(conn, bot_user, &name).await?;
        am.name = Set(name);
    }
    if patch.avatar_url.is_some() {
        am.avatar_url = Set(avatar(patch.avatar_url.as_deref())?);
    }
    if let Some(secret) = patch.secret {
        am.secret_sealed = Set(seal_secret(sealer, h.id, secret.as_deref())?);
    }
    Ok(view(&am.update(conn).await?))
}

/// A new token; the old one stops working at once.
pub async fn rotate(conn: &impl ConnectionTrait, site_url: &str, h: hook::Model) -> AppResult<CreatedHook> {
    let token = secret_token::generate(TOKEN_PREFIX);
    let mut am: hook::ActiveModel = h.into();
    am.token_hash = Set(secret_token::hash(&token));
    am.token_prefix = Set(token.chars().take(12).collect());
    am.rotated_at = Set(Some(now_ms()));
    let row = am.update(conn).await?;
    Ok(CreatedHook { view: view(&row), url: url(site_url, &token) })
}

/// Deletes the hook; its identity stays (as the author of what it posted), deactivated.
pub async fn delete(conn: &impl ConnectionTrait, h: &hook::Model) -> AppResult<()> {
    hook::Entity::delete_by_id(h.id).exec(conn).await?;
    accounts::set_active(conn, h.bot_user_id, false).await
}

/// The hook a token names, if it still may post: its creator is active and can still
/// post in its channel. The channel access comes with it.
pub async fn by_token(conn: &impl ConnectionTrait, token: &str) -> AppResult<Option<(hook::Model, ChannelAccess)>> {
    let hash = secret_token::hash(token);
    let Some(h) = hook::Entity::find().filter(hook::Column::TokenHash.eq(hash.clone())).one(conn).await? else {
        return Ok(None);
    };
    if !secret_token::hashes_match(&h.token_hash, &hash) {
        return Ok(None);
    }
    let creator = crate::accounts::model::user::Entity::find_by_id(h.created_by).one(conn).await?;
    if creator.is_none_or(|u| u.deactivated_at.is_some()) {
        return Ok(None);
    }
    match access::channel(conn, h.created_by, h.channel_id, Need::Read).await {
        Ok(a) if a.is_member() => Ok(Some((h, a))),
        Ok(_) | Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn touch(conn: &impl ConnectionTrait, h: &hook::Model) -> AppResult<()> {
    let now = now_ms();
    if h.last_used_at.is_none_or(|t| now - t > 60_000) {
        hook::Entity::update_many()
            .col_expr(hook::Column::LastUsedAt, Some(now).into())
            .filter(hook::Column::Id.eq(h.id))
            .exec(conn)
            .await?;
    }
    Ok(())
}
