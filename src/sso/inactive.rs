//! A provider's `deactivate_after_days`: someone who has not signed in through it for
//! that long is deactivated (housekeeping looks hourly), so a person removed from the
//! identity provider loses Parley even without signing in again. Instance admins are
//! spared (break-glass). A person reactivated by an administrator starts a new period
//! (accounts/activation.rs), so they are not deactivated again within the hour.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::identity;
use crate::accounts::model::user;
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;

/// Deactivates everyone overdue at some provider; answers how many.
pub async fn deactivate_stale(state: &AppState) -> AppResult<u64> {
    let mut done = 0;
    for p in state.sso.all() {
        let Some(days) = p.settings.deactivate_after_days else { continue };
        let cutoff = now_ms() - i64::from(days) * DAY_MS;
        let stale: Vec<Uuid> = identity::Entity::find()
            .filter(identity::Column::Issuer.eq(p.issuer()))
            .filter(identity::Column::LastLoginAt.lt(cutoff))
            .all(&state.db.conn)
            .await?
            .into_iter()
            .map(|i| i.user_id)
            .collect();
        for user_id in stale {
            if deactivate_if_overdue(state, user_id, cutoff, &p.issuer(), &p.settings.id).await? {
                done += 1;
            }
        }
    }
    Ok(done)
}

async fn deactivate_if_overdue(
    state: &AppState,
    user_id: Uuid,
    cutoff: i64,
    issuer: &str,
    provider: &str,
) -> AppResult<bool> {
    let tx = state.db.write().await?;
    let Some(u) = user::Entity::find_by_id(user_id).one(&*tx).await? else { return Ok(false) };
    // Only a sign-in through this provider counts: another provider (or a password)
    // does not prove this one still knows the person.
    let recent = identity::Entity::find()
        .filter(identity::Column::UserId.eq(user_id))
        .filter(identity::Column::Issuer.eq(issuer))
        .filter(identity::Column::LastLoginAt.gte(cutoff))
        .one(&*tx)
        .await?;
    if u.deactivated_at.is_some() || u.is_admin || u.is_bot || recent.is_some() {
        return Ok(false);
    }
    crate::accounts::activation::switch(&tx, &state.settings, user_id, false, None).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user_id, provider, "deactivated: no sign-in through the identity provider for too long");
    Ok(true)
}
