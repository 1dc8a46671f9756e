//! Creating and managing outgoing webhooks. A workspace admin subscribes the whole
//! workspace (its public channels); a channel hook follows one channel, created by
//! whoever may create incoming hooks there. The `whsec_` secret is shown once and kept
//! sealed; rotating keeps the previous one signing for 24 hours. The creator or a
//! workspace admin manages a hook; anyone else gets 404.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::hook;
use super::signing;
use crate::access::{self, ChannelAccess, WorkspaceAccess};
use crate::accounts::service as accounts;
use crate::auth::sealed::Sealer;
use crate::bots::model::KIND_HOOK;
use crate::bots::service::{create_identity, Identity};
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::outbound::Outbound;
use crate::realtime::event::kind;
use crate::validate;

/// Events a hook may subscribe to.
pub const EVENTS: [&str; 9] = [
    kind::MESSAGE_CREATED,
    kind::MESSAGE_EDITED,
    kind::MESSAGE_DELETED,
    kind::REACTION_ADDED,
    kind::REACTION_REMOVED,
    kind::MEMBER_JOINED,
    kind::MEMBER_LEFT,
    kind::CHANNEL_CREATED,
    kind::CHANNEL_ARCHIVED,
];
/// How long the secret before a rotation still signs deliveries.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;
const MAX_HOOKS_PER_WORKSPACE: usize = 200;
const MAX_TRIGGER_WORDS: usize = 20;
const TRIGGER_WORD_MAX: usize = 40;
const PREFIX_MAX: usize = 40;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOutgoingHook {
    pub name: String,
    /// Where deliveries are POSTed (http or https, a public address unless allowlisted).
    pub url: String,
    /// Event types, from: message.created, message.edited, message.deleted,
    /// reaction.added, reaction.removed, member.joined, member.left, channel.created,
    /// channel.archived.
    pub events: Vec<String>,
    /// Only this channel; absent: every public channel of the workspace.
    pub channel_id: Option<Uuid>,
    /// Messages whose first word is one of these (case-insensitive).
    pub trigger_words: Option<Vec<String>>,
    /// Messages that start with this.
    pub prefix: Option<String>,
    /// Deliver one at a time in event order (default true).
    pub ordered: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutgoingHookPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub trigger_words: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "crate::validate::double_option")]
    #[schema(value_type = Option<String>)]
    pub prefix: Option<Option<String>>,
    pub ordered: Option<bool>,
    /// Turn a hook back on (its failure count starts again) or off.
    pub enabled: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutgoingHookView {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Option<Uuid>,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub trigger_words: Option<Vec<String>>,
    pub prefix: Option<String>,
    pub ordered: bool,
    pub enabled: bool,
    /// Why it was turned off (`410 Gone`, a run of failures, by hand).
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i32,
    /// The user replies are posted as.
    pub bot_user_id: Uuid,
    pub created_by: Uuid,
    pub created_at: String,
    pub last_delivery_at: Option<String>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_until: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedOutgoingHook {
    #[serde(flatten)]
    pub view: OutgoingHookView,
    /// Shown this once: the `whsec_…` secret deliveries are signed with.
    pub secret: String,
}

pub fn view(h: &hook::Model) -> OutgoingHookView {
    let now = now_ms();
    OutgoingHookView {
        id: h.id,
        workspace_id: h.workspace_id,
        channel_id: h.channel_id,
        name: h.name.clone(),
        url: h.url.clone(),
        events: serde_json::from_str(&h.events).unwrap_or_default(),
        trigger_words: h.trigger_words.as_deref().and_then(|t| serde_json::from_str(t).ok()),
        prefix: h.prefix.clone(),
        ordered: h.ordered,
        enabled: h.enabled,
        disabled_reason: h.disabled_reason.clone(),
        consecutive_failures: h.consecutive_failures,
        bot_user_id: h.bot_user_id,
        created_by: h.created_by,
        created_at: rfc3339(h.created_at),
        last_delivery_at: opt_rfc3339(h.last_delivery_at),
        previous_secret_until: opt_rfc3339(h.previous_secret_until.filter(|&t| t > now)),
    }
}

fn secret_context(hook_id: Uuid) -> String {
    format!("outgoing-hook-secret:{hook_id}")
}

/// The keys deliveries are signed with now: the current secret's, and the previous
/// one's while its overlap lasts.
pub fn signing_keys(sealer: &Sealer, h: &hook::Model) -> AppResult<Vec<Vec<u8>>> {
    let mut sealed = vec![h.secret_sealed.as_str()];
    if let (Some(prev), Some(until)) = (h.previous_secret_sealed.as_deref(), h.previous_secret_until) {
        if until > now_ms() {
            sealed.push(prev);
        }
    }
    let context = secret_context(h.id);
    Ok(sealed.into_iter().map(|s| signing::open_key(sealer, &context, s)).collect::<anyhow::Result<_>>()?)
}

fn events(list: &[String]) -> AppResult<String> {
    let mut out: Vec<&str> = Vec::new();
    for e in list {
        let known = EVENTS.iter().find(|k| **k == e.trim()).ok_or_else(|| {
            AppError::invalid("events", format!("unknown event type {:?}; known: {}", e, EVENTS.join(", ")))
        })?;
        if !out.contains(known) {
            out.push(known);
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid("events", "name at least one event type"));
    }
    Ok(serde_json::to_string(&out).unwrap_or_default())
}

fn trigger_words(words: Option<&[String]>) -> AppResult<Option<String>> {
    let Some(words) = words else { return Ok(None) };
    let mut out: Vec<String> = Vec::new();
    for w in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        if w.chars().count() > TRIGGER_WORD_MAX || w.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AppError::invalid(
                "trigger_words",
                format!("single words of at most {TRIGGER_WORD_MAX} characters"),
            ));
        }
        let w = w.to_lowercase();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    if out.len() > MAX_TRIGGER_WORDS {
        return Err(AppError::invalid("trigger_words", format!("at most {MAX_TRIGGER_WORDS}")));
    }
    Ok((!out.is_empty()).then(|| serde_json::to_string(&out).unwrap_or_default()))
}

