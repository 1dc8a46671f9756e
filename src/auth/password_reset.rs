//! "Forgot password?": a link mailed to the account's address, good once for 30
//! minutes. Asking answers the same whether or not the address has an account (and
//! is throttled like sign-in); using the link sets the new password, ends every
//! session and socket of the account, and mails a notice.
use std::net::IpAddr;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::model::password_reset as reset;
use super::{secret_token, sessions};
use crate::accounts::{mails, service as accounts};
use crate::audit::{self, AuditEvent};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const VALID_MINUTES: i64 = 30;
const TOKEN_PREFIX: &str = "pwr_";

/// Mails a reset link if `email` belongs to an active person with a password.
pub async fn request(state: &AppState, ip: IpAddr, email: &str) -> AppResult<()> {
    let key = format!("reset:{}", email.trim().to_lowercase());
    state.login_throttle.check(ip, &key)?;
    state.login_throttle.spend(ip, &key);
    let Some(u) = accounts::find_by_email(&state.db.conn, email).await? else { return Ok(()) };
    if u.deactivated_at.is_some() || u.is_bot || u.password_hash.is_none() {
        return Ok(());
    }
    let token = secret_token::generate(TOKEN_PREFIX);
    let now = now_ms();
    let tx = state.db.write().await?;
    reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(u.id),
        token_hash: Set(secret_token::hash(&token)),
        expires_at: Set(now + VALID_MINUTES * 60_000),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let link = format!("{}/reset-password?token={token}", state.settings.site_base());
    mails::password_reset(&*tx, &state.settings, &u, &link, VALID_MINUTES).await?;
    audit::record(&*tx, AuditEvent::new(Some(u.id), "auth.password_reset_requested").target("user", u.id)).await?;
    tx.commit().await
}

fn unusable() -> AppError {
    AppError::bad_request("reset_link_invalid", "this reset link has expired or was already used; ask for a new one")
}

/// The link's row, if it can still be used.
async fn usable(conn: &impl ConnectionTrait, token: &str) -> AppResult<reset::Model> {
    let row = reset::Entity::find()
        .filter(reset::Column::TokenHash.eq(secret_token::hash(token.trim())))
        .one(conn)
        .await?
        .ok_or_else(unusable)?;
    if row.used_at.is_some() || row.expires_at <= now_ms() {
        return Err(unusable());
    }
    Ok(row)
}

/// Whether a link can still be used (the page asks before showing its form).
pub async fn check(state: &AppState, token: &str) -> AppResult<()> {
    usable(&state.db.conn, token).await.map(|_| ())
}

/// Sets the new password: the link is spent, every session and socket of the account
/// ends, and a notice is mailed.
pub async fn complete(state: &AppState, token: &str, new_password: String) -> AppResult<()> {
    let row = usable(&state.db.conn, token).await?;
    let u = accounts::find_by_id(&state.db.conn, row.user_id).await?.ok_or_else(unusable)?;
    if u.deactivated_at.is_some() {
        return Err(unusable());
    }
    let hash = accounts::hash_new_password(&u, new_password).await?;
    let tx = state.db.write().await?;
    // Spent in the same statement that checks it: two uses at once, one wins.
    let spent = reset::Entity::update_many()
        .col_expr(reset::Column::UsedAt, Some(now_ms()).into())
        .filter(reset::Column::Id.eq(row.id))
        .filter(reset::Column::UsedAt.is_null())
        .exec(&*tx)
        .await?;
    if spent.rows_affected != 1 {
        return Err(unusable());
    }
    // Every other link of this account (reset, address change) stops working too.
    accounts::set_password_hash(&*tx, u.id, hash).await?;
    sessions::delete_all_for_user(&*tx, u.id, None).await?;
    mails::password_changed(&*tx, &state.settings, &u, true).await?;
    audit::record(&*tx, AuditEvent::new(Some(u.id), "auth.password_reset").target("user", u.id)).await?;
    tx.commit().await?;
    super::routes::revoke_sockets_after_commit(state, u.id).await;
    Ok(())
}
