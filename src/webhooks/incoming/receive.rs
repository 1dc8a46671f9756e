//! `POST /hooks/{token}[/{format}]`: where tools post. Answers the way Slack's incoming
//! webhooks do — `200 ok`; `400 invalid_payload`, `404 no_service`,
//! `404 channel_not_found`, `410 channel_is_archived`, `413 payload_too_large`,
//! `429 rate_limited` with `Retry-After` — as plain text, because the tools and SDKs
//! that send to it read those words. A refused request stores nothing.
use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};
use integrations::{ConvertError, Source};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::hook;
use super::service;
use crate::access::{self, ChannelAccess, Need};
use crate::accounts::model::user;
use crate::channels::model::channel;
use crate::error::AppError;
use crate::messages::cards::AppPost;
use crate::messages::model::message;
use crate::messages::service::{self as messages, NewMessage};
use crate::state::AppState;

fn answer(status: StatusCode, word: &str) -> HttpResponse {
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(word.to_owned())
}

fn refused(e: &AppError) -> HttpResponse {
    match e {
        AppError::Conflict { code: "channel_archived", .. } => answer(StatusCode::GONE, "channel_is_archived"),
        AppError::NotFound("channel") => answer(StatusCode::NOT_FOUND, "channel_not_found"),
        AppError::NotFound(_) => answer(StatusCode::NOT_FOUND, "no_service"),
        AppError::Invalid { .. } | AppError::BadRequest { .. } => answer(StatusCode::BAD_REQUEST, "invalid_payload"),
        AppError::Unavailable(_) | AppError::DatabaseUnavailable => {
            answer(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
        }
        _ => answer(StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

/// The JSON document: the body itself, or the `payload` field of a form (Slack's legacy
/// way, which GitHub offers too).
fn json_document(req: &HttpRequest, body: &[u8]) -> Result<serde_json::Value, &'static str> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let parsed = if form {
        let payload = url::form_urlencoded::parse(body).find(|(k, _)| k == "payload").map(|(_, v)| v.into_owned());
        serde_json::from_str(&payload.ok_or("invalid_payload")?)
    } else {
        serde_json::from_slice(body)
    };
    parsed.map_err(|_| "invalid_payload")
}

/// Where the message goes: the hook's channel, or the one a Slack `channel` override
/// names in the same workspace, if the hook's creator may post there.
async fn target(
    conn: &impl ConnectionTrait,
    h: &hook::Model,
    home: ChannelAccess,
    wanted: Option<&str>,
) -> Result<ChannelAccess, AppError> {
    let Some(wanted) = wanted.map(|w| w.trim().trim_start_matches('#')).filter(|w| !w.is_empty()) else {
        return Ok(home);
    };
    if wanted == h.channel_id.to_string() || home.channel.name.as_deref() == Some(wanted) {
        return Ok(home);
    }
    let found = match wanted.parse::<Uuid>() {
        Ok(id) => channel::Entity::find_by_id(id).one(conn).await?,
        Err(_) => {
            channel::Entity::find()
                .filter(channel::Column::WorkspaceId.eq(h.workspace_id))
                .filter(channel::Column::Name.eq(wanted.to_lowercase()))
                .one(conn)
                .await?
        }
    };
    let found = found.filter(|c| c.workspace_id == h.workspace_id).ok_or(AppError::NotFound("channel"))?;
    access::channel(conn, h.created_by, found.id, Need::Read)
        .await
        .ok()
        .filter(ChannelAccess::is_member)
        .ok_or(AppError::NotFound("channel"))
}

/// Slack's `thread_ts` names a message; Parley's Slack timestamps end in the seq.
async fn thread_root(
    conn: &impl ConnectionTrait,
    channel_id: Uuid,
    ts: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    let Some(seq) = ts.and_then(crate::slack_api::ids::seq_of_ts) else { return Ok(None) };
    let root = message::Entity::find()
        .filter(message::Column::ChannelId.eq(channel_id))
        .filter(message::Column::Seq.eq(seq))
        .one(conn)
        .await?;
    Ok(root.filter(|m| m.deleted_at.is_none()).map(|m| m.thread_root_id.unwrap_or(m.id)))
}

async fn deliver(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    source: Source,
    body: web::Payload,
) -> Result<HttpResponse, HttpResponse> {
    let conn = &state.db.conn;
    let (h, home) = service::by_token(conn, token)
        .await
        .map_err(|e| refused(&e))?
        .ok_or_else(|| answer(StatusCode::NOT_FOUND, "no_service"))?;
    if let Err(wait) = state.hook_limiter.check(&h.id) {
        return Err(HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .content_type("text/plain; charset=utf-8")
            .body("rate_limited"));
    }
    let raw = match body.to_bytes_limited(state.settings.server.max_json_bytes).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Err(crate::edge::body::fault(req)
                .map_or_else(|| answer(StatusCode::BAD_REQUEST, "invalid_payload"), refused_body))
        }
        Err(_) => return Err(answer(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")),
    };
    let header_pairs: Vec<(String, String)> =
        req.headers().iter().filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect();
    let headers: Vec<(&str, &str)> = header_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let secret = service::secret_of(&state.sealer, &h).map_err(|e| refused(&e))?;
    integrations::verify(source, &headers, &raw, secret.as_deref()).map_err(convert_refusal)?;
    let json = json_document(req, &raw).map_err(|w| answer(StatusCode::BAD_REQUEST, w))?;
    let msg = integrations::convert_value(source, &headers, &json).map_err(convert_refusal)?;

    let access = target(conn, &h, home, msg.channel.as_deref()).await.map_err(|e| refused(&e))?;
    if access.ensure_writable().is_err() {
        return Err(answer(StatusCode::GONE, "channel_is_archived"));
    }
    let author = user::Entity::find_by_id(h.bot_user_id)
        .one(conn)
        .await
        .map_err(|e| refused(&e.into()))?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or_else(|| answer(StatusCode::NOT_FOUND, "no_service"))?;
    let root = thread_root(conn, access.channel.id, msg.thread_ts.as_deref()).await.map_err(|e| refused(&e))?;
    let app = AppPost::from_message(&msg, &h.name, h.avatar_url.as_deref());
    let new =
        NewMessage { text: msg.text, client_msg_id: None, thread_root_id: root, file_ids: Vec::new(), app: Some(app) };
    messages::post(&state.db, &access, &author, new, state.settings.limits.message_chars)
        .await
        .map_err(|e| refused(&e))?;
    service::touch(conn, &h).await.map_err(|e| refused(&e))?;
    Ok(answer(StatusCode::OK, "ok"))
}

fn refused_body(fault: crate::edge::body::BodyFault) -> HttpResponse {
    match fault {
        crate::edge::body::BodyFault::TimedOut => answer(StatusCode::REQUEST_TIMEOUT, "request_timeout"),
        crate::edge::body::BodyFault::Control(_) => answer(StatusCode::BAD_REQUEST, "invalid_payload"),
    }
}

fn convert_refusal(e: ConvertError) -> HttpResponse {
    match e {
        ConvertError::InvalidPayload(_) => answer(StatusCode::BAD_REQUEST, "invalid_payload"),
        ConvertError::MissingSignature => answer(StatusCode::UNAUTHORIZED, "missing_signature"),
        ConvertError::BadSignature => answer(StatusCode::UNAUTHORIZED, "invalid_signature"),
    }
}

/// Post to a channel through an incoming webhook, in Slack's format.
#[utoipa::path(post, path = "/hooks/{token}", tag = "integrations", params(("token" = String, Path)),
    request_body(content = Object, description = "a Slack message payload (JSON, or a form with `payload=`)"),
    responses((status = 200, description = "ok"), (status = 400, description = "invalid_payload"),
              (status = 404, description = "no_service, channel_not_found"), (status = 410, description = "channel_is_archived"),
              (status = 413, description = "payload_too_large"), (status = 429, description = "rate_limited, with Retry-After")),
    security(()))]