fn prefix(p: Option<&str>) -> AppResult<Option<String>> {
    match p.filter(|p| !p.trim().is_empty()) {
        None => Ok(None),
        Some(p) if p.chars().count() <= PREFIX_MAX && !p.chars().any(char::is_control) => Ok(Some(p.to_owned())),
        Some(_) => Err(AppError::invalid("prefix", format!("at most {PREFIX_MAX} printable characters"))),
    }
}

/// May `actor` subscribe here? The whole workspace: admins. One channel: as for
/// incoming hooks (admins, or members where the workspace allows it), members only.
pub fn may_create(ws: &WorkspaceAccess, channel: Option<&ChannelAccess>) -> AppResult<()> {
    match channel {
        None => ws.require_admin(),
        Some(c) if !c.is_member() => Err(access::not_allowed("join the channel first")),
        Some(c) => crate::webhooks::incoming::service::may_create(ws, c),
    }
}

pub struct Context<'a> {
    pub sealer: &'a Sealer,
    pub outbound: &'a Outbound,
    pub name_max: usize,
}

pub async fn create(
    tx: &WriteTx,
    cx: &Context<'_>,
    ws: &WorkspaceAccess,
    actor: Uuid,
    new: NewOutgoingHook,
) -> AppResult<CreatedOutgoingHook> {
    let ws_id = ws.workspace.id;
    let existing = hook::Entity::find().filter(hook::Column::WorkspaceId.eq(ws_id)).all(&**tx).await?;
    if existing.len() >= MAX_HOOKS_PER_WORKSPACE {
        return Err(AppError::conflict("too_many_hooks", "delete hooks you no longer use first"));
    }
    let name = validate::display_text("name", &new.name, cx.name_max)?;
    let url = cx.outbound.target_url(&new.url)?;
    let events = events(&new.events)?;
    let trigger_words = trigger_words(new.trigger_words.as_deref())?;
    let prefix = prefix(new.prefix.as_deref())?;
    let id = Uuid::now_v7();
    let username = format!("out-{}", &id.simple().to_string()[20..]);
    let who = Identity {
        workspace_id: ws_id,
        kind: KIND_HOOK,
        owner: actor,
        username: &username,
        display_name: name.clone(),
        avatar_url: None,
        description: String::new(),
    };
    let bot = create_identity(tx, who).await?;
    let secret = signing::new_secret();
    tx.expect_outgoing_hooks();
    let row = hook::ActiveModel {
        id: Set(id),
        workspace_id: Set(ws_id),
        channel_id: Set(new.channel_id),
        bot_user_id: Set(bot.id),
        name: Set(name),
        url: Set(url),
        events: Set(events),
        trigger_words: Set(trigger_words),
        prefix: Set(prefix),
        secret_sealed: Set(cx.sealer.seal(&secret_context(id), secret.as_bytes())?),
        previous_secret_sealed: Set(None),
        previous_secret_until: Set(None),
        ordered: Set(new.ordered.unwrap_or(true)),
        enabled: Set(true),
        disabled_reason: Set(None),
        consecutive_failures: Set(0),
        failing_since: Set(None),
        created_by: Set(actor),
        created_at: Set(now_ms()),
        last_delivery_at: Set(None),
    }
    .insert(&**tx)
    .await?;
    Ok(CreatedOutgoingHook { view: view(&row), secret })
}

