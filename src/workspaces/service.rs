//! Workspace rules: create (with #general), list, members, roles, removal.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use uuid::Uuid;

use super::model::{member, workspace};
use crate::access::{self, ChannelKind, WorkspaceAccess, WorkspaceRole};
use crate::accounts::model::user;
use crate::accounts::view::UserView;
use crate::audit::{self, AuditEvent};
use crate::channels::model::{channel, member as channel_member};
use crate::channels::service as channels;
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::db::{is_unique_violation, Db, WriteTx};
use crate::error::{AppError, AppResult};
use crate::realtime::event::{kind, NewEvent};
use crate::validate;
use serde_json::json;

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkspaceView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub my_role: WorkspaceRole,
    pub created_at: String,
    /// Members, not only admins, may create incoming webhooks in their channels.
    pub members_create_hooks: bool,
    /// `password_and_sso` or `sso_only`.
    pub sign_in_policy: String,
    /// Archived by an administrator: readable, but nothing in it can change.
    pub archived: bool,
}

impl WorkspaceView {
    pub fn new(ws: &workspace::Model, role: WorkspaceRole) -> Self {
        Self {
            id: ws.id,
            name: ws.name.clone(),
            slug: ws.slug.clone(),
            my_role: role,
            created_at: rfc3339(ws.created_at),
            members_create_hooks: ws.members_create_hooks,
            sign_in_policy: ws.sign_in_policy.clone(),
            archived: ws.archived_at.is_some(),
        }
    }
}

/// Tells the workspace's sockets what it looks like now (every member's role is their own,
/// so the event leaves `my_role` out).
pub fn updated_event(ws: &workspace::Model) -> NewEvent {
    let data = json!({
        "id": ws.id, "name": ws.name, "slug": ws.slug, "archived": ws.archived_at.is_some(),
        "members_create_hooks": ws.members_create_hooks, "sign_in_policy": ws.sign_in_policy,
    });
    NewEvent::workspace(kind::WORKSPACE_UPDATED, ws.id, data)
}

impl From<&WorkspaceAccess> for WorkspaceView {
    fn from(a: &WorkspaceAccess) -> Self {
        Self::new(&a.workspace, a.role)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub user: UserView,
    pub role: WorkspaceRole,
    pub joined_at: String,
    pub deactivated_at: Option<String>,
    /// For an app identity, what it is: `bot` (added to channels like a person), `hook`
    /// (what a webhook or slash command posts as) or `system` (the workspace's own
    /// voice); absent for people. Pickers offer people and bots only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

fn slug_from_name(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() {
        "workspace".into()
    } else {
        s.chars().take(48).collect()
    }
}

/// Creates a workspace owned by `owner` with a #general channel everyone joins.
pub async fn create(
    tx: &WriteTx,
    owner: Uuid,
    name: &str,
    slug: Option<&str>,
    name_max: usize,
) -> AppResult<WorkspaceView> {
    let name = validate::display_text("name", name, name_max)?;
    let slug = match slug {
        Some(s) => validate::slug("slug", s, 64)?,
        None => unique_slug(&**tx, &slug_from_name(&name)).await?,
    };
    let now = now_ms();
    let ws = workspace::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        slug: Set(slug),
        created_by: Set(owner),
        created_at: Set(now),
        members_create_hooks: Set(false),
        sign_in_policy: Set("password_and_sso".into()),
        retention_days: Set(None),
        guests_allowed: Set(true),
        storage_quota_bytes: Set(None),
        archived_at: Set(None),
    }
    .insert(&**tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("already_exists", "that workspace slug is taken")
        } else {
            e.into()
        }
    })?;
    channels::insert(&**tx, ws.id, owner, ChannelKind::Public, Some("general".into()), "", "", None).await?;
    add_member(tx, ws.id, owner, WorkspaceRole::Owner).await?;
    Ok(WorkspaceView::new(&ws, WorkspaceRole::Owner))
}

async fn unique_slug(conn: &impl ConnectionTrait, base: &str) -> AppResult<String> {
    let mut candidate = base.to_owned();
    for n in 2..1000 {
        let taken = workspace::Entity::find().filter(workspace::Column::Slug.eq(candidate.clone())).one(conn).await?;
        if taken.is_none() {
            return Ok(candidate);
        }
        candidate = format!("{base}-{n}");
    }
    Err(AppError::conflict("already_exists", "choose a slug"))
}

