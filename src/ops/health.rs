//! Liveness and readiness probes.
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers: ready for traffic.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody, description = "database_unavailable, shutting_down")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    if state.connections.is_draining() {
        return Err(AppError::ShuttingDown);
    }
    state.db.ping().await.map_err(|e| {
        state.faults.note("database", &e.to_string());
        AppError::DatabaseUnavailable
    })?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
