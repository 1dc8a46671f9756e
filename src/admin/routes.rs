//! /api/v1/admin/overview and /api/v1/admin/users/… (instance administrators only; anyone
//! else gets the 404 of a route that does not exist).
use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::overview::{self, Overview};
use super::people::{self, PeopleQuery, PersonAdminView};
use super::person::{self, PersonDetail, RoleChange};
use crate::auth::InstanceAdmin;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

/// Who uses the instance, how much it holds, and whether its queues flow.
#[utoipa::path(get, path = "/api/v1/admin/overview", tag = "admin",
    responses((status = 200, body = Overview), (status = 404, body = ErrorBody)))]
#[get("/overview")]
pub async fn get_overview(state: web::Data<AppState>, _admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(overview::overview(&state).await?))
}

/// Accounts on this server, oldest first, searched and filtered.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(PeopleQuery),
    responses((status = 200, body = [PersonAdminView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/users")]
pub async fn list_people(
    state: web::Data<AppState>,
    _admin: InstanceAdmin,
    q: web::Query<PeopleQuery>,
) -> AppResult<HttpResponse> {
    let found = people::list(&state.db.conn, &q).await?;
    Ok(HttpResponse::Ok().json(found.iter().map(PersonAdminView::from).collect::<Vec<_>>()))
}

/// One person: their sessions, tokens, identity provider links, workspaces and bots.
#[utoipa::path(get, path = "/api/v1/admin/users/{user_id}", tag = "admin", params(("user_id" = Uuid, Path)),
    responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)))]
#[get("/users/{user_id}")]
pub async fn person_detail(
    state: web::Data<AppState>,
    _admin: InstanceAdmin,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(person::detail(&state, path.into_inner()).await?))
}

/// End one of a person's sessions (and close their sockets, which then re-authenticate).
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}/sessions/{session_id}", tag = "admin",
    params(("user_id" = Uuid, Path), ("session_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/users/{user_id}/sessions/{session_id}")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (user_id, session_id) = path.into_inner();
    person::revoke_session(&state, admin.0.id(), user_id, session_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke one of a person's API tokens.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user_id}/tokens/{token_id}", tag = "admin",
    params(("user_id" = Uuid, Path), ("token_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/users/{user_id}/tokens/{token_id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (user_id, token_id) = path.into_inner();
    person::revoke_token(&state, admin.0.id(), user_id, token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a person an instance administrator, or no longer one.
#[utoipa::path(put, path = "/api/v1/admin/users/{user_id}/role", tag = "admin", params(("user_id" = Uuid, Path)),
    request_body = RoleChange,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[put("/users/{user_id}/role")]
pub async fn change_role(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
    body: web::Json<RoleChange>,
) -> AppResult<HttpResponse> {
    person::set_admin(&state, admin.0.id(), path.into_inner(), body.is_admin).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordLinkRequest {
    /// `mail` sends the person a link; `link` answers it, for the administrator to pass on.
    pub send: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasswordLinkIssued {
    /// The one-time link (with `send: link` only); it works once, within 30 minutes.
    pub link: Option<String>,
}

/// Reset a person's password: a one-time link, mailed to them or handed to you.
#[utoipa::path(post, path = "/api/v1/admin/users/{user_id}/password-reset", tag = "admin",
    params(("user_id" = Uuid, Path)), request_body = PasswordLinkRequest,
    responses((status = 200, body = PasswordLinkIssued), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/users/{user_id}/password-reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<Uuid>,
    body: web::Json<PasswordLinkRequest>,
) -> AppResult<HttpResponse> {
    let mail = reset_by_mail(&body.send)?;
    let link = crate::auth::password_reset::by_admin(&state, admin.0.id(), path.into_inner(), mail).await?;
    Ok(HttpResponse::Ok().json(PasswordLinkIssued { link }))
}

/// Whether a reset link is mailed (`mail`) or handed over (`link`).
pub fn reset_by_mail(send: &str) -> AppResult<bool> {
    match send {
        "mail" => Ok(true),
        "link" => Ok(false),
        _ => Err(AppError::invalid("send", "mail or link")),
    }
}

/// This node, whether each dependency answers now, and the configuration in effect
/// (secrets as set / not set).
#[utoipa::path(get, path = "/api/v1/admin/system", tag = "admin",
    responses((status = 200, body = super::system::SystemView), (status = 404, body = ErrorBody)))]
#[get("/system")]
pub async fn system(state: web::Data<AppState>, _admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::system::system(&state).await?))
}
