//! GET /api/v1/ws: the WebSocket endpoint.
use actix_web::body::BoxBody;
use actix_web::http::header;
use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};

use super::frame_guard::GuardedPayload;
use super::outbound::OutboundBody;
use super::session;
use crate::accounts::model::user;
use crate::auth::current_user::cookie_session;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A cookie counts only with our Origin: a page on another site can open a WebSocket
/// to us with the victim's cookie attached (cross-site WebSocket hijacking).
async fn cookie_user(state: &AppState, req: &HttpRequest) -> AppResult<Option<user::Model>> {
    Ok(cookie_session(state, req).await?.map(|s| s.user))
}

/// Upgrade to the realtime protocol (docs/realtime.md). Browsers authenticate with
/// the session cookie; other clients send a token in the first ("hello") frame.
#[utoipa::path(get, path = "/api/v1/ws", tag = "realtime",
    responses((status = 101, description = "switching to the WebSocket protocol"),
              (status = 403, body = crate::error::ErrorBody, description = "ws_origin_mismatch")))]
#[get("/ws")]
pub async fn websocket(state: web::Data<AppState>, req: HttpRequest, body: web::Payload) -> AppResult<HttpResponse> {
    if state.connections.is_draining() {
        return Err(AppError::ShuttingDown);
    }
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| o != state.settings.site_origin()) {
        return Err(AppError::forbidden("ws_origin_mismatch", "WebSocket Origin does not match this site"));
    }
    let user = if origin.is_some() { cookie_user(&state, &req).await? } else { None };
    // Size limits are enforced from frame headers as bytes arrive (frame_guard.rs).
    let (guarded, tripped) = GuardedPayload::new(body.into_inner(), session::LIMITS);
    let mut guarded = actix_web::dev::Payload::from(Box::pin(guarded) as crate::edge::BoxedStream);
    let body = web::Payload::from_request(&req, &mut guarded).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (response, ws, stream) =
        actix_ws::handle(&req, body).map_err(|e| AppError::bad_request("not_a_websocket", e.to_string()))?;
    // Live events skip the session task: the response body reads the hub's queue itself.
    let (head, control) = response.into_parts();
    let (outbound, handover) = OutboundBody::new(control);
    let state = state.get_ref().clone();
    actix_web::rt::spawn(session::run(state, ws, stream, user, tripped, handover));
    Ok(head.set_body(BoxBody::new(outbound)))
}
