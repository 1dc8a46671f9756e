//! The one place that answers "may this user see / post / manage this?".
//! REST handlers (and later the WebSocket, search and files) all call it.
//! Anything the caller may not see is reported as not found.
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult};
use uuid::Uuid;

use crate::channels::model::{channel, member as channel_member};
use crate::db::{FromInline, ReadSource};
use crate::error::{AppError, AppResult};
use crate::messages::model::message;
use crate::workspaces::model::{member as ws_member, workspace};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    /// A bot: sees only the channels it was added to, like a guest, and is shown as an app.
    Bot,
    Guest,
    Member,
    Admin,
    Owner,
}

impl WorkspaceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Guest => "guest",
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "owner" => Self::Owner,
            "admin" => Self::Admin,
            "member" => Self::Member,
            "bot" => Self::Bot,
            _ => Self::Guest,
        }
    }
    pub fn is_admin(self) -> bool {
        self >= Self::Admin
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Public,
    Private,
    Direct,
    Group,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "public" => Self::Public,
            "direct" => Self::Direct,
            "group" => Self::Group,
            _ => Self::Private,
        }
    }
    pub fn is_conversation(self) -> bool {
        matches!(self, Self::Direct | Self::Group)
    }
}

/// An active membership of a workspace.
#[derive(Debug, Clone)]
pub struct WorkspaceAccess {
    pub workspace: workspace::Model,
    pub role: WorkspaceRole,
}

pub fn workspace_archived() -> AppError {
    AppError::conflict("workspace_archived", "the workspace is archived")
}

/// Whether this workspace is archived (false for one that does not exist).
pub async fn workspace_is_archived(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    let ws = workspace::Entity::find_by_id(id).one(conn).await?;
    Ok(ws.is_some_and(|w| w.archived_at.is_some()))
}

impl WorkspaceAccess {
    /// Refuses a change to an archived workspace (it stays readable).
    pub fn ensure_writable(&self) -> AppResult<()> {
        if self.workspace.archived_at.is_some() {
            return Err(workspace_archived());
        }
        Ok(())
    }
    pub fn require_admin(&self) -> AppResult<()> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(not_allowed("only workspace admins may do this"))
        }
    }
    pub fn require_full_member(&self) -> AppResult<()> {
        if self.role < WorkspaceRole::Member {
            Err(not_allowed("guests and bots may not do this"))
        } else {
            Ok(())
        }
    }
}

pub fn not_allowed(message: &str) -> AppError {
    AppError::forbidden("not_allowed", message)
}

async fn active_membership(
    source: &impl ReadSource,
    user_id: Uuid,
    workspace_id: Uuid,
) -> AppResult<Option<ws_member::Model>> {
    let m = source.find_one(ws_member::Entity::find_by_id((workspace_id, user_id))).await?;
    Ok(m.filter(|m| m.deactivated_at.is_none()))
}

/// The workspace, if `user_id` is an active member of it.
pub async fn workspace(source: &impl ReadSource, user_id: Uuid, workspace_id: Uuid) -> AppResult<WorkspaceAccess> {
    let membership = active_membership(source, user_id, workspace_id).await?.ok_or(AppError::NotFound("workspace"))?;
    let workspace =
        source.find_one(workspace::Entity::find_by_id(workspace_id)).await?.ok_or(AppError::NotFound("workspace"))?;
    Ok(WorkspaceAccess { workspace, role: WorkspaceRole::parse(&membership.role) })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read history, members, pins.
    Read,
    /// Post, react, pin, mark read: a member of a channel that is not archived.
    Post,
    /// Rename, archive, remove members: channel admin or workspace admin.
    Manage,
}

#[derive(Debug, Clone)]
pub struct ChannelAccess {
    pub channel: channel::Model,
    pub kind: ChannelKind,
    pub role: WorkspaceRole,
    pub membership: Option<channel_member::Model>,
    /// Its workspace is archived: everything in it is read-only.
    pub workspace_archived: bool,
}

