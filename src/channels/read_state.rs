//! Read state: how far each member has read, unread and mention counts, preferences.
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{channel, member};
use crate::access::ChannelAccess;
use crate::error::{AppError, AppResult};
use crate::messages::model::{mention, message};

/// Unread (top-level messages by others, not deleted) and mention counts per channel,
/// each in one grouped query whatever the number of channels.
pub async fn counts(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    memberships: &[member::Model],
) -> AppResult<HashMap<Uuid, (i64, i64)>> {
    let mut out = HashMap::new();
    if memberships.is_empty() {
        return Ok(out);
    }
    for chunk in memberships.chunks(200) {
        let mut unread_cond = Condition::any();
        let mut mention_cond = Condition::any();
        for m in chunk {
            unread_cond = unread_cond.add(
                Condition::all()
                    .add(message::Column::ChannelId.eq(m.channel_id))
                    .add(message::Column::Seq.gt(m.last_read_seq)),
            );
            mention_cond = mention_cond.add(
                Condition::all()
                    .add(mention::Column::ChannelId.eq(m.channel_id))
                    .add(mention::Column::Seq.gt(m.last_read_seq)),
            );
        }
        let unread: Vec<(Uuid, i64)> = message::Entity::find()
            .select_only()
            .column(message::Column::ChannelId)
            .column_as(Expr::col(message::Column::Id).count(), "n")
            .filter(unread_cond)
            .filter(message::Column::AuthorId.ne(user_id))
            .filter(message::Column::DeletedAt.is_null())
            .filter(message::Column::ThreadRootId.is_null())
            .group_by(message::Column::ChannelId)
            .into_tuple()
            .all(conn)
            .await?;
        let mentions: Vec<(Uuid, i64)> = mention::Entity::find()
            .select_only()
            .column(mention::Column::ChannelId)
            .column_as(Expr::col(mention::Column::Id).count(), "n")
            .filter(mention_cond)
            .filter(mention::Column::UserId.eq(user_id))
            .group_by(mention::Column::ChannelId)
            .into_tuple()
            .all(conn)
            .await?;
        for (c, n) in unread {
            out.entry(c).or_insert((0, 0)).0 = n;
        }
        for (c, n) in mentions {
            out.entry(c).or_insert((0, 0)).1 = n;
        }
    }
    Ok(out)
}

/// Moves the caller's read marker forward to `seq` (never backwards, never past the end).
pub async fn mark_read(conn: &impl ConnectionTrait, access: &ChannelAccess, user_id: Uuid, seq: i64) -> AppResult<i64> {
    let current =
        access.membership.as_ref().ok_or(AppError::forbidden("not_channel_member", "join the channel first"))?;
    if seq < 0 {
        return Err(AppError::invalid("seq", "must not be negative"));
    }
    let target = Ord::max(Ord::min(seq, access.channel.last_seq), current.last_read_seq);
    member::Entity::update_many()
        .col_expr(member::Column::LastReadSeq, target.into())
        .filter(member::Column::ChannelId.eq(access.channel.id))
        .filter(member::Column::UserId.eq(user_id))
        .filter(member::Column::LastReadSeq.lt(target))
        .exec(conn)
        .await?;
    Ok(target)
}

/// Moves the caller's read marker back so `from_seq` and everything after it is unread
/// again ("mark as unread"). Never forward: marking unread something already unread
/// leaves the marker where it is.
pub async fn mark_unread(
    conn: &impl ConnectionTrait,
    access: &ChannelAccess,
    user_id: Uuid,
    from_seq: i64,
) -> AppResult<i64> {
    let current =
        access.membership.as_ref().ok_or(AppError::forbidden("not_channel_member", "join the channel first"))?;
    if from_seq < 1 || from_seq > access.channel.last_seq {
        return Err(AppError::invalid("from_seq", "must be the seq of a message in the channel"));
    }
    let target = Ord::min(from_seq - 1, current.last_read_seq);
    member::Entity::update_many()
        .col_expr(member::Column::LastReadSeq, target.into())
        .filter(member::Column::ChannelId.eq(access.channel.id))
        .filter(member::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(target)
}

/// Marks every channel the caller belongs to in a workspace read to its end; the
/// channels whose marker moved, with the new marker.
pub async fn mark_all_read(
    conn: &impl ConnectionTrait,
    workspace_id: Uuid,
    user_id: Uuid,
) -> AppResult<Vec<(Uuid, i64)>> {
    let mine: Vec<Uuid> = member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.channel_id)
        .collect();
    let mut moved = Vec::new();
    for chunk in mine.chunks(500) {
        let ends: Vec<(Uuid, i64)> = channel::Entity::find()
            .select_only()
            .column(channel::Column::Id)
            .column(channel::Column::LastSeq)
            .filter(channel::Column::WorkspaceId.eq(workspace_id))
            .filter(channel::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (channel_id, last_seq) in ends {
            let r = member::Entity::update_many()
                .col_expr(member::Column::LastReadSeq, last_seq.into())
                .filter(member::Column::ChannelId.eq(channel_id))
                .filter(member::Column::UserId.eq(user_id))
                .filter(member::Column::LastReadSeq.lt(last_seq))
                .exec(conn)
                .await?;
            if r.rows_affected > 0 {
                moved.push((channel_id, last_seq));
            }
        }
    }
    Ok(moved)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyPrefs {
    pub muted: Option<bool>,
    /// `default`, `all`, `mentions` or `none`.
    pub notify_level: Option<String>,
}

pub async fn set_prefs(
    conn: &impl ConnectionTrait,
    access: &ChannelAccess,
    user_id: Uuid,
    prefs: NotifyPrefs,
) -> AppResult<()> {
    if access.membership.is_none() {
        return Err(AppError::forbidden("not_channel_member", "join the channel first"));
    }
    if prefs.muted.is_none() && prefs.notify_level.is_none() {
        return Ok(());
    }
    let mut q = member::Entity::update_many()
        .filter(member::Column::ChannelId.eq(access.channel.id))
        .filter(member::Column::UserId.eq(user_id));
    if let Some(muted) = prefs.muted {
        q = q.col_expr(member::Column::Muted, muted.into());
    }
    if let Some(level) = prefs.notify_level {
        if !matches!(level.as_str(), "default" | "all" | "mentions" | "none") {
            return Err(AppError::invalid("notify_level", "must be default, all, mentions or none"));
        }
        q = q.col_expr(member::Column::NotifyLevel, level.into());
    }
    q.exec(conn).await?;
    Ok(())
}
