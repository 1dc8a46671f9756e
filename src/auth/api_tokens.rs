//! Personal API tokens: `Authorization: Bearer pat_…`, shown once, stored hashed.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

use super::model::api_token;
use super::secret_token;
use crate::clock::{now_ms, opt_rfc3339, rfc3339, HOUR_MS};
use crate::error::{AppError, AppResult};

pub const PREFIX: &str = "pat_";
const MAX_TOKENS_PER_USER: usize = 100;

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

impl From<api_token::Model> for TokenView {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: rfc3339(t.created_at),
            last_used_at: opt_rfc3339(t.last_used_at),
            expires_at: opt_rfc3339(t.expires_at),
        }
    }
}

pub async fn create(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    name: &str,
    expires_in_hours: Option<i64>,
) -> AppResult<(TokenView, String)> {
    let existing = api_token::Entity::find().filter(api_token::Column::UserId.eq(user_id)).all(conn).await?;
    if existing.len() >= MAX_TOKENS_PER_USER {
        return Err(AppError::conflict("too_many_tokens", "revoke an old token first"));
    }
    let secret = secret_token::generate(PREFIX);
    let now = now_ms();
    let model = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(secret_token::hash(&secret)),
        prefix: Set(secret.chars().take(10).collect()),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(expires_in_hours.map(|h| now + h * HOUR_MS)),
        scopes: Set(None),
    }
    .insert(conn)
    .await?;
    Ok((model.into(), secret))
}

pub async fn list(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<TokenView>> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_asc(api_token::Column::CreatedAt)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn revoke(conn: &impl ConnectionTrait, user_id: Uuid, id: Uuid) -> AppResult<()> {
    let res = api_token::Entity::delete_many()
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("token"));
    }
    Ok(())
}

pub async fn delete_all_for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    api_token::Entity::delete_many().filter(api_token::Column::UserId.eq(user_id)).exec(conn).await?;
    Ok(())
}
