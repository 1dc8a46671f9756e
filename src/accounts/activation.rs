//! Turning an account off or on, for an administrator or on its own (an identity
//! provider's "deactivate after N days"): deactivation ends every session, token and
//! socket at once; both are announced, mailed to the person and audited.
use uuid::Uuid;

use super::model::user;
use super::service;
use crate::audit::{self, AuditEvent};
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::realtime::event::{kind, NewEvent};
use crate::settings::Settings;
use crate::state::AppState;

/// `actor`: the administrator, or None when Parley does it itself.
pub async fn switch(tx: &WriteTx, settings: &Settings, id: Uuid, active: bool, actor: Option<Uuid>) -> AppResult<()> {
    service::set_active(&**tx, id, active).await?;
    if active {
        // A new period starts for the providers' "deactivate after N days": without it
        // the hourly sweep would deactivate the person again at once.
        crate::sso::identity::restart_inactivity_clock(&**tx, id).await?;
    } else {
        tx.emit(NewEvent::user(kind::USER_DEACTIVATED, id, serde_json::json!({"user_id": id})));
    }
    if let Some(u) = <user::Entity as sea_orm::EntityTrait>::find_by_id(id).one(&**tx).await? {
        super::routes::announce(tx, &u).await?;
        if !u.is_bot {
            super::mails::account_status(&**tx, settings, &u, active).await?;
        }
    }
    let action = if active { "user.reactivated" } else { "user.deactivated" };
    audit::record(&**tx, AuditEvent::new(actor, action).target("user", id)).await
}

/// An instance administrator turns someone else's account off or on (the API's and the
/// admin pages' one way to do it).
pub async fn by_admin(state: &AppState, admin: Uuid, id: Uuid, active: bool) -> AppResult<()> {
    if id == admin && !active {
        return Err(AppError::conflict("cannot_deactivate_self", "ask another administrator"));
    }
    let tx = state.db.write().await?;
    switch(&tx, &state.settings, id, active, Some(admin)).await?;
    tx.commit().await
}
