//! Invitation links: created by workspace admins, shown once, stored hashed.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use super::model::{invite, workspace};
use super::service::add_member;
use crate::access::{WorkspaceAccess, WorkspaceRole};
use crate::accounts::model::user;
use crate::audit::{self, AuditEvent};
use crate::auth::secret_token;
use crate::clock::{now_ms, rfc3339, HOUR_MS};
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::validate;

pub const TOKEN_PREFIX: &str = "inv_";
const MAX_USES: i32 = 1000;
const MAX_HOURS: i64 = 24 * 90;

pub struct InviteInput {
    pub email: Option<String>,
    pub role: WorkspaceRole,
    pub max_uses: Option<i32>,
    pub expires_in_hours: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedInvite {
    pub id: Uuid,
    /// The secret: shown only now.
    pub token: String,
    /// Link to give the invitee.
    pub url: String,
    pub role: WorkspaceRole,
    pub email: Option<String>,
    pub max_uses: i32,
    pub expires_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitePreview {
    pub workspace_name: String,
    pub role: WorkspaceRole,
    /// The invitation is meant for this address only, if set.
    pub email: Option<String>,
    pub expires_at: String,
}

pub async fn create(
    conn: &impl ConnectionTrait,
    ws: &WorkspaceAccess,
    actor: Uuid,
    input: InviteInput,
    site_url: &str,
    default_ttl_hours: i64,
) -> AppResult<CreatedInvite> {
    ws.require_admin()?;
    ws.ensure_writable()?;
    if input.role == WorkspaceRole::Guest && !ws.workspace.guests_allowed {
        return Err(AppError::conflict("guests_not_allowed", "this workspace does not take guests"));
    }
    if matches!(input.role, WorkspaceRole::Owner | WorkspaceRole::Bot) {
        return Err(AppError::invalid("role", "invite as admin, member or guest; promote to owner later"));
    }
    let email = input.email.as_deref().map(validate::email).transpose()?;
    let max_uses = input.max_uses.unwrap_or(if email.is_some() { 1 } else { 100 });
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(AppError::invalid("max_uses", format!("must be 1 to {MAX_USES}")));
    }
    let hours = input.expires_in_hours.unwrap_or(default_ttl_hours);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(AppError::invalid("expires_in_hours", format!("must be 1 to {MAX_HOURS}")));
    }
    let token = secret_token::generate(TOKEN_PREFIX);
    let now = now_ms();
    let row = invite::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(ws.workspace.id),
        token_hash: Set(secret_token::hash(&token)),
        email: Set(email.clone()),
        role: Set(input.role.as_str().into()),
        created_by: Set(actor),
        created_at: Set(now),
        expires_at: Set(now + hours * HOUR_MS),
        max_uses: Set(max_uses),
        uses: Set(0),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        AuditEvent::new(Some(actor), "workspace.invite_created")
            .workspace(ws.workspace.id)
            .target("invite", row.id)
            .details(serde_json::json!({"role": input.role.as_str(), "email": email, "max_uses": max_uses})),
    )
    .await?;
    Ok(CreatedInvite {
        id: row.id,
        url: format!("{}/invite/{token}", site_url.trim_end_matches('/')),
        token,
        role: input.role,
        email,
        max_uses,
        expires_at: rfc3339(row.expires_at),
    })
}

/// A usable invitation for `token`, or `invite_not_found` / `invite_used_up`.
pub async fn find_usable(conn: &impl ConnectionTrait, token: &str) -> AppResult<(invite::Model, workspace::Model)> {
    let row = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(secret_token::hash(token)))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("invite"))?;
    if row.revoked_at.is_some() || row.expires_at <= now_ms() || row.uses >= row.max_uses {
        return Err(AppError::conflict("invite_used_up", "this invitation has expired or been used up"));
    }
    let ws = workspace::Entity::find_by_id(row.workspace_id).one(conn).await?.ok_or(AppError::NotFound("invite"))?;
    if ws.archived_at.is_some() {
        return Err(crate::access::workspace_archived());
    }
    Ok((row, ws))
}

pub async fn preview(conn: &impl ConnectionTrait, token: &str) -> AppResult<InvitePreview> {
    let (row, ws) = find_usable(conn, token).await?;
    Ok(InvitePreview {
        workspace_name: ws.name,
        role: WorkspaceRole::parse(&row.role),
        email: row.email,
        expires_at: rfc3339(row.expires_at),
    })
}

/// Spends one use of the invitation and makes `who` a member. Call inside a write
/// transaction: the use counter only moves while uses < max_uses.
pub async fn accept(tx: &WriteTx, token: &str, who: &user::Model) -> AppResult<workspace::Model> {
    let conn = &**tx;
    let (row, ws) = find_usable(conn, token).await?;
    if row.email.as_deref().is_some_and(|e| e != who.email) {
        return Err(AppError::NotFound("invite"));
    }
    // Already in: nothing to spend.
    let existing = super::model::member::Entity::find_by_id((ws.id, who.id)).one(conn).await?;
    if existing.is_some_and(|m| m.deactivated_at.is_none()) {
        return Ok(ws);
    }
    let spent = invite::Entity::update_many()
        .col_expr(
            invite::Column::Uses,
            sea_orm::sea_query::ExprTrait::add(sea_orm::sea_query::Expr::col(invite::Column::Uses), 1),
        )
        .filter(invite::Column::Id.eq(row.id))
        .filter(invite::Column::Uses.lt(row.max_uses))
        .exec(conn)
        .await?;
    if spent.rows_affected == 0 {
        return Err(AppError::conflict("invite_used_up", "this invitation has been used up"));
    }
    add_member(tx, ws.id, who.id, WorkspaceRole::parse(&row.role)).await?;
    audit::record(
        conn,
        AuditEvent::new(Some(who.id), "workspace.invite_accepted").workspace(ws.id).target("invite", row.id),
    )
    .await?;
    Ok(ws)
}

pub async fn revoke(conn: &impl ConnectionTrait, ws: &WorkspaceAccess, actor: Uuid, id: Uuid) -> AppResult<()> {
    ws.require_admin()?;
    let res = invite::Entity::update_many()
        .col_expr(invite::Column::RevokedAt, Some(now_ms()).into())
        .filter(invite::Column::Id.eq(id))
        .filter(invite::Column::WorkspaceId.eq(ws.workspace.id))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("invite"));
    }
    audit::record(
        conn,
        AuditEvent::new(Some(actor), "workspace.invite_revoked").workspace(ws.workspace.id).target("invite", id),
    )
    .await
}

/// Invitations `actor` addressed to an e-mail since `since_ms` (invitation mails are
/// capped per person, so the server cannot be made to mail strangers in bulk).
pub async fn addressed_since(conn: &impl ConnectionTrait, actor: Uuid, since_ms: i64) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(invite::Entity::find()
        .filter(invite::Column::CreatedBy.eq(actor))
        .filter(invite::Column::Email.is_not_null())
        .filter(invite::Column::CreatedAt.gt(since_ms))
        .count(conn)
        .await?)
}