/// Outgoing hooks of a workspace: all for admins, a member's own otherwise.
pub async fn list(conn: &impl ConnectionTrait, ws: &WorkspaceAccess, actor: Uuid) -> AppResult<Vec<OutgoingHookView>> {
    let mut q = hook::Entity::find()
        .filter(hook::Column::WorkspaceId.eq(ws.workspace.id))
        .order_by_asc(hook::Column::CreatedAt);
    if !ws.role.is_admin() {
        q = q.filter(hook::Column::CreatedBy.eq(actor));
    }
    Ok(q.all(conn).await?.iter().map(view).collect())
}

/// A hook `actor` may manage (its creator while still in the workspace, or a workspace
/// admin); others get 404.
pub async fn manageable(conn: &impl ConnectionTrait, actor: Uuid, hook_id: Uuid) -> AppResult<hook::Model> {
    let h = hook::Entity::find_by_id(hook_id).one(conn).await?.ok_or(AppError::NotFound("hook"))?;
    crate::webhooks::may_manage(conn, actor, h.workspace_id, h.created_by).await?;
    Ok(h)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    cx: &Context<'_>,
    h: hook::Model,
    patch: OutgoingHookPatch,
) -> AppResult<OutgoingHookView> {
    let bot_user = h.bot_user_id;
    let mut am: hook::ActiveModel = h.into();
    if let Some(name) = patch.name.as_deref() {
        let name = validate::display_text("name", name, cx.name_max)?;
        crate::bots::service::rename_identity(conn, bot_user, &name).await?;
        am.name = Set(name);
    }
    if let Some(url) = patch.url.as_deref() {
        am.url = Set(cx.outbound.target_url(url)?);
    }
    if let Some(list) = patch.events.as_deref() {
        am.events = Set(events(list)?);
    }
    if let Some(words) = patch.trigger_words {
        am.trigger_words = Set(trigger_words(words.as_deref())?);
    }
    if let Some(p) = patch.prefix {
        am.prefix = Set(prefix(p.as_deref())?);
    }
    if let Some(ordered) = patch.ordered {
        am.ordered = Set(ordered);
    }
    if let Some(enabled) = patch.enabled {
        set_switch(&mut am, enabled, "turned off by hand");
    }
    Ok(view(&am.update(conn).await?))
}

fn set_switch(am: &mut hook::ActiveModel, enabled: bool, reason: &str) {
    am.enabled = Set(enabled);
    am.disabled_reason = Set((!enabled).then(|| reason.to_owned()));
    if enabled {
        am.consecutive_failures = Set(0);
        am.failing_since = Set(None);
    }
}

/// Turns a hook on (its failure count starting over) or off, saying why.
pub async fn switch(conn: &impl ConnectionTrait, h: &hook::Model, enabled: bool, reason: &str) -> AppResult<()> {
    let mut am: hook::ActiveModel = h.clone().into();
    set_switch(&mut am, enabled, reason);
    am.update(conn).await?;
    Ok(())
}

/// A new secret; the old one keeps signing (a second signature) for 24 hours.
pub async fn rotate(conn: &impl ConnectionTrait, sealer: &Sealer, h: hook::Model) -> AppResult<CreatedOutgoingHook> {
    let secret = signing::new_secret();
    let sealed = sealer.seal(&secret_context(h.id), secret.as_bytes())?;
    let mut am: hook::ActiveModel = h.clone().into();
    am.previous_secret_sealed = Set(Some(h.secret_sealed));
    am.previous_secret_until = Set(Some(now_ms() + ROTATION_OVERLAP_MS));
    am.secret_sealed = Set(sealed);
    let row = am.update(conn).await?;
    Ok(CreatedOutgoingHook { view: view(&row), secret })
}

/// Deletes the hook with its deliveries; its identity stays (as the author of the
/// replies it posted), deactivated.
pub async fn delete(conn: &impl ConnectionTrait, h: &hook::Model) -> AppResult<()> {
    hook::Entity::delete_by_id(h.id).exec(conn).await?;
    accounts::set_active(conn, h.bot_user_id, false).await
}
