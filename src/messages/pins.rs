//! Pinned messages of a channel.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::model::{message, pin};
use super::view::{views, MessageView};
use crate::clock::now_ms;
use crate::db::is_unique_violation;
use crate::error::{AppError, AppResult};

pub const MAX_PINS: usize = 250;

/// Pins the message; false when it was pinned already.
pub async fn pin(conn: &impl ConnectionTrait, msg: &message::Model, me: Uuid) -> AppResult<bool> {
    if msg.deleted_at.is_some() {
        return Err(AppError::NotFound("message"));
    }
    let count = pin::Entity::find().filter(pin::Column::ChannelId.eq(msg.channel_id)).all(conn).await?.len();
    if count >= MAX_PINS {
        return Err(AppError::conflict("too_many_pins", "unpin something first"));
    }
    let row = pin::ActiveModel {
        message_id: Set(msg.id),
        channel_id: Set(msg.channel_id),
        pinned_by: Set(me),
        pinned_at: Set(now_ms()),
    };
    match row.insert(conn).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub async fn unpin(conn: &impl ConnectionTrait, msg: &message::Model) -> AppResult<()> {
    let res = pin::Entity::delete_by_id(msg.id).exec(conn).await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("pin"));
    }
    Ok(())
}

/// Pinned messages, most recently pinned first.
pub async fn list(conn: &impl ConnectionTrait, channel_id: Uuid) -> AppResult<Vec<MessageView>> {
    let pins = pin::Entity::find()
        .filter(pin::Column::ChannelId.eq(channel_id))
        .order_by_desc(pin::Column::PinnedAt)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = pins.iter().map(|p| p.message_id).collect();
    let msgs = message::Entity::find().filter(message::Column::Id.is_in(ids.clone())).all(conn).await?;
    let ordered: Vec<message::Model> = ids.iter().filter_map(|id| msgs.iter().find(|m| m.id == *id).cloned()).collect();
    views(conn, &ordered).await
}
