//! The door of the /api/v1/admin and /admin scopes: an instance administrator gets in;
//! an owner or admin of a workspace gets into the workspace-scoped routes (the handlers
//! then keep them to their own workspaces); everyone else (signed out, refused, or simply
//! not one) gets the 404 of a route that does not exist — before any extractor has looked
//! at the body or the query, so no answer (a 415, a 422, a 413) tells a stranger that the
//! route is there.
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use super::scope::{reach_of, workspace_scoped, Admin, Reach};
use crate::accounts::model::user;
use crate::auth::current_user::{authenticate, page_user, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The instance administrator the API gate let in (the `InstanceAdmin` extractor takes it
/// from here).
#[derive(Clone)]
pub struct Admitted(pub CurrentUser);

fn hidden(req: ServiceRequest) -> ServiceResponse<BoxBody> {
    req.into_response(AppError::NotFound("route").error_response())
}

/// Whether `user` may have this request, and over what.
async fn admit(req: &ServiceRequest, user: &user::Model) -> AppResult<Option<Reach>> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else { return Ok(None) };
    if !user.is_admin && !workspace_scoped(req.method(), req.match_info().unprocessed()) {
        return Ok(None);
    }
    reach_of(&state.db, user).await
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    user: user::Model,
    me: Option<CurrentUser>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let reach = match admit(&req, &user).await {
        Ok(Some(reach)) => reach,
        Ok(None) => return Ok(hidden(req)),
        Err(e) => return Err(e.into()),
    };
    if let Some(me) = me.filter(|_| reach == Reach::Instance) {
        req.extensions_mut().insert(Admitted(me));
    }
    let admin = Admin { user, reach };
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        if let Err(e) = admin.check_path(&state.db, req.match_info().unprocessed()).await {
            return if e.status_code().is_server_error() { Err(e.into()) } else { Ok(req.error_response(e)) };
        }
    }
    req.extensions_mut().insert(admin);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// For the API: a session cookie (from this site, on unsafe methods) or a bearer token.
pub async fn api(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match authenticate(req.request().clone()).await {
        Ok(me) => {
            let user = me.user.clone();
            pass(req, next, user, Some(me)).await
        }
        Err(e) if e.status_code().is_server_error() => Err(e.into()),
        _ => Ok(hidden(req)),
    }
}

/// For the pages: the session cookie (a form's Origin is checked by the form's handler,
/// which answers an administrator with a page).
pub async fn pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else { return Ok(hidden(req)) };
    match page_user(&state, req.request()).await {
        Ok(Some(u)) => pass(req, next, u, None).await,
        Err(e) if e.status_code().is_server_error() => Err(e.into()),
        _ => Ok(hidden(req)),
    }
}
