//! Channel rules: create, list, browse, join/leave, members, archive, rename, topic.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{channel, member};
use super::read_state;
use super::view::{ChannelView, MembershipView};
use crate::access::{self, ChannelAccess, ChannelKind, WorkspaceAccess};
use crate::accounts::model::user;
use crate::accounts::view::UserView;
use crate::clock::now_ms;
use crate::db::{is_unique_violation, Db, ReadSource};
use crate::error::{AppError, AppResult};
use crate::validate;

pub const NAME_MAX: usize = 80;
pub const TOPIC_MAX: usize = 250;

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &impl ConnectionTrait,
    ws_id: Uuid,
    creator: Uuid,
    kind: ChannelKind,
    name: Option<String>,
    topic: &str,
    purpose: &str,
    dm_key: Option<String>,
) -> AppResult<channel::Model> {
    let row = channel::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(ws_id),
        kind: Set(kind.as_str().into()),
        name: Set(name),
        dm_key: Set(dm_key),
        topic: Set(topic.to_owned()),
        purpose: Set(purpose.to_owned()),
        created_by: Set(creator),
        created_at: Set(now_ms()),
        archived_at: Set(None),
        last_seq: Set(0),
        last_message_at: Set(None),
        retention_days: Set(None),
        legal_hold: Set(false),
    }
    .insert(conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("already_exists", "a channel with that name already exists")
        } else {
            e.into()
        }
    })?;
    if !kind.is_conversation() {
        add_member_row(conn, row.id, creator, "admin").await?;
    }
    Ok(row)
}

/// Adds a channel membership if it is missing; reading starts at the current end.
pub async fn add_member_row(
    conn: &impl ConnectionTrait,
    channel_id: Uuid,
    user_id: Uuid,
    role: &str,
) -> AppResult<bool> {
    if member::Entity::find_by_id((channel_id, user_id)).one(conn).await?.is_some() {
        return Ok(false);
    }
    // The backlog is there to read, but it is not news to someone who just arrived.
    let last_seq = channel::Entity::find_by_id(channel_id).one(conn).await?.map_or(0, |c| c.last_seq);
    member::ActiveModel {
        channel_id: Set(channel_id),
        user_id: Set(user_id),
        role: Set(role.into()),
        joined_at: Set(now_ms()),
        last_read_seq: Set(last_seq),
        muted: Set(false),
        notify_level: Set("default".into()),
    }
    .insert(conn)
    .await
    .map(|_| true)
    .or_else(|e| if is_unique_violation(&e) { Ok(false) } else { Err(e.into()) })
}

/// Removes the user from every public channel of the workspace; returns those channels.
pub async fn remove_from_public_channels(
    conn: &impl ConnectionTrait,
    ws_id: Uuid,
    user_id: Uuid,
) -> AppResult<Vec<Uuid>> {
    let public: Vec<Uuid> = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(ws_id))
        .filter(channel::Column::Kind.eq("public"))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let left: Vec<Uuid> = member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .filter(member::Column::ChannelId.is_in(public))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.channel_id)
        .collect();
    member::Entity::delete_many()
        .filter(member::Column::UserId.eq(user_id))
        .filter(member::Column::ChannelId.is_in(left.clone()))
        .exec(conn)
        .await?;
    Ok(left)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub name: String,
    /// `public` (default) or `private`.
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub purpose: String,
}

pub async fn create(
    conn: &impl ConnectionTrait,
    ws: &WorkspaceAccess,
    me: Uuid,
    new: NewChannel,
) -> AppResult<ChannelView> {
    ws.require_full_member()?;
    let name = validate::slug("name", &new.name, NAME_MAX)?;
    let topic = validate::line_text("topic", &new.topic, TOPIC_MAX)?;
    let purpose = validate::line_text("purpose", &new.purpose, TOPIC_MAX)?;
    let kind = if new.private { ChannelKind::Private } else { ChannelKind::Public };
    let row = insert(conn, ws.workspace.id, me, kind, Some(name), &topic, &purpose, None).await?;
    view_for(conn, &row, me).await
}

