//! Where a socket starts: the person's channels and workspaces and the event log's
//! position, read in one snapshot so the replay (up to the position) and the live
//! events (after it) meet exactly (see session.rs).
use std::collections::HashSet;

use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel, QueryFilter, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

use super::log;
use crate::accounts::model::user;
use crate::channels::model::{channel, member as channel_member};
use crate::state::AppState;
use crate::workspaces::model::member as ws_member;

pub(super) struct Snapshot {
    pub pos: i64,
    pub pruned_through: i64,
    pub channels: HashSet<Uuid>,
    pub workspaces: HashSet<Uuid>,
    /// The person exists and is not deactivated.
    pub active: bool,
}

/// The user's channels and workspaces and the log position, all from one snapshot.
pub(super) async fn snapshot(state: &AppState, user_id: Uuid) -> anyhow::Result<Snapshot> {
    let conn = &state.db.conn;
    let options = match state.db.backend() {
        DbBackend::Postgres => {
            TransactionOptions { isolation_level: Some(IsolationLevel::RepeatableRead), ..Default::default() }
        }
        _ => TransactionOptions::default(),
    };
    let txn: DatabaseTransaction = conn.begin_with_options(options).await?;
    let counter = log::counter(&txn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let channels = channel_member::Entity::find().filter(channel_member::Column::UserId.eq(user_id)).all(&txn).await?;
    let workspaces = ws_member::Entity::find()
        .filter(ws_member::Column::UserId.eq(user_id))
        .filter(ws_member::Column::DeactivatedAt.is_null())
        .all(&txn)
        .await?;
    let user = user::Entity::find_by_id(user_id).one(&txn).await?;
    let workspaces: HashSet<Uuid> = workspaces.into_iter().map(|m| m.workspace_id).collect();
    // A channel row left behind in a workspace the user was removed from grants nothing.
    let in_active_workspaces: HashSet<Uuid> = channel::Entity::find()
        .filter(channel::Column::Id.is_in(channels.iter().map(|m| m.channel_id)))
        .filter(channel::Column::WorkspaceId.is_in(workspaces.iter().copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    txn.commit().await?;
    Ok(Snapshot {
        pos: counter.last_pos,
        pruned_through: counter.pruned_through,
        channels: in_active_workspaces,
        workspaces,
        active: user.is_some_and(|u| u.deactivated_at.is_none()),
    })
}
