//! /api/v1/admin/integrations: every webhook, slash command and bot, turned off or on;
//! an outgoing hook's delivery log (instance administrators only).
use actix_web::{get, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::integrations::{self, IntegrationRow};
use crate::auth::InstanceAdmin;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;
use crate::webhooks::outgoing::log::{DeliveryView, LogQuery};

/// Every integration of every workspace.
#[utoipa::path(get, path = "/api/v1/admin/integrations", tag = "admin",
    responses((status = 200, body = [IntegrationRow]), (status = 404, body = ErrorBody)))]
#[get("/integrations")]
pub async fn list(state: web::Data<AppState>, _admin: InstanceAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(integrations::list(&state).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub enabled: bool,
}

/// Turn an integration off or on (`kind`: incoming_hook, outgoing_hook, command or bot).
#[utoipa::path(put, path = "/api/v1/admin/integrations/{kind}/{id}", tag = "admin",
    params(("kind" = String, Path), ("id" = Uuid, Path)), request_body = Switch,
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[put("/integrations/{kind}/{id}")]
pub async fn switch(
    state: web::Data<AppState>,
    admin: InstanceAdmin,
    path: web::Path<(String, Uuid)>,
    body: web::Json<Switch>,
) -> AppResult<HttpResponse> {
    let (kind, id) = path.into_inner();
    integrations::set_enabled(&state, admin.0.id(), &kind, id, body.enabled).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An outgoing hook's deliveries, newest first, each with every attempt.
#[utoipa::path(get, path = "/api/v1/admin/integrations/outgoing_hook/{hook_id}/deliveries", tag = "admin",
    params(("hook_id" = Uuid, Path), LogQuery),
    responses((status = 200, body = [DeliveryView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/integrations/outgoing_hook/{hook_id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    _admin: InstanceAdmin,
    path: web::Path<Uuid>,
    q: web::Query<LogQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(integrations::deliveries(&state.db.conn, path.into_inner(), &q).await?))
}
