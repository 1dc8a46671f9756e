//! One person as an instance administrator sees them — their sessions, tokens, identity
//! provider links, workspaces and bots — and what the administrator may do about it.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::people::PersonAdminView;
use crate::accounts::model::user;
use crate::accounts::service as accounts;
use crate::audit::{self, AuditEvent};
use crate::auth::api_tokens::{self, TokenView};
use crate::auth::model::{api_token, session};
use crate::auth::routes::revoke_sockets_in;
use crate::bots::model::bot;
use crate::clock::{opt_rfc3339, rfc3339};
use crate::error::{AppError, AppResult};
use crate::sso::routes::{identities_of, IdentityView};
use crate::state::AppState;
use crate::workspaces::model::{member, workspace};

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The identity provider it was signed in through, if any.
    pub sso_provider_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub workspace_id: Uuid,
    pub name: String,
    pub role: String,
    pub joined_at: String,
    pub deactivated_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnedBotView {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// `bot` or `hook` (an incoming or outgoing hook's identity).
    pub kind: String,
    pub deactivated: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonDetail {
    #[serde(flatten)]
    pub person: PersonAdminView,
    pub sessions: Vec<SessionView>,
    pub tokens: Vec<TokenView>,
    pub identities: Vec<IdentityView>,
    pub workspaces: Vec<MembershipView>,
    pub bots: Vec<OwnedBotView>,
    /// What they wrote is kept whatever the retention policy says.
    pub legal_hold: bool,
}

async fn person(state: &AppState, id: Uuid) -> AppResult<user::Model> {
    accounts::find_by_id(&state.db.conn, id).await?.ok_or(AppError::NotFound("user"))
}

pub async fn detail(state: &AppState, id: Uuid) -> AppResult<PersonDetail> {
    let conn = &state.db.conn;
    let u = person(state, id).await?;
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(id))
        .order_by_desc(session::Column::LastSeenAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            expires_at: rfc3339(s.expires_at),
            user_agent: s.user_agent,
            ip: s.ip,
            sso_provider_id: s.sso_provider_id,
        })
        .collect();
    let memberships = member::Entity::find().filter(member::Column::UserId.eq(id)).all(conn).await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.workspace_id).collect();
    let names: HashMap<Uuid, String> = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let workspaces = memberships
        .into_iter()
        .map(|m| MembershipView {
            name: names.get(&m.workspace_id).cloned().unwrap_or_default(),
            workspace_id: m.workspace_id,
            role: m.role,
            joined_at: rfc3339(m.joined_at),
            deactivated_at: opt_rfc3339(m.deactivated_at),
        })
        .collect();
    let owned = bot::Entity::find()
        .filter(bot::Column::OwnerId.eq(id))
        .filter(bot::Column::Kind.ne(crate::bots::model::KIND_SYSTEM))
        .order_by_asc(bot::Column::CreatedAt)
        .all(conn)
        .await?;
    let identities = accounts::by_ids(conn, owned.iter().map(|b| b.user_id)).await?;
    let bots = owned
        .into_iter()
        .filter_map(|b| {
            let identity = identities.get(&b.user_id)?;
            Some(OwnedBotView {
                user_id: b.user_id,
                workspace_id: b.workspace_id,
                username: identity.username.clone(),
                display_name: identity.display_name.clone(),
                kind: b.kind,
                deactivated: identity.deactivated_at.is_some(),
            })
        })
        .collect();
    Ok(PersonDetail {
        legal_hold: u.legal_hold,
        person: PersonAdminView::from(&u),
        sessions,
        tokens: api_tokens::list(conn, id).await?,
        identities: identities_of(state, id).await?,
        workspaces,
        bots,
    })
}

/// Ends one of a person's sessions, and their open sockets (which re-authenticate).
pub async fn revoke_session(state: &AppState, admin: Uuid, user_id: Uuid, session_id: Uuid) -> AppResult<()> {
    let tx = state.db.write().await?;
    let gone = session::Entity::delete_many()
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::UserId.eq(user_id))
        .exec(&*tx)
        .await?;
    if gone.rows_affected == 0 {
        return Err(AppError::NotFound("session"));
    }
    revoke_sockets_in(&tx, user_id);
    audit::record(&*tx, AuditEvent::new(Some(admin), "user.session_revoked").target("user", user_id)).await?;
    tx.commit().await
}

/// Revokes one of a person's API tokens.
pub async fn revoke_token(state: &AppState, admin: Uuid, user_id: Uuid, token_id: Uuid) -> AppResult<()> {
    let tx = state.db.write().await?;
    let gone = api_token::Entity::delete_many()
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::UserId.eq(user_id))
        .exec(&*tx)
        .await?;
    if gone.rows_affected == 0 {
        return Err(AppError::NotFound("token"));
    }
    revoke_sockets_in(&tx, user_id);
    let details = serde_json::json!({ "token_id": token_id });
    audit::record(&*tx, AuditEvent::new(Some(admin), "user.token_revoked").target("user", user_id).details(details))
        .await?;
    tx.commit().await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// Whether the person administers this instance.
    pub is_admin: bool,
}

/// Makes a person an instance administrator, or no longer one (never oneself: another
/// administrator must, so the instance always keeps one).
pub async fn set_admin(state: &AppState, admin: Uuid, user_id: Uuid, is_admin: bool) -> AppResult<()> {
    if user_id == admin && !is_admin {
        return Err(AppError::conflict("cannot_demote_self", "ask another administrator"));
    }
    let u = person(state, user_id).await?;
    if u.is_bot {
        return Err(AppError::NotFound("user"));
    }
    if u.is_admin == is_admin {
        return Ok(());
    }
    let tx = state.db.write().await?;
    accounts::set_instance_admin(&*tx, user_id, is_admin).await?;
    let details = serde_json::json!({ "is_admin": is_admin });
    audit::record(&*tx, AuditEvent::new(Some(admin), "user.role_changed").target("user", user_id).details(details))
        .await?;
    tx.commit().await
}