/// Adds (or re-activates) a membership and joins the workspace's #general.
pub async fn add_member(tx: &WriteTx, ws_id: Uuid, user_id: Uuid, role: WorkspaceRole) -> AppResult<()> {
    let conn = &**tx;
    let now = now_ms();
    match member::Entity::find_by_id((ws_id, user_id)).one(conn).await? {
        Some(m) if m.deactivated_at.is_none() => return Ok(()),
        Some(_) => {
            member::Entity::update_many()
                .col_expr(member::Column::DeactivatedAt, Option::<i64>::None.into())
                .col_expr(member::Column::Role, role.as_str().into())
                .filter(member::Column::WorkspaceId.eq(ws_id))
                .filter(member::Column::UserId.eq(user_id))
                .exec(conn)
                .await?;
        }
        None => {
            member::ActiveModel {
                workspace_id: Set(ws_id),
                user_id: Set(user_id),
                role: Set(role.as_str().into()),
                joined_at: Set(now),
                deactivated_at: Set(None),
            }
            .insert(conn)
            .await?;
        }
    }
    tx.emit(
        NewEvent::workspace(kind::WORKSPACE_MEMBER_ADDED, ws_id, json!({"user_id": user_id, "role": role}))
            .about(user_id),
    );
    if role >= WorkspaceRole::Member {
        let general = channel::Entity::find()
            .filter(channel::Column::WorkspaceId.eq(ws_id))
            .filter(channel::Column::Name.eq("general"))
            .filter(channel::Column::Kind.eq("public"))
            .one(conn)
            .await?;
        if let Some(general) = general {
            // A workspace's creator is in #general (as its admin) already.
            channels::add_member_row(conn, general.id, user_id, "member").await?;
            tx.emit(NewEvent::member_joined(ws_id, general.id, user_id));
        }
    }
    Ok(())
}

pub async fn list_mine(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<WorkspaceView>> {
    let memberships = member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .filter(member::Column::DeactivatedAt.is_null())
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.workspace_id).collect();
    let workspaces = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .order_by_asc(workspace::Column::Name)
        .all(conn)
        .await?;
    Ok(workspaces
        .iter()
        .filter_map(|ws| {
            let m = memberships.iter().find(|m| m.workspace_id == ws.id)?;
            Some(WorkspaceView::new(ws, WorkspaceRole::parse(&m.role)))
        })
        .collect())
}

pub async fn members(
    conn: &impl ConnectionTrait,
    ws: &WorkspaceAccess,
    include_removed: bool,
) -> AppResult<Vec<MemberView>> {
    let mut q = member::Entity::find().filter(member::Column::WorkspaceId.eq(ws.workspace.id));
    if !include_removed {
        q = q.filter(member::Column::DeactivatedAt.is_null());
    }
    let rows = q.order_by_asc(member::Column::JoinedAt).limit(10_000).all(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.user_id).collect();
    let users = user::Entity::find().filter(user::Column::Id.is_in(ids.clone())).all(conn).await?;
    let apps: std::collections::HashMap<Uuid, String> = crate::bots::model::bot::Entity::find()
        .filter(crate::bots::model::bot::Column::UserId.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.user_id, b.kind))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|m| {
            let u = users.iter().find(|u| u.id == m.user_id)?;
            Some(MemberView {
                user: u.into(),
                role: WorkspaceRole::parse(&m.role),
                joined_at: rfc3339(m.joined_at),
                deactivated_at: opt_rfc3339(m.deactivated_at),
                app: apps.get(&u.id).cloned(),
            })
        })
        .collect())
}

async fn owner_count(conn: &impl ConnectionTrait, ws_id: Uuid) -> AppResult<usize> {
    Ok(member::Entity::find()
        .filter(member::Column::WorkspaceId.eq(ws_id))
        .filter(member::Column::Role.eq("owner"))
        .filter(member::Column::DeactivatedAt.is_null())
        .all(conn)
        .await?
        .len())
}

async fn target_membership(conn: &impl ConnectionTrait, ws_id: Uuid, user_id: Uuid) -> AppResult<member::Model> {
    member::Entity::find_by_id((ws_id, user_id))
        .one(conn)
        .await?
        .filter(|m| m.deactivated_at.is_none())
        .ok_or(AppError::NotFound("member"))
}

