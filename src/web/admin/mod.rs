//! /admin: the instance administrator's pages, drawn on the server from the same services
//! as /api/v1/admin; a workspace's owners and admins get its workspace page, exports and
//! audit log. Anyone else gets the API's 404 for a route that does not exist, so the pages
//! do not reveal themselves.
pub mod audit;
pub mod chart;
pub mod exports;
pub mod integrations;
pub mod overview;
pub mod people;
pub mod person;
pub mod queues;
pub mod retention;
pub mod system;
pub mod workspaces;

use std::future::Future;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::scope::Admin;
use crate::auth::current_user::check_origin;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::notice::or_notice;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(crate::admin::gate::pages))
            .service(overview::page)
            .service(people::page)
            .service(people::switch_active)
            .service(person::page)
            .service(person::revoke_session)
            .service(person::revoke_token)
            .service(person::change_role)
            .service(person::reset_password)
            .service(queues::page)
            .service(queues::settle)
            .service(workspaces::list)
            .service(workspaces::create)
            .service(workspaces::invite)
            .service(workspaces::detail)
            .service(workspaces::settings)
            .service(workspaces::limits)
            .service(workspaces::rename)
            .service(workspaces::set_state)
            .service(workspaces::add)
            .service(workspaces::channel)
            .service(workspaces::member)
            .service(workspaces::retention)
            .service(integrations::list)
            .service(integrations::deliveries)
            .service(integrations::switch)
            .service(system::page)
            .service(exports::page)
            .service(exports::create)
            .service(exports::download)
            .service(exports::rebuild)
            .service(retention::page)
            .service(retention::workspace)
            .service(retention::channel)
            .service(retention::person)
            .service(retention::run)
            .service(audit::page),
    );
}

/// A form that carries nothing but the request to act (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// The administrator a page request comes from, as the scope's gate admitted them.
pub fn admin_of(req: &HttpRequest) -> AppResult<Admin> {
    use actix_web::HttpMessage;
    req.extensions().get::<Admin>().cloned().ok_or(AppError::NotFound("route"))
}

/// The instance administrator a page request comes from.
pub fn instance_admin_of(req: &HttpRequest) -> AppResult<Admin> {
    let admin = admin_of(req)?;
    admin.instance()?;
    Ok(admin)
}

/// A form posted from an admin page (the scope's gate let only an administrator in): it
/// must come from this site, then `act` does the work; what goes wrong is answered with
/// a page.
pub async fn form_action<T, F, Fut>(
    state: web::Data<AppState>,
    req: &HttpRequest,
    form: T,
    act: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(web::Data<AppState>, Admin, T) -> Fut,
    Fut: Future<Output = AppResult<HttpResponse>>,
{
    let admin = admin_of(req)?;
    let done = async {
        check_origin(req, &state)?;
        act(state.clone(), admin, form).await
    };
    or_notice(&state, done.await)
}

/// `form_action` for what only an instance administrator does.
pub async fn instance_form_action<T, F, Fut>(
    state: web::Data<AppState>,
    req: &HttpRequest,
    form: T,
    act: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(web::Data<AppState>, Admin, T) -> Fut,
    Fut: Future<Output = AppResult<HttpResponse>>,
{
    instance_admin_of(req)?;
    form_action(state, req, form, act).await
}
