//! /api/v1/workspaces/*, /api/v1/invites/*: workspaces, members, invitations.
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::invites::{self, CreatedInvite, InviteInput, InvitePreview};
use super::service::{self, MemberView, WorkspaceView};
use crate::access::{self, WorkspaceRole};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    pub name: String,
    /// URL-friendly unique name; derived from `name` if omitted.
    pub slug: Option<String>,
}

/// Create a workspace; I become its owner and it gets a #general channel.
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", request_body = NewWorkspace,
    responses((status = 201, body = WorkspaceView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/workspaces")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<NewWorkspace>,
) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let ws = service::create(&tx, me.id(), &body.name, body.slug.as_deref(), state.settings.limits.name_chars).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(ws))
}

/// Workspaces I belong to.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", responses((status = 200, body = [WorkspaceView])))]
#[get("/workspaces")]
pub async fn list(state: web::Data<AppState>, me: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list_mine(&state.db.conn, me.id()).await?))
}

/// One workspace I belong to.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}", tag = "workspaces", params(("workspace_id" = Uuid, Path)),
    responses((status = 200, body = WorkspaceView), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}")]
pub async fn get(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(WorkspaceView::from(&ws)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Also list removed members (admins only see a difference).
    #[serde(default)]
    pub include_removed: bool,
}

/// Members of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/members", tag = "workspaces",
    params(("workspace_id" = Uuid, Path), MembersQuery),
    responses((status = 200, body = [MemberView]), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/members")]
pub async fn members(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    q: web::Query<MembersQuery>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    let include_removed = q.include_removed && ws.role.is_admin();
    Ok(HttpResponse::Ok().json(service::members(&state.db.conn, &ws, include_removed).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: WorkspaceRole,
}

/// Change a member's role (admins; ownership only by owners).
#[utoipa::path(patch, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}", tag = "workspaces",
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = RoleChange,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "last_owner")))]
#[patch("/workspaces/{workspace_id}/members/{user_id}")]
pub async fn change_role(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<RoleChange>,
) -> AppResult<HttpResponse> {
    let (ws_id, user_id) = path.into_inner();
    let ws = access::workspace(&state.db, me.id(), ws_id).await?;
    service::change_role(&state.db, &ws, me.id(), user_id, body.role).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a member (admins), or leave (yourself).
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/members/{user_id}", tag = "workspaces",
    params(("workspace_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/workspaces/{workspace_id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (ws_id, user_id) = path.into_inner();
    let ws = access::workspace(&state.db, me.id(), ws_id).await?;
    service::remove_member(&state.db, &ws, me.id(), user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// Restrict the invitation to this address.
    pub email: Option<String>,
    /// `admin`, `member` (default) or `guest`.
    pub role: Option<WorkspaceRole>,
    /// Default 1 for an addressed invitation, else 100.
    pub max_uses: Option<i32>,
    pub expires_in_hours: Option<i64>,
    /// With `email`: mail the link there (default true).
    pub send_email: Option<bool>,
}

/// Invitations one person may have mailed in an hour.
const INVITE_MAILS_PER_HOUR: u64 = 50;

/// Create an invitation link (workspace admins). The token is shown only here.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/invites", tag = "workspaces",
    params(("workspace_id" = Uuid, Path)), request_body = NewInvite,
    responses((status = 201, body = CreatedInvite), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody, description = "over 50 invitations mailed in the last hour")))]
#[post("/workspaces/{workspace_id}/invites")]
pub async fn create_invite(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    body: web::Json<NewInvite>,
) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    let created = invite(&state, &ws, &me.user, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Makes an invitation to `ws` from `inviter` (who the caller has checked may), mailed
/// to its address unless asked not to (at most 50 mailed invitations an hour each).
pub async fn invite(
    state: &AppState,
    ws: &access::WorkspaceAccess,
    inviter: &crate::accounts::model::user::Model,
    b: NewInvite,
) -> AppResult<invites::CreatedInvite> {
    let send_email = b.send_email.unwrap_or(true);
    let input = InviteInput {
        email: b.email,
        role: b.role.unwrap_or(WorkspaceRole::Member),
        max_uses: b.max_uses,
        expires_in_hours: b.expires_in_hours,
    };
    if input.email.is_some() && send_email {
        let sent = invites::addressed_since(&state.db.conn, inviter.id, crate::clock::now_ms() - crate::clock::HOUR_MS)
            .await?;
        if sent >= INVITE_MAILS_PER_HOUR {
            return Err(AppError::RateLimited { retry_after_s: 600 });
        }
    }
    let tx = state.db.write().await?;
    let created = invites::create(
        &*tx,
        ws,
        inviter.id,
        input,
        &state.settings.server.site_url,
        state.settings.auth.invite_ttl_hours,
    )
    .await?;
    if let (Some(to), true) = (&created.email, send_email) {
        let invitation = crate::accounts::mails::Invitation {
            to,
            inviter: &inviter.display_name,
            workspace: &ws.workspace.name,
            role: created.role.as_str(),
            link: &created.url,
            expires_at: crate::clock::parse_rfc3339(&created.expires_at).unwrap_or_default(),
        };
        crate::accounts::mails::invitation(&*tx, &state.settings, &invitation).await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Revoke an invitation (workspace admins).
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace_id}/invites/{invite_id}", tag = "workspaces",
    params(("workspace_id" = Uuid, Path), ("invite_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/workspaces/{workspace_id}/invites/{invite_id}")]
pub async fn revoke_invite(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (ws_id, invite_id) = path.into_inner();
    let ws = access::workspace(&state.db, me.id(), ws_id).await?;
    invites::revoke(&state.db.conn, &ws, me.id(), invite_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link leads to (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/invites/{token}", tag = "workspaces", params(("token" = String, Path)),
    responses((status = 200, body = InvitePreview), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "invite_used_up")))]
#[get("/invites/{token}")]
pub async fn preview_invite(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(invites::preview(&state.db.conn, &path.into_inner()).await?))
}

/// Join a workspace with an invitation, as the signed-in user.
#[utoipa::path(post, path = "/api/v1/invites/{token}/accept", tag = "workspaces", params(("token" = String, Path)),
    responses((status = 200, body = WorkspaceView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "invite_used_up")))]
#[post("/invites/{token}/accept")]
pub async fn accept_invite(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let ws = invites::accept(&tx, &path.into_inner(), &me.user).await?;
    tx.commit().await?;
    let access = access::workspace(&state.db, me.id(), ws.id).await?;
    Ok(HttpResponse::Ok().json(WorkspaceView::from(&access)))
}
