//! Creating an account: from an invitation, or freely when open sign-up is on.
use std::net::IpAddr;

use super::routes::SignupRequest;
use crate::accounts::model::user;
use crate::accounts::service as accounts;
use crate::audit::{self, AuditEvent};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::workspaces::invites;

/// Validates, creates the account and (with an invitation) joins its workspace, all in
/// one transaction: a refused invitation leaves no account behind.
pub async fn create_account(state: &AppState, ip: IpAddr, body: SignupRequest) -> AppResult<user::Model> {
    // Every sign-up attempt counts: account creation is what an abuser wants.
    state.login_throttle.check(ip, &body.email)?;
    state.login_throttle.spend(ip, &body.email);
    let token = body.invite_token.filter(|t| !t.is_empty());
    // An invitation made out to an address vouches for it (the address must match).
    let mut made_out_to = None;
    match &token {
        Some(t) => {
            let (invite, ws) = invites::find_usable(&state.db.conn, t).await?;
            made_out_to = invite.email;
            if ws.sign_in_policy == crate::sso::policy::SignInPolicy::SsoOnly.as_str() {
                return Err(AppError::forbidden(
                    "sso_required",
                    "this workspace signs in through its identity provider: sign in with it, then open the invitation again",
                ));
            }
        }
        None if state.settings.auth.open_signup => {}
        None => return Err(AppError::invalid("invite_token", "sign-up needs an invitation")),
    }
    let name_max = state.settings.limits.name_chars;
    let mut prepared =
        accounts::prepare_signup(body.email, body.username, body.display_name, body.password, false, name_max).await?;
    if made_out_to.is_some_and(|e| prepared.has_email(&e)) {
        prepared = prepared.email_confirmed();
    }
    let tx = state.db.write().await?;
    let user = accounts::insert(&*tx, prepared).await?;
    if let Some(t) = &token {
        invites::accept(&tx, t, &user).await?;
    }
    audit::record(&*tx, AuditEvent::new(Some(user.id), "auth.signup").target("user", user.id).ip(ip)).await?;
    tx.commit().await?;
    Ok(user)
}