impl ChannelAccess {
    /// Refuses a change to an archived channel, or to any channel of an archived workspace.
    pub fn ensure_writable(&self) -> AppResult<()> {
        if self.workspace_archived {
            return Err(workspace_archived());
        }
        if self.channel.archived_at.is_some() {
            return Err(AppError::conflict("channel_archived", "the channel is archived"));
        }
        Ok(())
    }
    pub fn can_manage(&self) -> bool {
        !self.kind.is_conversation()
            && (self.role.is_admin() || self.membership.as_ref().is_some_and(|m| m.role == "admin"))
    }
    pub fn is_member(&self) -> bool {
        self.membership.is_some()
    }
}

/// Loads a channel and checks `need` for `user_id`. Hidden channels are "not found".
pub async fn channel(
    source: &impl ReadSource,
    user_id: Uuid,
    channel_id: Uuid,
    need: Need,
) -> AppResult<ChannelAccess> {
    let (channel, ws, membership, workspace_archived_at) =
        channel_with_memberships(source, user_id, channel_id).await?.ok_or(AppError::NotFound("channel"))?;
    let ws = ws.filter(|m| m.deactivated_at.is_none()).ok_or(AppError::NotFound("channel"))?;
    let role = WorkspaceRole::parse(&ws.role);
    let kind = ChannelKind::parse(&channel.kind);
    let visible = membership.is_some() || (kind == ChannelKind::Public && role >= WorkspaceRole::Member);
    if !visible {
        return Err(AppError::NotFound("channel"));
    }
    let access = ChannelAccess { channel, kind, role, membership, workspace_archived: workspace_archived_at.is_some() };
    match need {
        Need::Read => {}
        Need::Post => {
            if !access.is_member() {
                return Err(AppError::forbidden("not_channel_member", "join the channel first"));
            }
            access.ensure_writable()?;
        }
        Need::Manage => {
            if !access.can_manage() {
                return Err(not_allowed("only channel or workspace admins may do this"));
            }
            if access.workspace_archived {
                return Err(workspace_archived());
            }
        }
    }
    Ok(access)
}

type ChannelRow = (channel::Model, Option<ws_member::Model>, Option<channel_member::Model>, Option<i64>);

/// The channel, the caller's workspace membership and channel membership, and when its
/// workspace was archived, in one statement.
async fn channel_with_memberships(
    source: &impl ReadSource,
    user_id: Uuid,
    channel_id: Uuid,
) -> AppResult<Option<ChannelRow>> {
    let (c, w, m, s) = (Alias::new("c"), Alias::new("w"), Alias::new("m"), Alias::new("s"));
    let mut q = Query::select();
    select_prefixed::<channel::Entity>(&mut q, "c");
    select_prefixed::<ws_member::Entity>(&mut q, "w");
    select_prefixed::<channel_member::Entity>(&mut q, "m");
    q.expr_as(Expr::col((s.clone(), workspace::Column::ArchivedAt)), Alias::new("s_archived_at"));
    q.from_as(channel::Entity, c.clone())
        .join_as(
            JoinType::LeftJoin,
            workspace::Entity,
            s.clone(),
            Expr::col((s, workspace::Column::Id)).equals((c.clone(), channel::Column::WorkspaceId)),
        )
        .join_as(
            JoinType::LeftJoin,
            ws_member::Entity,
            w.clone(),
            Condition::all()
                .add(
                    Expr::col((w.clone(), ws_member::Column::WorkspaceId))
                        .equals((c.clone(), channel::Column::WorkspaceId)),
                )
                .add(Expr::col((w.clone(), ws_member::Column::UserId)).eq(user_id)),
        )
        .join_as(
            JoinType::LeftJoin,
            channel_member::Entity,
            m.clone(),
            Condition::all()
                .add(Expr::col((m.clone(), channel_member::Column::ChannelId)).equals((c.clone(), channel::Column::Id)))
                .add(Expr::col((m.clone(), channel_member::Column::UserId)).eq(user_id)),
        )
        .and_where(Expr::col((c, channel::Column::Id)).eq(channel_id));
    const LAYOUT: crate::db::Layout<'static> = &[
        ("c_", channel::Model::FIELDS),
        ("w_", ws_member::Model::FIELDS),
        ("m_", channel_member::Model::FIELDS),
        ("s_", &["archived_at"]),
    ];
    Ok(source.query_one_with(&q, LAYOUT, channel_row_inline, channel_row_pooled).await?)
}

