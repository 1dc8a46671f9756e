//! /api/v1/me, /api/v1/users/{id} and instance-admin user management.
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::service::{self, ProfilePatch};
use super::view::{MeView, UserView};
use crate::access;
use crate::audit::{self, AuditEvent};
use crate::auth::current_user::AuthMethod;
use crate::auth::{password, sessions, CurrentUser, InstanceAdmin};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::realtime::event::{kind, NewEvent};
use crate::state::AppState;

/// My profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "profile", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
#[get("/me")]
pub async fn get_me(me: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeView::from(&me.user)))
}

/// Change my display name, username, custom status or preferences.
#[utoipa::path(patch, path = "/api/v1/me", tag = "profile", request_body = ProfilePatch,
    responses((status = 200, body = MeView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<ProfilePatch>,
) -> AppResult<HttpResponse> {
    let tx = state.db.write().await?;
    let updated = service::update_profile(&*tx, me.user, body.into_inner(), state.settings.limits.name_chars).await?;
    announce(&tx, &updated).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(MeView::from(&updated)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change my password; every other session ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "profile", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody, description = "bad_credentials"), (status = 422, body = ErrorBody)))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<PasswordChange>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    if body.current_password.len() > password::MAX_LEN
        || !password::verify(body.current_password, me.user.password_hash.clone()).await?
    {
        return Err(AppError::BadCredentials);
    }
    let keep = match me.via {
        AuthMethod::Session(id) => Some(id),
        AuthMethod::Token(_) => None,
    };
    let hash = service::hash_new_password(&me.user, body.new_password).await?;
    let tx = state.db.write().await?;
    service::set_password_hash(&*tx, me.id(), hash).await?;
    sessions::delete_all_for_user(&*tx, me.id(), keep).await?;
    super::mails::password_changed(&*tx, &state.settings, &me.user, false).await?;
    audit::record(&*tx, AuditEvent::new(Some(me.id()), "auth.password_changed")).await?;
    tx.commit().await?;
    crate::auth::routes::revoke_sockets_after_commit(&state, me.id()).await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    pub new_email: String,
    pub current_password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EmailChangeAsked {
    /// Where the confirmation link went; the account keeps its address until it is used.
    pub pending_email: String,
    pub valid_hours: i64,
}

/// Change my e-mail address: a link is mailed to the new address (the old one is told),
/// and the address changes when it is opened.
#[utoipa::path(post, path = "/api/v1/me/email", tag = "profile", request_body = EmailChange,
    responses((status = 202, body = EmailChangeAsked), (status = 401, body = ErrorBody, description = "bad_credentials"),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "rate_limited")))]
#[post("/me/email")]
pub async fn change_email(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: CurrentUser,
    body: web::Json<EmailChange>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let ip = crate::auth::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    let pending_email =
        super::email_change::request(&state, ip, &me.user, &body.new_email, body.current_password).await?;
    Ok(HttpResponse::Accepted().json(EmailChangeAsked { pending_email, valid_hours: super::email_change::VALID_HOURS }))
}

/// Someone's public profile; only people who share a workspace with me are visible.
#[utoipa::path(get, path = "/api/v1/users/{user_id}", tag = "profile", params(("user_id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
#[get("/users/{user_id}")]
pub async fn get_user(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    if !access::shares_workspace(&state.db.conn, me.id(), id).await? {
        return Err(AppError::NotFound("user"));
    }
    let user = service::find_by_id(&state.db.conn, id).await?.ok_or(AppError::NotFound("user"))?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

/// Tells everyone who shares a workspace with `user` how it is shown now (`user.updated`).
pub async fn announce(tx: &crate::db::WriteTx, user: &crate::accounts::model::user::Model) -> AppResult<()> {
    let data = serde_json::to_value(UserView::from(user)).map_err(anyhow::Error::from)?;
    for ws in crate::workspaces::service::list_mine(&**tx, user.id).await? {
        tx.emit(NewEvent::workspace(kind::USER_UPDATED, ws.id, data.clone()).about(user.id));
    }
    Ok(())
}

async fn set_active(state: &AppState, admin: &CurrentUser, id: Uuid, active: bool) -> AppResult<HttpResponse> {
    super::activation::by_admin(state, admin.id(), id, active).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deactivate an account: its sessions and tokens end at once.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/deactivate", tag = "admin", params(("user_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/users/{user_id}/deactivate")]
pub async fn admin_deactivate(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    set_active(&state, &admin.0, path.into_inner(), false).await
}

/// Reactivate an account.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/reactivate", tag = "admin", params(("user_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[post("/users/{user_id}/reactivate")]
pub async fn admin_reactivate(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    set_active(&state, &admin.0, path.into_inner(), true).await
}
