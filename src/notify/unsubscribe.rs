//! The unsubscribe link of a digest (RFC 8058 one-click: a POST with no cookie) and its
//! undo: both are signed links for one person, good for `email.unsubscribe_link_days`.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{digest, pending};
use super::prefs::{Choice, Frequency};
use crate::accounts::model::user;
use crate::auth::signed_link;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const UNSUBSCRIBE: &str = "email-unsubscribe";
/// The undo link carries the choice to go back to.
pub const RESUBSCRIBE: &str = "email-resubscribe";
const DAY_MS: i64 = 86_400_000;

fn valid_ms(state: &AppState) -> i64 {
    state.settings.email.unsubscribe_link_days.max(0).saturating_mul(DAY_MS)
}

pub fn url(state: &AppState, user_id: Uuid) -> String {
    let token = signed_link::sign(&state.sealer, UNSUBSCRIBE, user_id, "", valid_ms(state));
    format!("{}/email/unsubscribe?t={token}", state.settings.site_base())
}

/// What the person had before, for the undo link (a short one: it is used right away).
pub fn undo_token(state: &AppState, user_id: Uuid, previous: Choice) -> String {
    signed_link::sign(&state.sealer, RESUBSCRIBE, user_id, &previous.encode(), DAY_MS)
}

/// Writes a person's choice; "never" also drops what waits for their next digest.
pub async fn set_choice(conn: &impl ConnectionTrait, user_id: Uuid, choice: Choice) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailFrequency, choice.frequency.as_str().into())
        .col_expr(user::Column::EmailDelayMinutes, choice.delay_minutes.into())
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    if choice.frequency == Frequency::Never {
        pending::Entity::delete_many().filter(pending::Column::UserId.eq(user_id)).exec(conn).await?;
        digest::Entity::update_many()
            .col_expr(digest::Column::DueAt, Option::<i64>::None.into())
            .filter(digest::Column::UserId.eq(user_id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// The person a valid link of `purpose` is for, and its extra.
pub async fn person(state: &AppState, purpose: &str, token: &str) -> AppResult<(user::Model, String)> {
    let claim = signed_link::verify(&state.sealer, purpose, token)?;
    let u = user::Entity::find_by_id(claim.user_id).one(&state.db.conn).await?.ok_or(AppError::NotFound("user"))?;
    Ok((u, claim.extra))
}
