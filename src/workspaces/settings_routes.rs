//! PATCH /api/v1/workspaces/{id}/settings: a workspace's settings — who may create
//! incoming webhooks, and how its members sign in.
use actix_web::{patch, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::model::workspace;
use super::service::WorkspaceView;
use crate::access;
use crate::audit::{self, AuditEvent};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::sso::policy::SignInPolicy;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSettings {
    /// Let members (not only admins) create incoming webhooks in their channels.
    pub members_create_hooks: Option<bool>,
    /// `password_and_sso`, or `sso_only`: members other than instance admins must sign
    /// in through an identity provider (refused while none is configured).
    pub sign_in_policy: Option<SignInPolicy>,
}

/// Change a workspace's settings (workspace admins).
#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/settings", tag = "workspaces",
    params(("workspace_id" = Uuid, Path)), request_body = WorkspaceSettings,
    responses((status = 200, body = WorkspaceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/workspaces/{workspace_id}/settings")]
pub async fn settings(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<WorkspaceSettings>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    ws.require_admin()?;
    let updated = change(&state, me.id(), &ws.workspace, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(WorkspaceView::new(&updated, ws.role)))
}

/// Applies `body` to `workspace` for `actor` (who the caller has checked may), audited;
/// switching to `sso_only` ends the password sessions of its members.
pub async fn change(
    state: &AppState,
    actor: Uuid,
    workspace: &workspace::Model,
    body: WorkspaceSettings,
) -> AppResult<workspace::Model> {
    use sea_orm::{ActiveModelTrait, Set};
    let tx = state.db.write().await?;
    let mut am: workspace::ActiveModel = workspace.clone().into();
    if let Some(v) = body.members_create_hooks {
        am.members_create_hooks = Set(v);
    }
    if let Some(p) = body.sign_in_policy {
        if p == SignInPolicy::SsoOnly && state.sso.is_empty() {
            return Err(AppError::invalid(
                "sign_in_policy",
                "sso_only needs an identity provider in the configuration",
            ));
        }
        am.sign_in_policy = Set(p.as_str().into());
    }
    let updated = am.update(&*tx).await?;
    tx.emit(crate::workspaces::service::updated_event(&updated));
    let mut signed_out = Vec::new();
    if updated.sign_in_policy != workspace.sign_in_policy && updated.sign_in_policy == SignInPolicy::SsoOnly.as_str() {
        signed_out = crate::sso::policy::end_password_sessions(&*tx, updated.id).await?;
    }
    audit::record(
        &*tx,
        AuditEvent::new(Some(actor), "workspace.settings_changed").workspace(updated.id).details(serde_json::json!({
            "members_create_hooks": updated.members_create_hooks,
            "sign_in_policy": updated.sign_in_policy,
        })),
    )
    .await?;
    tx.commit().await?;
    for user in signed_out {
        crate::auth::routes::revoke_sockets_after_commit(state, user).await;
    }
    Ok(updated)
}
