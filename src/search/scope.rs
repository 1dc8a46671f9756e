//! Which channels a searcher may read right now, and the names in `from:` / `in:`
//! resolved against them. The same rule as `access::channel`: an active member of the
//! channel's workspace who is a member of the channel, or — not as a guest — any
//! public channel of the workspace.
use std::collections::HashMap;

use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::query::Query;
use super::Scoped;
use crate::access::{ChannelKind, WorkspaceRole};
use crate::accounts::model::user;
use crate::channels::model::{channel, member as channel_member};
use crate::error::AppResult;
use crate::workspaces::model::member as ws_member;

/// Readable channels, optionally within one workspace.
pub async fn readable_channels(
    conn: &impl ConnectionTrait,
    me: Uuid,
    workspace: Option<Uuid>,
) -> AppResult<Vec<channel::Model>> {
    let mut memberships = ws_member::Entity::find()
        .filter(ws_member::Column::UserId.eq(me))
        .filter(ws_member::Column::DeactivatedAt.is_null());
    if let Some(ws) = workspace {
        memberships = memberships.filter(ws_member::Column::WorkspaceId.eq(ws));
    }
    let roles: HashMap<Uuid, WorkspaceRole> =
        memberships.all(conn).await?.into_iter().map(|m| (m.workspace_id, WorkspaceRole::parse(&m.role))).collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let joined: Vec<Uuid> = channel_member::Entity::find()
        .select_only()
        .column(channel_member::Column::ChannelId)
        .filter(channel_member::Column::UserId.eq(me))
        .into_tuple()
        .all(conn)
        .await?;
    let joined: std::collections::HashSet<Uuid> = joined.into_iter().collect();
    let candidates = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.is_in(roles.keys().copied()))
        .filter(
            channel::Column::Kind
                .eq(ChannelKind::Public.as_str())
                .or(channel::Column::Id.is_in(joined.iter().copied())),
        )
        .all(conn)
        .await?;
    Ok(candidates
        .into_iter()
        .filter(|c| {
            joined.contains(&c.id)
                || (ChannelKind::parse(&c.kind) == ChannelKind::Public
                    && roles.get(&c.workspace_id).is_some_and(|r| *r >= WorkspaceRole::Member))
        })
        .collect())
}

/// Applies permissions and resolves names. `None` when nothing can match (no readable
/// channel, an unknown `in:` or `from:` name): the answer is then an empty page.
pub async fn scope(
    conn: &impl ConnectionTrait,
    me: Uuid,
    workspace: Option<Uuid>,
    query: Query,
) -> AppResult<Option<(Scoped, Vec<channel::Model>)>> {
    let mut channels = readable_channels(conn, me, workspace).await?;
    if !query.in_channels.is_empty() {
        channels
            .retain(|c| c.name.as_deref().is_some_and(|n| query.in_channels.iter().any(|w| w == &n.to_lowercase())));
    }
    if channels.is_empty() {
        return Ok(None);
    }
    let mut authors = Vec::new();
    if !query.from.is_empty() {
        authors = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Username.is_in(query.from.clone()))
            .into_tuple()
            .all(conn)
            .await?;
        if authors.is_empty() {
            return Ok(None);
        }
    }
    let ids = channels.iter().map(|c| c.id).collect();
    Ok(Some((Scoped { query, channels: ids, authors }, channels)))
}