#[post("/hooks/{token}")]
pub async fn slack_format(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
) -> HttpResponse {
    deliver(&state, &req, &path, Source::Slack, body).await.unwrap_or_else(|refusal| refusal)
}

/// Post a tool's own payload: `github`, `gitlab`, `alertmanager`, `grafana` or `sentry`.
#[utoipa::path(post, path = "/hooks/{token}/{format}", tag = "integrations",
    params(("token" = String, Path), ("format" = String, Path, description = "github, gitlab, alertmanager, grafana, sentry or slack")),
    request_body(content = Object, description = "the tool's webhook payload"),
    responses((status = 200, description = "ok"), (status = 400, description = "invalid_payload"),
              (status = 401, description = "missing_signature, invalid_signature"), (status = 404, description = "no_service"),
              (status = 410, description = "channel_is_archived"), (status = 413, description = "payload_too_large"),
              (status = 429, description = "rate_limited")),
    security(()))]
#[post("/hooks/{token}/{format}")]
pub async fn native_format(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
) -> HttpResponse {
    let (token, format) = path.into_inner();
    let Some(source) = Source::from_suffix(&format) else { return answer(StatusCode::NOT_FOUND, "no_service") };
    deliver(&state, &req, &token, source, body).await.unwrap_or_else(|refusal| refusal)
}