/// The channel as `me` sees it, with membership and counts.
pub async fn view_for(conn: &impl ConnectionTrait, c: &channel::Model, me: Uuid) -> AppResult<ChannelView> {
    let membership = member::Entity::find_by_id((c.id, me)).one(conn).await?;
    let counts = match &membership {
        Some(m) => read_state::counts(conn, me, std::slice::from_ref(m)).await?,
        None => Default::default(),
    };
    let mview = membership.as_ref().map(|m| {
        let (u, n) = counts.get(&c.id).copied().unwrap_or((0, 0));
        MembershipView::new(m, u, n)
    });
    let mut view = ChannelView::new(c, mview);
    let members = member::Entity::find().filter(member::Column::ChannelId.eq(c.id));
    if ChannelKind::parse(&c.kind).is_conversation() {
        view.conversation_members = Some(members.all(conn).await?.into_iter().map(|m| m.user_id).collect());
    } else {
        view.member_count = Some(members.count(conn).await?);
    }
    Ok(view)
}

/// Every channel and conversation of the workspace the caller belongs to.
/// The lists are short reads (inline on SQLite); the unread counts scan what is unread,
/// so they stay on the pool.
pub async fn list_mine(db: &Db, ws: &WorkspaceAccess, me: Uuid) -> AppResult<Vec<ChannelView>> {
    let memberships = db.find_all(member::Entity::find().filter(member::Column::UserId.eq(me))).await?;
    let channels = db
        .find_all(
            channel::Entity::find()
                .filter(channel::Column::WorkspaceId.eq(ws.workspace.id))
                .filter(channel::Column::Id.is_in(memberships.iter().map(|m| m.channel_id).collect::<Vec<_>>()))
                .order_by_asc(channel::Column::Name),
        )
        .await?;
    let mine: Vec<member::Model> =
        memberships.into_iter().filter(|m| channels.iter().any(|c| c.id == m.channel_id)).collect();
    let counts = read_state::counts(&db.conn, me, &mine).await?;
    let conv_ids: Vec<Uuid> =
        channels.iter().filter(|c| ChannelKind::parse(&c.kind).is_conversation()).map(|c| c.id).collect();
    let conv_members = db.find_all(member::Entity::find().filter(member::Column::ChannelId.is_in(conv_ids))).await?;
    Ok(channels
        .iter()
        .map(|c| {
            let m = mine.iter().find(|m| m.channel_id == c.id);
            let (u, n) = counts.get(&c.id).copied().unwrap_or((0, 0));
            let mut v = ChannelView::new(c, m.map(|m| MembershipView::new(m, u, n)));
            if ChannelKind::parse(&c.kind).is_conversation() {
                v.conversation_members =
                    Some(conv_members.iter().filter(|cm| cm.channel_id == c.id).map(|cm| cm.user_id).collect());
            }
            v
        })
        .collect())
}

/// Public channels of the workspace, for the "browse channels" screen.
pub async fn browse(
    conn: &impl ConnectionTrait,
    ws: &WorkspaceAccess,
    me: Uuid,
    include_archived: bool,
) -> AppResult<Vec<ChannelView>> {
    // Guests see only what they were added to; bots may list public channels (with
    // channels:read) to find where to ask to be added.
    if ws.role == crate::access::WorkspaceRole::Guest {
        return Err(crate::access::not_allowed("guests may not browse channels"));
    }
    let mut q = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(ws.workspace.id))
        .filter(channel::Column::Kind.eq("public"));
    if !include_archived {
        q = q.filter(channel::Column::ArchivedAt.is_null());
    }
    let channels = q.order_by_asc(channel::Column::Name).all(conn).await?;
    let mut out = Vec::with_capacity(channels.len());
    for c in &channels {
        out.push(view_for(conn, c, me).await?);
    }
    Ok(out)
}

/// Joins a public channel; false when already a member.
pub async fn join(conn: &impl ConnectionTrait, access: &ChannelAccess, me: Uuid) -> AppResult<bool> {
    if access.is_member() {
        return Ok(false);
    }
    if access.kind != ChannelKind::Public {
        return Err(AppError::NotFound("channel"));
    }
    access.ensure_writable()?;
    add_member_row(conn, access.channel.id, me, "member").await
}