/// Only owners may touch owners or hand out ownership; a workspace keeps one owner.
pub async fn change_role(
    db: &Db,
    ws: &WorkspaceAccess,
    actor: Uuid,
    user_id: Uuid,
    role: WorkspaceRole,
) -> AppResult<()> {
    ws.require_admin()?;
    let tx = db.write().await?;
    let target = target_membership(&*tx, ws.workspace.id, user_id).await?;
    let current = WorkspaceRole::parse(&target.role);
    if role == WorkspaceRole::Guest && current != WorkspaceRole::Guest && !ws.workspace.guests_allowed {
        return Err(AppError::conflict("guests_not_allowed", "this workspace does not take guests"));
    }
    if (current == WorkspaceRole::Bot) != (role == WorkspaceRole::Bot) {
        return Err(AppError::invalid("role", "bots keep the bot role, and people cannot be given it"));
    }
    if (current == WorkspaceRole::Owner || role == WorkspaceRole::Owner) && ws.role != WorkspaceRole::Owner {
        return Err(access::not_allowed("only owners may grant or change ownership"));
    }
    if current == WorkspaceRole::Owner && role != WorkspaceRole::Owner && owner_count(&*tx, ws.workspace.id).await? <= 1
    {
        return Err(AppError::conflict("last_owner", "a workspace must keep at least one owner"));
    }
    set_role(&tx, ws.workspace.id, user_id, role).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(actor), "workspace.member_role_changed")
            .workspace(ws.workspace.id)
            .target("user", user_id)
            .details(serde_json::json!({"from": current.as_str(), "to": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member (or lets a member leave): the membership is deactivated and every
/// channel membership in the workspace dropped, so access ends at once.
pub async fn remove_member(db: &Db, ws: &WorkspaceAccess, actor: Uuid, user_id: Uuid) -> AppResult<()> {
    if actor != user_id {
        ws.require_admin()?;
    }
    let tx = db.write().await?;
    let target = target_membership(&*tx, ws.workspace.id, user_id).await?;
    let role = WorkspaceRole::parse(&target.role);
    if role == WorkspaceRole::Owner {
        if actor != user_id && ws.role != WorkspaceRole::Owner {
            return Err(access::not_allowed("only owners may remove owners"));
        }
        if owner_count(&*tx, ws.workspace.id).await? <= 1 {
            return Err(AppError::conflict("last_owner", "a workspace must keep at least one owner"));
        }
    }
    end_membership(&tx, ws.workspace.id, user_id).await?;
    audit::record(
        &*tx,
        AuditEvent::new(Some(actor), "workspace.member_removed").workspace(ws.workspace.id).target("user", user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a member's role (a guest leaves the public channels) and tells their sockets.
/// The caller has checked who may do it.
pub async fn set_role(tx: &WriteTx, ws_id: Uuid, user_id: Uuid, role: WorkspaceRole) -> AppResult<()> {
    let conn = &**tx;
    member::Entity::update_many()
        .col_expr(member::Column::Role, role.as_str().into())
        .filter(member::Column::WorkspaceId.eq(ws_id))
        .filter(member::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    if role == WorkspaceRole::Guest {
        // A guest keeps only what it is explicitly added to: leave public channels.
        for ch in channels::remove_from_public_channels(conn, ws_id, user_id).await? {
            tx.emit(NewEvent::member_left(ws_id, ch, user_id));
        }
    }
    tx.emit(
        NewEvent::workspace(kind::WORKSPACE_MEMBER_UPDATED, ws_id, json!({"user_id": user_id, "role": role}))
            .about(user_id),
    );
    Ok(())
}

/// Ends a membership: deactivated, every channel membership in the workspace dropped
/// (so access ends at once), the sockets told. The caller has checked who may do it.
pub async fn end_membership(tx: &WriteTx, ws_id: Uuid, user_id: Uuid) -> AppResult<()> {
    let conn = &**tx;
    member::Entity::update_many()
        .col_expr(member::Column::DeactivatedAt, Some(now_ms()).into())
        .filter(member::Column::WorkspaceId.eq(ws_id))
        .filter(member::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    let channel_ids: Vec<Uuid> = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(ws_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let left: Vec<Uuid> = channel_member::Entity::find()
        .filter(channel_member::Column::UserId.eq(user_id))
        .filter(channel_member::Column::ChannelId.is_in(channel_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.channel_id)
        .collect();
    channel_member::Entity::delete_many()
        .filter(channel_member::Column::UserId.eq(user_id))
        .filter(channel_member::Column::ChannelId.is_in(left.iter().copied()))
        .exec(conn)
        .await?;
    for ch in left {
        tx.emit(NewEvent::member_left(ws_id, ch, user_id));
    }
    tx.emit(NewEvent::workspace(kind::WORKSPACE_MEMBER_REMOVED, ws_id, json!({"user_id": user_id})).about(user_id));
    Ok(())
}