fn channel_row_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<ChannelRow> {
    let w = channel::Model::FIELDS.len();
    let m = w + ws_member::Model::FIELDS.len();
    let s = m + channel_member::Model::FIELDS.len();
    Ok((
        channel::Model::from_inline(row, 0)?,
        ws_member::Model::from_inline_optional(row, w)?,
        channel_member::Model::from_inline_optional(row, m)?,
        row.get(s)?,
    ))
}

fn channel_row_pooled(row: &QueryResult) -> Result<ChannelRow, sea_orm::DbErr> {
    Ok((
        channel::Model::from_query_result(row, "c_")?,
        ws_member::Model::from_query_result_optional(row, "w_")?,
        channel_member::Model::from_query_result_optional(row, "m_")?,
        row.try_get("s_", "archived_at")?,
    ))
}

/// Selects every column of `E` from the table aliased `alias`, as `{alias}_{column}`.
fn select_prefixed<E: EntityTrait>(q: &mut SelectStatement, alias: &str) {
    for col in E::Column::iter() {
        let name = col.as_str();
        q.expr_as(Expr::col((Alias::new(alias), Alias::new(name))), Alias::new(format!("{alias}_{name}")));
    }
}

/// A message and its channel's access; a message in a hidden channel is "not found".
pub async fn message(
    source: &impl ReadSource,
    user_id: Uuid,
    message_id: Uuid,
    need: Need,
) -> AppResult<(message::Model, ChannelAccess)> {
    let msg = source.find_one(message::Entity::find_by_id(message_id)).await?.ok_or(AppError::NotFound("message"))?;
    let access = match channel(source, user_id, msg.channel_id, need).await {
        Err(AppError::NotFound(_)) => return Err(AppError::NotFound("message")),
        other => other?,
    };
    Ok((msg, access))
}

/// Whether two users share at least one workspace (to see each other's profile).
pub async fn shares_workspace(conn: &impl ConnectionTrait, a: Uuid, b: Uuid) -> AppResult<bool> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if a == b {
        return Ok(true);
    }
    let mine: Vec<Uuid> = ws_member::Entity::find()
        .filter(ws_member::Column::UserId.eq(a))
        .filter(ws_member::Column::DeactivatedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.workspace_id)
        .collect();
    if mine.is_empty() {
        return Ok(false);
    }
    let theirs = ws_member::Entity::find()
        .filter(ws_member::Column::UserId.eq(b))
        .filter(ws_member::Column::WorkspaceId.is_in(mine))
        .one(conn)
        .await?;
    Ok(theirs.is_some())
}

/// Which of `others` share an active workspace membership with `me` (presence, one query
/// for the whole list). `me` is always included when asked for.
pub async fn sharing_workspace(
    conn: &impl ConnectionTrait,
    me: Uuid,
    others: &[Uuid],
) -> AppResult<std::collections::HashSet<Uuid>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect, QueryTrait};
    if others.is_empty() {
        return Ok(Default::default());
    }
    let mine = ws_member::Entity::find()
        .select_only()
        .column(ws_member::Column::WorkspaceId)
        .filter(ws_member::Column::UserId.eq(me))
        .filter(ws_member::Column::DeactivatedAt.is_null())
        .into_query();
    let mut found: std::collections::HashSet<Uuid> = ws_member::Entity::find()
        .filter(ws_member::Column::UserId.is_in(others.iter().copied()))
        .filter(ws_member::Column::DeactivatedAt.is_null())
        .filter(ws_member::Column::WorkspaceId.in_subquery(mine))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if others.contains(&me) {
        found.insert(me);
    }
    Ok(found)
}

/// A ready, live file and its channel's access. A file no message carries yet is the
/// uploader's alone; an attached one is readable by whoever may read its channel.
pub async fn file(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    file_id: Uuid,
) -> AppResult<(crate::files::model::file::Model, ChannelAccess)> {
    use crate::files::model::file;
    let f = file::Entity::find_by_id(file_id)
        .one(conn)
        .await?
        .filter(|f| f.deleted_at.is_none() && f.state == file::READY)
        .filter(|f| f.message_id.is_some() || f.uploader_id == user_id)
        .ok_or(AppError::NotFound("file"))?;
    let access = match channel(conn, user_id, f.channel_id, Need::Read).await {
        Err(AppError::NotFound(_)) => return Err(AppError::NotFound("file")),
        other => other?,
    };
    Ok((f, access))
}