pub async fn leave(conn: &impl ConnectionTrait, access: &ChannelAccess, me: Uuid) -> AppResult<()> {
    if !access.is_member() {
        return Err(AppError::forbidden("not_channel_member", "you are not a member"));
    }
    if access.kind == ChannelKind::Direct {
        return Err(AppError::conflict("cannot_leave_direct", "a direct conversation cannot be left"));
    }
    member::Entity::delete_by_id((access.channel.id, me)).exec(conn).await?;
    Ok(())
}

/// Any member may add people to a channel they belong to; they must be active
/// members of the workspace, and guests only join channels they are added to.
pub async fn add_member(conn: &impl ConnectionTrait, access: &ChannelAccess, user_id: Uuid) -> AppResult<bool> {
    if access.kind.is_conversation() {
        return Err(AppError::conflict("conversation_fixed", "start a new conversation to change who is in it"));
    }
    if !access.is_member() && !access.can_manage() {
        return Err(AppError::forbidden("not_channel_member", "join the channel first"));
    }
    access.ensure_writable()?;
    access::workspace(conn, user_id, access.channel.workspace_id).await.map_err(|_| AppError::NotFound("user"))?;
    add_member_row(conn, access.channel.id, user_id, "member").await
}

pub async fn remove_member(
    conn: &impl ConnectionTrait,
    access: &ChannelAccess,
    me: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    if user_id == me {
        return leave(conn, access, me).await;
    }
    if !access.can_manage() {
        return Err(access::not_allowed("only channel or workspace admins may remove members"));
    }
    let res = member::Entity::delete_by_id((access.channel.id, user_id)).exec(conn).await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("member"));
    }
    Ok(())
}

pub async fn members(conn: &impl ConnectionTrait, access: &ChannelAccess) -> AppResult<Vec<UserView>> {
    let rows = member::Entity::find()
        .filter(member::Column::ChannelId.eq(access.channel.id))
        .order_by_asc(member::Column::JoinedAt)
        .all(conn)
        .await?;
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|m| m.user_id).collect::<Vec<_>>()))
        .order_by_asc(user::Column::Username)
        .all(conn)
        .await?;
    Ok(users.iter().map(UserView::from).collect())
}

pub async fn set_archived(conn: &impl ConnectionTrait, access: &ChannelAccess, archived: bool) -> AppResult<()> {
    if access.kind.is_conversation() {
        return Err(AppError::conflict("conversation_fixed", "conversations cannot be archived"));
    }
    if access.channel.name.as_deref() == Some("general") && access.kind == ChannelKind::Public && archived {
        return Err(AppError::conflict("general_channel", "#general cannot be archived"));
    }
    channel::Entity::update_many()
        .col_expr(channel::Column::ArchivedAt, (if archived { Some(now_ms()) } else { None }).into())
        .filter(channel::Column::Id.eq(access.channel.id))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub purpose: Option<String>,
}

/// Renaming needs manage rights; any member may set the topic and purpose.
pub async fn update(conn: &impl ConnectionTrait, access: &ChannelAccess, patch: ChannelPatch) -> AppResult<()> {
    access.ensure_writable()?;
    if !access.is_member() && !access.can_manage() {
        return Err(AppError::forbidden("not_channel_member", "join the channel first"));
    }
    let mut am: channel::ActiveModel = access.channel.clone().into();
    if let Some(name) = patch.name {
        if !access.can_manage() {
            return Err(access::not_allowed("only channel or workspace admins may rename"));
        }
        if access.channel.name.as_deref() == Some("general") {
            return Err(AppError::conflict("general_channel", "#general cannot be renamed"));
        }
        am.name = Set(Some(validate::slug("name", &name, NAME_MAX)?));
    }
    if let Some(topic) = patch.topic {
        am.topic = Set(validate::line_text("topic", &topic, TOPIC_MAX)?);
    }
    if let Some(purpose) = patch.purpose {
        am.purpose = Set(validate::line_text("purpose", &purpose, TOPIC_MAX)?);
    }
    if !am.is_changed() {
        return Ok(());
    }
    am.update(conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("already_exists", "a channel with that name already exists")
        } else {
            e.into()
        }
    })?;
    Ok(())
}
