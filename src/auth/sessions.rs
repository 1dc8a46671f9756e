//! Server-side sessions: the cookie holds a random secret, the table its hash.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::model::session;
use super::secret_token;
use crate::clock::{now_ms, HOUR_MS};
use crate::error::AppResult;

pub const COOKIE_SECURE: &str = "__Host-parley_session";
pub const COOKIE_INSECURE: &str = "parley_session";

/// Where a session signed in through an identity provider came from.
#[derive(Clone, Debug)]
pub struct SsoOrigin {
    pub provider_id: String,
    pub sid: Option<String>,
}

pub struct NewSession {
    pub secret: String,
    pub id: Uuid,
}

pub async fn create(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    idle_hours: i64,
    user_agent: Option<String>,
    ip: Option<String>,
    sso: Option<SsoOrigin>,
) -> AppResult<NewSession> {
    let secret = secret_token::generate("");
    let now = now_ms();
    let id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        token_hash: Set(secret_token::hash(&secret)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + idle_hours * HOUR_MS),
        user_agent: Set(user_agent.map(|s| s.chars().take(200).collect())),
        ip: Set(ip),
        sso_provider_id: Set(sso.as_ref().map(|o| o.provider_id.clone())),
        sso_sid: Set(sso.and_then(|o| o.sid).map(|s| s.chars().take(255).collect())),
    }
    .insert(conn)
    .await?;
    crate::accounts::service::mark_active(conn, user_id, now).await?;
    Ok(NewSession { secret, id })
}

/// Deletes a session; answers it as it was (None if it was gone already).
pub async fn delete(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<session::Model>> {
    let found = session::Entity::find_by_id(id).one(conn).await?;
    session::Entity::delete_by_id(id).exec(conn).await?;
    Ok(found)
}

/// "Log out everywhere": every session of the user, optionally keeping one.
pub async fn delete_all_for_user(conn: &impl ConnectionTrait, user_id: Uuid, keep: Option<Uuid>) -> AppResult<u64> {
    let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    Ok(q.exec(conn).await?.rows_affected)
}
