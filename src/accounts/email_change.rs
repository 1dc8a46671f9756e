//! Changing one's e-mail address: the new address must prove it receives mail. Asking
//! (with the current password) mails a link to the new address, good once for 24
//! hours, and tells the old address; the address changes only when the link is used.
use std::net::IpAddr;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::model::{email_change, user};
use super::{mails, service};
use crate::audit::{self, AuditEvent};
use crate::auth::{password, secret_token};
use crate::clock::now_ms;
use crate::db::is_unique_violation;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

pub const VALID_HOURS: i64 = 24;
const TOKEN_PREFIX: &str = "emc_";

fn taken() -> AppError {
    AppError::conflict("already_exists", "an account with this e-mail already exists")
}

fn unusable() -> AppError {
    AppError::bad_request("link_expired", "this confirmation link has expired or was used; ask again in Settings")
}

/// Mails a confirmation link to `new_email` and a notice to the present address. An
/// address that already has an account is answered the same (its owner is told
/// instead), so this cannot be used to learn who has an account. Wrong passwords count
/// against the sign-in throttle.
pub async fn request(
    state: &AppState,
    ip: IpAddr,
    me: &user::Model,
    new_email: &str,
    current_password: String,
) -> AppResult<String> {
    state.login_throttle.check(ip, &me.email)?;
    if current_password.len() > password::MAX_LEN
        || !password::verify(current_password, me.password_hash.clone()).await?
    {
        state.login_throttle.spend(ip, &me.email);
        return Err(AppError::BadCredentials);
    }
    let email = validate::email(new_email)
        .map_err(|_| AppError::invalid("new_email", "must be an address like name@example.com"))?;
    if email == me.email {
        return Err(AppError::invalid("new_email", "that is already your address"));
    }
    if let Some(owner) = service::find_by_email(&state.db.conn, &email).await? {
        let tx = state.db.write().await?;
        mails::address_in_use(&*tx, &state.settings, &owner).await?;
        tx.commit().await?;
        return Ok(email);
    }
    let token = secret_token::generate(TOKEN_PREFIX);
    let now = now_ms();
    let tx = state.db.write().await?;
    email_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(me.id),
        new_email: Set(email.clone()),
        token_hash: Set(secret_token::hash(&token)),
        expires_at: Set(now + VALID_HOURS * 3_600_000),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let link = format!("{}/verify-email?t={token}", state.settings.site_base());
    mails::confirm_address(&*tx, &state.settings, me, &email, &link).await?;
    mails::address_change_asked(&*tx, &state.settings, me, &email).await?;
    audit::record(&*tx, AuditEvent::new(Some(me.id), "account.email_change_requested").target("user", me.id)).await?;
    tx.commit().await?;
    Ok(email)
}

async fn usable(conn: &impl ConnectionTrait, token: &str) -> AppResult<email_change::Model> {
    let row = email_change::Entity::find()
        .filter(email_change::Column::TokenHash.eq(secret_token::hash(token.trim())))
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::bad_request("link_invalid", "this link is not valid; use the newest one you were sent")
        })?;
    if row.used_at.is_some() || row.expires_at <= now_ms() {
        return Err(unusable());
    }
    Ok(row)
}

/// The address a link would confirm (the page asks before changing anything).
pub async fn pending_address(state: &AppState, token: &str) -> AppResult<String> {
    Ok(usable(&state.db.conn, token).await?.new_email)
}

/// Uses the link: the account's address becomes the new one.
pub async fn confirm(state: &AppState, token: &str) -> AppResult<String> {
    let row = usable(&state.db.conn, token).await?;
    let tx = state.db.write().await?;
    let spent = email_change::Entity::update_many()
        .col_expr(email_change::Column::UsedAt, Some(now_ms()).into())
        .filter(email_change::Column::Id.eq(row.id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(&*tx)
        .await?;
    if spent.rows_affected != 1 {
        return Err(unusable());
    }
    let changed = user::Entity::update_many()
        .col_expr(user::Column::Email, row.new_email.clone().into())
        .col_expr(user::Column::EmailConfirmedAt, Some(now_ms()).into())
        .col_expr(user::Column::UpdatedAt, now_ms().into())
        .filter(user::Column::Id.eq(row.user_id))
        .filter(user::Column::DeactivatedAt.is_null())
        .exec(&*tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { taken() } else { e.into() })?;
    if changed.rows_affected != 1 {
        return Err(unusable());
    }
    // Reset links mailed to the old address, and other pending changes, stop working.
    service::void_mailed_links(&*tx, row.user_id).await?;
    audit::record(&*tx, AuditEvent::new(Some(row.user_id), "account.email_changed").target("user", row.user_id))
        .await?;
    tx.commit().await?;
    Ok(row.new_email)
}
