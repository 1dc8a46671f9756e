//! /admin/people/{id}: one person — sessions and tokens to revoke, identity provider
//! links, workspaces, bots they own — with role, password reset and (de)activation.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::admin::person::{self, PersonDetail};
use crate::admin::routes::reset_by_mail;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::notice::or_notice;
use crate::web::page::{html, redirect};

pub fn path(id: Uuid) -> String {
    format!("/admin/people/{id}")
}

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonPage {
    section: &'static str,
    p: PersonDetail,
    is_me: bool,
    /// A one-time password link just made for the administrator to pass on.
    reset_link: Option<String>,
    /// What was just done, said back.
    done: Option<&'static str>,
}

fn render(state: &AppState, view: PersonPage) -> AppResult<HttpResponse> {
    Ok(html(state, StatusCode::OK, view.render().map_err(anyhow::Error::from)?))
}

#[get("/people/{user_id}")]
pub async fn page(state: web::Data<AppState>, req: HttpRequest, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let admin = super::instance_admin_of(&req)?;
    let id = path.into_inner();
    let shown = async {
        let p = person::detail(&state, id).await?;
        render(&state, PersonPage { section: "people", p, is_me: id == admin.id(), reset_link: None, done: None })
    };
    or_notice(&state, shown.await)
}

#[post("/people/{user_id}/sessions/{session_id}/revoke")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<super::NoFields>,
) -> AppResult<HttpResponse> {
    let (id, session_id) = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, _: super::NoFields| async move {
        person::revoke_session(&state, admin.id(), id, session_id).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[post("/people/{user_id}/tokens/{token_id}/revoke")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<super::NoFields>,
) -> AppResult<HttpResponse> {
    let (id, token_id) = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, _: super::NoFields| async move {
        person::revoke_token(&state, admin.id(), id, token_id).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct RoleForm {
    is_admin: bool,
}

#[post("/people/{user_id}/role")]
pub async fn change_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: RoleForm| async move {
        person::set_admin(&state, admin.id(), id, form.is_admin).await?;
        Ok(redirect(&self::path(id)))
    })
    .await
}

#[derive(Deserialize)]
pub struct ResetForm {
    /// `mail` or `link`.
    send: String,
}

/// Answers with the person's page itself, showing the link made (shown once, never stored).
#[post("/people/{user_id}/password-reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    super::instance_form_action(state, &req, form.into_inner(), |state, admin, form: ResetForm| async move {
        let mail = reset_by_mail(&form.send)?;
        let reset_link = crate::auth::password_reset::by_admin(&state, admin.id(), id, mail).await?;
        let p = person::detail(&state, id).await?;
        let done = if mail { Some("A password reset link was mailed.") } else { None };
        render(&state, PersonPage { section: "people", p, is_me: id == admin.id(), reset_link, done })
    })
    .await
}
