//! The middleware every request passes first: refuse connections over their address's
//! cap, count the request for a graceful stop, refuse control characters in the path and
//! query, hold requests to their credential's or address's rate, watch the body as it arrives, note where the request comes from (for the audit
//! log), and put the security headers on the answer.
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, ConnectionType};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use super::body::{GuardedBody, Scanner};
use super::connections::ConnectionTicket;
use super::control_chars::check_encoded;
use super::headers;
use crate::audit::origin::{self, RequestOrigin};
use crate::auth::client_ip::client_ip;
use crate::error::AppError;
use crate::state::AppState;

fn refuse(req: ServiceRequest, err: &AppError, state: &AppState) -> ServiceResponse<BoxBody> {
    let mut res = answer(req, err, state);
    res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    res
}

/// An error answer that keeps the connection (the client may go on after waiting).
fn answer(req: ServiceRequest, err: &AppError, state: &AppState) -> ServiceResponse<BoxBody> {
    let mut res = req.into_response(err.error_response());
    headers::apply(&mut res, &state.settings);
    res
}

/// A request with a body of its own; a WebSocket's stream is guarded by the socket.
fn has_body(req: &ServiceRequest) -> bool {
    let h = req.headers();
    !req.head().upgrade() && (h.contains_key(header::CONTENT_LENGTH) || h.contains_key(header::TRANSFER_ENCODING))
}

fn is_upload(req: &ServiceRequest) -> bool {
    matches!(req.mime_type(), Ok(Some(m)) if m.type_() == actix_web::mime::MULTIPART) || is_raw_upload(req)
}

/// Slack-style upload URLs take the file as the raw body, whatever content type the
/// client library puts on it (urllib says it is a form): bytes, not text fields.
fn is_raw_upload(req: &ServiceRequest) -> bool {
    req.path().starts_with("/slack/upload/")
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    if req.conn_data::<ConnectionTicket>().is_some_and(|t| t.over_cap) {
        return Ok(refuse(req, &AppError::TooManyConnections, &state));
    }
    let _in_flight = state.connections.request_started();
    let (path_check, query_check) = (check_encoded(req.path()), check_encoded(req.query_string()));
    if let Err(c) = path_check {
        return Ok(refuse(req, &AppError::invalid("path", c.to_string()), &state));
    }
    if let Err(c) = query_check {
        return Ok(refuse(req, &AppError::invalid("query", c.to_string()), &state));
    }
    let ip = client_ip(req.request(), &state.settings.server.trusted_proxies);
    let session_cookie = crate::auth::current_user::session_cookie_name(&state);
    if let Err(retry_after_s) = state.request_rate.check(&req, session_cookie, ip) {
        return Ok(answer(req, &AppError::RateLimited { retry_after_s }, &state));
    }

    if has_body(&req) {
        let server = &state.settings.server;
        let (idle, total) = if is_upload(&req) {
            (Duration::from_secs(state.settings.files.upload_idle_timeout_s.max(1)), None)
        } else {
            let total = Duration::from_secs(server.body_timeout_s.max(1));
            (Duration::from_secs(server.body_idle_timeout_s.max(1)), Some(total))
        };
        let scanner = if is_raw_upload(&req) { Scanner::None } else { Scanner::for_request(&req) };
        let (body, slot) = GuardedBody::new(req.take_payload(), scanner, idle, total);
        req.extensions_mut().insert(slot);
        req.set_payload(Payload::from(Box::pin(body) as super::BoxedStream));
    }

    let origin = RequestOrigin { ip, client: req.headers().get(header::USER_AGENT).cloned() };
    let mut res = origin::scope(origin, next.call(req)).await?.map_into_boxed_body();
    headers::apply(&mut res, &state.settings);
    if state.connections.is_draining() {
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}
