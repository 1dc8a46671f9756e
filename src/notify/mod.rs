//! E-mail fallback: people who are away hear about what they missed — direct messages,
//! mentions, replies in threads they follow — in one digest after a delay, never for
//! what they read meanwhile on any device, with a one-click unsubscribe.
//!
//! A post writes an `email.decide` job (decide); it files a notification for each
//! person who should hear and schedules their `email.digest` job (digest), which builds
//! one mail (digest_mail) and hands it to mail::outbox.
pub mod candidates;
pub mod decide;
pub mod digest;
pub mod digest_mail;
pub mod model;
pub mod prefs;
pub mod routes;
pub mod unsubscribe;

use uuid::Uuid;

use crate::state::AppState;

/// Connected and active on some node (whatever status they chose to show): what
/// arrives reaches them live, so it is not mailed. Idle and offline people are mailed.
pub fn is_here(state: &AppState, user: Uuid) -> bool {
    state.realtime.presence.is_active(user)
}

/// A deleted message is mailed to nobody: its waiting notifications go with it.
pub async fn withdraw(conn: &impl sea_orm::ConnectionTrait, message_id: Uuid) -> crate::error::AppResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    model::pending::Entity::delete_many().filter(model::pending::Column::MessageId.eq(message_id)).exec(conn).await?;
    Ok(())
}
