//! A sign-in on its way through a provider. Starting one stores what the callback must
//! match — the hash of `state`, the hash of a secret in this browser's sign-in cookie,
//! and (sealed) the nonce and PKCE verifier — for `login_ttl_minutes`. The callback
//! claims the record once, from the same browser; anything else finds nothing.
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::failure::{FailureKind, FlowError, SsoFailure};
use super::model::login;
use crate::auth::secret_token;
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::state::AppState;

const COOKIE_SECURE: &str = "__Host-parley_sso";
const COOKIE_INSECURE: &str = "parley_sso";
const SEAL_CONTEXT: &str = "sso_login";

#[derive(Serialize, Deserialize)]
pub struct Secrets {
    pub nonce: String,
    pub pkce_verifier: String,
}

pub struct NewAttempt<'a> {
    pub provider_id: &'a str,
    pub state: &'a str,
    pub browser_secret: &'a str,
    pub secrets: Secrets,
    pub next_path: String,
    pub link_user_id: Option<Uuid>,
}

pub fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies() {
        COOKIE_SECURE
    } else {
        COOKIE_INSECURE
    }
}

/// This browser's sign-in cookie. Sent back on the provider's top-level redirect to
/// us, so SameSite=Lax.
pub fn attempt_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(cookie_name(state), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies())
        .max_age(CookieDuration::minutes(state.settings.sso.login_ttl_minutes.max(1)))
        .finish()
}

pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = attempt_cookie(state, String::new());
    c.make_removal();
    c
}

pub async fn store(state: &AppState, a: NewAttempt<'_>) -> AppResult<()> {
    let sealed = state.sealer.seal(SEAL_CONTEXT, &serde_json::to_vec(&a.secrets).map_err(anyhow::Error::from)?)?;
    let now = now_ms();
    login::ActiveModel {
        id: Set(Uuid::now_v7()),
        provider_id: Set(a.provider_id.to_owned()),
        state_hash: Set(secret_token::hash(a.state)),
        browser_hash: Set(secret_token::hash(a.browser_secret)),
        secrets: Set(sealed),
        next_path: Set(a.next_path),
        link_user_id: Set(a.link_user_id),
        created_at: Set(now),
        expires_at: Set(now + state.settings.sso.login_ttl_minutes.max(1) * 60_000),
        used_at: Set(None),
    }
    .insert(&state.db.conn)
    .await?;
    Ok(())
}

/// What the callback continues with.
pub struct Claimed {
    pub secrets: Secrets,
    pub next_path: String,
    pub link_user_id: Option<Uuid>,
}

fn stale() -> SsoFailure {
    SsoFailure::new(FailureKind::StateInvalid, "no live sign-in matches this state and browser")
}

/// Claims the attempt for `state` if it belongs to this provider and this browser, is
/// not expired and was not claimed before.
pub async fn claim(
    state: &AppState,
    provider_id: &str,
    state_param: &str,
    browser_secret: Option<&str>,
) -> Result<Claimed, FlowError> {
    let found = login::Entity::find()
        .filter(login::Column::StateHash.eq(secret_token::hash(state_param)))
        .one(&state.db.conn)
        .await?;
    let Some(row) = found else { return Err(stale().into()) };
    let same_browser =
        browser_secret.is_some_and(|s| secret_token::hashes_match(&row.browser_hash, &secret_token::hash(s)));
    if row.provider_id != provider_id || !same_browser {
        return Err(stale().into());
    }
    let now = now_ms();
    let won = login::Entity::update_many()
        .col_expr(login::Column::UsedAt, Some(now).into())
        .filter(login::Column::Id.eq(row.id))
        .filter(login::Column::UsedAt.is_null())
        .filter(login::Column::ExpiresAt.gt(now))
        .exec(&state.db.conn)
        .await?
        .rows_affected;
    if won != 1 {
        return Err(stale().into());
    }
    let plain = state.sealer.open(SEAL_CONTEXT, &row.secrets)?;
    let secrets: Secrets = serde_json::from_slice(&plain).map_err(anyhow::Error::from)?;
    Ok(Claimed { secrets, next_path: row.next_path, link_user_id: row.link_user_id })
}

/// Attempts a day past their expiry are deleted by housekeeping.
pub async fn prune(conn: &impl ConnectionTrait) -> AppResult<u64> {
    let before = now_ms() - 86_400_000;
    Ok(login::Entity::delete_many().filter(login::Column::ExpiresAt.lt(before)).exec(conn).await?.rows_affected)
}
