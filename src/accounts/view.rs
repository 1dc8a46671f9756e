//! How a user is shown over the API.
use serde::Serialize;
use uuid::Uuid;

use super::model::user;
use crate::clock::{now_ms, opt_rfc3339, rfc3339};

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct StatusView {
    pub text: Option<String>,
    pub emoji: Option<String>,
    pub expires_at: Option<String>,
}

/// What anyone sharing a workspace may see of a person.
#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub status: Option<StatusView>,
    pub deactivated: bool,
    /// A bot or an incoming webhook's identity: shown as an app, not a person.
    pub is_bot: bool,
    pub avatar_url: Option<String>,
}

/// What a person sees of themself.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    pub email: String,
    pub is_admin: bool,
    /// Do not disturb is on: notifications hold back (set with PUT /me/presence).
    pub dnd: bool,
    /// Shown as away whatever their sockets do (set with PUT /me/presence).
    pub away: bool,
    #[schema(value_type = Object)]
    pub preferences: serde_json::Value,
    pub created_at: String,
}

pub fn status_of(u: &user::Model) -> Option<StatusView> {
    if u.status_expires_at.is_some_and(|e| e <= now_ms()) {
        return None;
    }
    if u.status_text.is_none() && u.status_emoji.is_none() {
        return None;
    }
    Some(StatusView {
        text: u.status_text.clone(),
        emoji: u.status_emoji.clone(),
        expires_at: opt_rfc3339(u.status_expires_at),
    })
}

impl From<&user::Model> for UserView {
    fn from(u: &user::Model) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            status: status_of(u),
            deactivated: u.deactivated_at.is_some(),
            is_bot: u.is_bot,
            avatar_url: u.avatar_url.clone(),
        }
    }
}

impl From<&user::Model> for MeView {
    fn from(u: &user::Model) -> Self {
        Self {
            user: u.into(),
            email: u.email.clone(),
            is_admin: u.is_admin,
            dnd: u.dnd,
            away: u.away,
            preferences: serde_json::from_str(&u.preferences).unwrap_or_else(|_| serde_json::json!({})),
            created_at: rfc3339(u.created_at),
        }
    }
}
