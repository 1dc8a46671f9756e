//! "Forgot password?": a link mailed to the account's address, good once for 30
//! minutes. Asking answers the same, in the same time, whether or not the address has
//! an account: the request only writes a job, which looks the address up. Requests are
//! throttled per client address; an account gets at most one link a minute and five an
//! hour. Using the link sets the new password, ends every session and socket of the
//! account, voids its other mailed links, and mails a notice.
use std::net::IpAddr;

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::model::password_reset as reset;
use super::{secret_token, sessions};
use crate::accounts::{mails, service as accounts};
use crate::audit::{self, AuditEvent};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::settings::Settings;
use crate::state::AppState;

pub const VALID_MINUTES: i64 = 30;
const TOKEN_PREFIX: &str = "pwr_";

pub const MAIL_JOB: &str = "auth.password_reset_mail";
/// An account gets no new link while one younger than this exists …
const RESEND_AFTER_MS: i64 = 60_000;
/// … and at most this many an hour.
const MAX_PER_HOUR: u64 = 5;

/// Writes the job that mails a reset link if `email` belongs to an active person with
/// a password.
pub async fn request(state: &AppState, ip: IpAddr, email: &str) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    let key = format!("reset:{email}");
    state.login_throttle.check(ip, &key)?;
    state.login_throttle.spend(ip, &key);
    let tx = state.db.write().await?;
    queue::enqueue(&*tx, MAIL_JOB, &serde_json::json!({ "email": email }), 5, 0).await?;
    tx.commit().await
}

struct MailLink;

impl JobHandler for MailLink {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            match payload.get("email").and_then(|v| v.as_str()) {
                Some(email) => mail_link(&state, email).await.map_err(anyhow::Error::from),
                None => Ok(()),
            }
        })
    }
}

pub fn register(registry: &mut JobRegistry) {
    registry.register(MAIL_JOB, Arc::new(MailLink));
}

async fn mail_link(state: &AppState, email: &str) -> AppResult<()> {
    let conn = &state.db.conn;
    let Some(u) = accounts::find_by_email(conn, email).await? else { return Ok(()) };
    if u.deactivated_at.is_some() || u.is_bot || u.password_hash.is_none() {
        return Ok(());
    }
    let now = now_ms();
    let recent = |since: i64| {
        reset::Entity::find()
            .filter(reset::Column::UserId.eq(u.id))
            .filter(reset::Column::CreatedAt.gt(since))
            .count(conn)
    };
    if recent(now - RESEND_AFTER_MS).await? > 0 || recent(now - 3_600_000).await? >= MAX_PER_HOUR {
        return Ok(());
    }
    let tx = state.db.write().await?;
    let link = issue_link(&*tx, &state.settings, u.id).await?;
    mails::password_reset(&*tx, &state.settings, &u, &link, VALID_MINUTES).await?;
    audit::record(&*tx, AuditEvent::new(Some(u.id), "auth.password_reset_requested").target("user", u.id)).await?;
    tx.commit().await
}

/// A new link that sets `user_id`'s password once within VALID_MINUTES.
pub async fn issue_link(conn: &impl ConnectionTrait, settings: &Settings, user_id: Uuid) -> AppResult<String> {
    let token = secret_token::generate(TOKEN_PREFIX);
    let now = now_ms();
    reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(secret_token::hash(&token)),
        expires_at: Set(now + VALID_MINUTES * 60_000),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(format!("{}/reset-password?token={token}", settings.site_base()))
}

/// An instance administrator resets `user_id`'s password: a link is mailed to them
/// (`mail`), or handed to the administrator to pass on (the answer). Either way it works
/// once, like a link the person asked for.
pub async fn by_admin(state: &AppState, admin: Uuid, user_id: Uuid, mail: bool) -> AppResult<Option<String>> {
    let u = accounts::find_by_id(&state.db.conn, user_id).await?.ok_or(AppError::NotFound("user"))?;
    if u.is_bot {
        return Err(AppError::NotFound("user"));
    }
    if u.deactivated_at.is_some() {
        return Err(AppError::conflict("account_deactivated", "reactivate the account first"));
    }
    let tx = state.db.write().await?;
    let link = issue_link(&*tx, &state.settings, u.id).await?;
    if mail {
        mails::password_reset(&*tx, &state.settings, &u, &link, VALID_MINUTES).await?;
    }
    let details = serde_json::json!({ "mailed": mail });
    audit::record(
        &*tx,
        AuditEvent::new(Some(admin), "user.password_reset_issued").target("user", u.id).details(details),
    )
    .await?;
    tx.commit().await?;
    Ok((!mail).then_some(link))
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
    // The link was mailed to the account's present address (an address change voids it).
    accounts::mark_email_confirmed(&*tx, u.id).await?;
    sessions::delete_all_for_user(&*tx, u.id, None).await?;
    mails::password_changed(&*tx, &state.settings, &u, true).await?;
    audit::record(&*tx, AuditEvent::new(Some(u.id), "auth.password_reset").target("user", u.id)).await?;
    tx.commit().await?;
    super::routes::revoke_sockets_after_commit(state, u.id).await;
    Ok(())
}
