//! Each workspace's sign-in policy: password and SSO, or SSO only. A member of an
//! SSO-only workspace signs in through a provider; instance admins keep their password
//! (break-glass, and `parley admin` can always reset it).
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use crate::accounts::model::user;
use crate::error::{AppError, AppResult};
use crate::workspaces::model::{member, workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInPolicy {
    PasswordAndSso,
    SsoOnly,
}

impl SignInPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordAndSso => "password_and_sso",
            Self::SsoOnly => "sso_only",
        }
    }
}

/// Refuses a password sign-in for someone in an SSO-only workspace (not an instance
/// admin). Called only after the password was found right, so it tells nothing to
/// someone guessing.
pub async fn check_password_sign_in(conn: &impl ConnectionTrait, u: &user::Model) -> AppResult<()> {
    if u.is_admin {
        return Ok(());
    }
    if !sso_only_workspaces_of(conn, u.id).await?.is_empty() {
        return Err(AppError::forbidden(
            "sso_required",
            "your workspace requires signing in through its identity provider; use the sign-in button for it",
        ));
    }
    Ok(())
}

/// A workspace just became SSO-only: its members' sessions opened with a password end
/// (instance admins and bots excepted); answers whose, so their sockets can be closed
/// after the commit.
pub async fn end_password_sessions(conn: &impl ConnectionTrait, ws_id: Uuid) -> AppResult<Vec<Uuid>> {
    use crate::auth::model::session;
    let members: Vec<Uuid> = member::Entity::find()
        .filter(member::Column::WorkspaceId.eq(ws_id))
        .filter(member::Column::DeactivatedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let people: Vec<Uuid> = user::Entity::find()
        .filter(user::Column::Id.is_in(members))
        .filter(user::Column::IsAdmin.eq(false))
        .filter(user::Column::IsBot.eq(false))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let mut ended = Vec::new();
    for id in people {
        let gone = session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .filter(session::Column::SsoProviderId.is_null())
            .exec(conn)
            .await?
            .rows_affected;
        if gone > 0 {
            ended.push(id);
        }
    }
    Ok(ended)
}

/// Signing in through `provider_id`: when a workspace this person is in is SSO-only and
/// managed by other providers (their rules name it) but not this one, answers the name
/// of one that manages it — a sign-in through another provider would dodge the managing
/// provider's rules and its removal of people who left.
pub async fn provider_required(
    conn: &impl ConnectionTrait,
    providers: &super::provider::Providers,
    provider_id: &str,
    user_id: Uuid,
) -> AppResult<Option<String>> {
    let sso_only = sso_only_workspaces_of(conn, user_id).await?;
    for ws in sso_only {
        let managers: Vec<_> =
            providers.all().iter().filter(|p| p.settings.rules.iter().any(|r| r.workspace == ws.slug)).collect();
        if !managers.is_empty() && !managers.iter().any(|p| p.settings.id == provider_id) {
            return Ok(Some(managers[0].settings.name.clone()));
        }
    }
    Ok(None)
}

/// The SSO-only workspaces the person is an active member of.
async fn sso_only_workspaces_of(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<workspace::Model>> {
    let memberships: Vec<Uuid> = member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .filter(member::Column::DeactivatedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.workspace_id)
        .collect();
    if memberships.is_empty() {
        return Ok(Vec::new());
    }
    Ok(workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(memberships))
        .filter(workspace::Column::SignInPolicy.eq(SignInPolicy::SsoOnly.as_str()))
        .all(conn)
        .await?)
}
