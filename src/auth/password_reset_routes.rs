//! /api/v1/auth/password-reset: ask for a reset link, and use one.
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::client_ip::client_ip;
use super::password_reset;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetCompletion {
    /// The `token` of the mailed link.
    pub token: String,
    pub new_password: String,
}

/// Mail a password reset link. Answers the same whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "a link is mailed if the address has an account"),
              (status = 429, body = ErrorBody, description = "rate_limited")))]
#[post("/auth/password-reset")]
pub async fn request_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ResetRequest>,
) -> AppResult<HttpResponse> {
    let ip = client_ip(&req, &state.settings.server.trusted_proxies);
    password_reset::request(&state, ip, &body.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with a mailed link (once, within 30 minutes). Every session ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/complete", tag = "auth", request_body = ResetCompletion,
    responses((status = 204), (status = 400, body = ErrorBody, description = "reset_link_invalid"),
              (status = 422, body = ErrorBody, description = "the new password is too weak")))]
#[post("/auth/password-reset/complete")]
pub async fn complete_reset(state: web::Data<AppState>, body: web::Json<ResetCompletion>) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    password_reset::complete(&state, &body.token, body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
