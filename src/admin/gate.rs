//! The door of the /api/v1/admin and /admin scopes: only an instance administrator gets
//! in; everyone else (signed out, refused, or simply not one) gets the 404 of a route that
//! does not exist — before any extractor has looked at the body or the query, so no
//! answer (a 415, a 422, a 413) tells a stranger that the route is there.
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use crate::auth::current_user::{authenticate, page_user, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;

/// The administrator the gate let in (the `InstanceAdmin` extractor takes it from here).
#[derive(Clone)]
pub struct Admitted(pub CurrentUser);

fn hidden(req: ServiceRequest) -> ServiceResponse<BoxBody> {
    req.into_response(AppError::NotFound("route").error_response())
}

/// For the API: a session cookie (from this site, on unsafe methods) or a bearer token.
pub async fn api(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match authenticate(req.request().clone()).await {
        Ok(me) if me.user.is_admin => {
            req.extensions_mut().insert(Admitted(me));
            Ok(next.call(req).await?.map_into_boxed_body())
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
        Ok(Some(u)) if u.is_admin => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) if e.status_code().is_server_error() => Err(e.into()),
        _ => Ok(hidden(req)),
    }
}
