//! Emoji reactions: one per (message, user, emoji); adding twice is harmless.
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use super::model::{message, reaction};
use crate::clock::now_ms;
use crate::db::{is_unique_violation, Db};
use crate::error::{AppError, AppResult};
use crate::realtime::event::{kind, NewEvent};
use serde_json::json;

/// A shortcode (`thumbsup`, `+1`) or up to 16 characters of emoji, no spaces.
pub fn validate_emoji(emoji: &str) -> AppResult<String> {
    let e = emoji.trim().trim_matches(':');
    let ok_shortcode =
        !e.is_empty() && e.len() <= 64 && e.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'));
    let ok_unicode = !e.is_empty()
        && e.chars().count() <= 16
        && !e.is_ascii()
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || c.is_alphanumeric());
    if ok_shortcode || ok_unicode {
        Ok(e.to_lowercase())
    } else {
        Err(AppError::invalid("emoji", "must be a shortcode like thumbsup or an emoji character"))
    }
}

/// Adds the reaction; returns the normalised emoji if it was not there yet.
pub async fn add(
    conn: &impl ConnectionTrait,
    msg: &message::Model,
    me: Uuid,
    emoji: &str,
) -> AppResult<Option<String>> {
    if msg.deleted_at.is_some() {
        return Err(AppError::NotFound("message"));
    }
    let emoji = validate_emoji(emoji)?;
    let row = reaction::ActiveModel {
        message_id: Set(msg.id),
        user_id: Set(me),
        emoji: Set(emoji.clone()),
        created_at: Set(now_ms()),
    };
    match row.insert(conn).await {
        Ok(_) => Ok(Some(emoji)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Reacts to a message in one transaction with its event (adding twice is harmless).
pub async fn react(db: &Db, msg: &message::Model, workspace_id: Uuid, me: Uuid, emoji: &str) -> AppResult<()> {
    let tx = db.write().await?;
    if let Some(emoji) = add(&*tx, msg, me, emoji).await? {
        let data = json!({"message_id": msg.id, "emoji": emoji, "user_id": me});
        tx.emit(NewEvent::channel(kind::REACTION_ADDED, workspace_id, msg.channel_id, data));
    }
    tx.commit().await
}

/// Takes my reaction back, with its event.
pub async fn unreact(db: &Db, msg: &message::Model, workspace_id: Uuid, me: Uuid, emoji: &str) -> AppResult<()> {
    let tx = db.write().await?;
    let emoji = remove(&*tx, msg, me, emoji).await?;
    let data = json!({"message_id": msg.id, "emoji": emoji, "user_id": me});
    tx.emit(NewEvent::channel(kind::REACTION_REMOVED, workspace_id, msg.channel_id, data));
    tx.commit().await
}

/// Removes my reaction; returns the normalised emoji.
pub async fn remove(conn: &impl ConnectionTrait, msg: &message::Model, me: Uuid, emoji: &str) -> AppResult<String> {
    let emoji = validate_emoji(emoji)?;
    let res = reaction::Entity::delete_by_id((msg.id, me, emoji.clone())).exec(conn).await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("reaction"));
    }
    Ok(emoji)
}

#[cfg(test)]
mod tests {
    use super::validate_emoji;

    #[test]
    fn emoji_forms() {
        assert_eq!(validate_emoji(":ThumbsUp:").unwrap(), "thumbsup");
        assert!(validate_emoji("+1").is_ok());
        assert!(validate_emoji("👍").is_ok());
        assert!(validate_emoji("👍🏽").is_ok());
        assert!(validate_emoji("<b>").is_err());
        assert!(validate_emoji("a b").is_err());
        assert!(validate_emoji("").is_err());
        assert!(validate_emoji("日本").is_err());
    }
}
