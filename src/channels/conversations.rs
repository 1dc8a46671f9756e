//! Direct (two people, or oneself) and group (up to 9 people) conversations,
//! found or created by their exact member set.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::channel;
use super::service::{add_member_row, insert, view_for};
use super::view::ChannelView;
use crate::access::{self, ChannelKind, WorkspaceAccess};
use crate::error::{AppError, AppResult};

pub const GROUP_MAX: usize = 9;

/// The member set's canonical key: sorted ids, comma-separated.
fn key(members: &[Uuid]) -> String {
    members.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
}

pub struct Conversation {
    pub view: ChannelView,
    pub created: bool,
    /// People who became members now (all of them for a new conversation).
    pub added: Vec<Uuid>,
}

pub async fn get_or_create(
    conn: &impl ConnectionTrait,
    ws: &WorkspaceAccess,
    me: Uuid,
    others: &[Uuid],
) -> AppResult<Conversation> {
    let mut members: Vec<Uuid> = others.to_vec();
    members.push(me);
    members.sort();
    members.dedup();
    if members.len() > GROUP_MAX {
        return Err(AppError::invalid("user_ids", format!("a conversation has at most {GROUP_MAX} people")));
    }
    for &u in &members {
        if u != me {
            access::workspace(conn, u, ws.workspace.id).await.map_err(|_| AppError::NotFound("user"))?;
        }
    }
    let kind = if members.len() <= 2 { ChannelKind::Direct } else { ChannelKind::Group };
    let dm_key = key(&members);
    let existing = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(ws.workspace.id))
        .filter(channel::Column::DmKey.eq(dm_key.clone()))
        .one(conn)
        .await?;
    let (row, created) = match existing {
        Some(c) => (c, false),
        None => match insert(conn, ws.workspace.id, me, kind, None, "", "", Some(dm_key.clone())).await {
            Ok(c) => (c, true),
            // Lost a race with the same request: the other one created it.
            Err(AppError::Conflict { .. }) => {
                let c = channel::Entity::find()
                    .filter(channel::Column::WorkspaceId.eq(ws.workspace.id))
                    .filter(channel::Column::DmKey.eq(dm_key))
                    .one(conn)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("conversation vanished after conflict"))?;
                (c, false)
            }
            Err(e) => return Err(e),
        },
    };
    // Members removed from the workspace and back again regain their conversations.
    let mut added = Vec::new();
    for &u in &members {
        if add_member_row(conn, row.id, u, "member").await? {
            added.push(u);
        }
    }
    Ok(Conversation { view: view_for(conn, &row, me).await?, created, added })
}

/// Tells the members of a conversation it now includes them (and that it exists).
pub fn announce(tx: &crate::db::WriteTx, workspace_id: Uuid, conv: &Conversation) -> AppResult<()> {
    use crate::realtime::event::{kind, NewEvent};
    for user in &conv.added {
        tx.emit(NewEvent::member_joined(workspace_id, conv.view.id, *user));
    }
    if conv.created {
        tx.emit(NewEvent::channel(kind::CHANNEL_CREATED, workspace_id, conv.view.id, shared_view(&conv.view)?));
    }
    Ok(())
}

/// A channel's view as every member may see it (without one person's membership).
pub fn shared_view(view: &ChannelView) -> AppResult<serde_json::Value> {
    let mut shared = view.clone();
    shared.membership = None;
    Ok(serde_json::to_value(&shared).map_err(anyhow::Error::from)?)
}
