//! One error type for every request: status + stable snake_case code, no internals.
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Also used for things that exist but the caller may not see.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("authentication required")]
    Unauthenticated,
    #[error("e-mail or password is wrong")]
    BadCredentials,
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 413 with its own code (a file over the upload limit, a full storage quota).
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    #[error("file storage is unavailable; retry shortly")]
    StorageUnavailable,
    #[error("unsupported content type; send application/json")]
    UnsupportedMediaType,
    #[error("too many requests; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("too many open connections from this address; close some and retry")]
    TooManyConnections,
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error("the server is shutting down; retry (another node will answer)")]
    ShuttingDown,
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// The database cannot be reached (down, restarting, or every connection stuck).
    #[error("the database is unavailable; retry shortly")]
    DatabaseUnavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { field, reason: reason.into() }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    /// The stable machine-readable code (see docs/errors.md).
    pub fn code(&self) -> String {
        match self {
            Self::NotFound(what) => format!("{what}_not_found"),
            Self::Invalid { .. } => "invalid_input".into(),
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } | Self::Forbidden { code, .. } => {
                (*code).into()
            }
            Self::Unauthenticated => "unauthenticated".into(),
            Self::BadCredentials => "bad_credentials".into(),
            Self::PayloadTooLarge(_) => "payload_too_large".into(),
            Self::TooLarge { code, .. } => (*code).into(),
            Self::StorageUnavailable => "storage_unavailable".into(),
            Self::UnsupportedMediaType => "unsupported_media_type".into(),
            Self::RateLimited { .. } => "rate_limited".into(),
            Self::TooManyConnections => "too_many_connections".into(),
            Self::RequestTimeout => "request_timeout".into(),
            Self::ShuttingDown => "shutting_down".into(),
            Self::Unavailable(_) => "service_unavailable".into(),
            Self::DatabaseUnavailable => "database_unavailable".into(),
            Self::Internal(_) => "internal_error".into(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `channel_not_found`.
    pub code: String,
    pub message: String,
    /// The offending field, for `invalid_input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::Unauthenticated | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge(_) | Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } | Self::TooManyConnections => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unavailable(_) | Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Self::Internal(_) => "internal error; the request id identifies it in the server log".to_owned(),
            other => other.to_string(),
        };
        let field = match self {
            Self::Invalid { field, .. } => Some(*field),
            _ => None,
        };
        let mut resp = HttpResponse::build(self.status_code());
        if let Self::RateLimited { retry_after_s } = self {
            resp.insert_header((header::RETRY_AFTER, retry_after_s.to_string()));
        }
        if let Self::Unavailable(_)
        | Self::DatabaseUnavailable
        | Self::StorageUnavailable
        | Self::ShuttingDown
        | Self::TooManyConnections = self
        {
            resp.insert_header((header::RETRY_AFTER, "5"));
        }
        resp.json(ErrorBody { error: ErrorDetail { code: self.code(), message, field } })
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if database_unreachable(&err) {
            tracing::warn!(error = %err, "the database is unreachable");
            return Self::DatabaseUnavailable;
        }
        Self::Internal(err.into())
    }
}

/// Whether an error says the database could not be reached — no connection to be had, or
/// the one in use broke — rather than that a statement failed.
pub fn database_unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
                | Sqlx::Protocol(_)
        ),
        _ => false,
    }
}

impl<E: std::fmt::Debug> From<sea_orm::TransactionError<E>> for AppError
where
    E: Into<AppError> + std::error::Error,
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Every stable error code, its status and meaning. docs/errors.md mirrors this table.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    ("invalid_input", 422, "a field is missing, unknown, of the wrong type or invalid; `field` names it"),
    ("malformed_json", 400, "the body is not valid JSON or not valid UTF-8"),
    ("not_a_websocket", 400, "GET /api/v1/ws without a WebSocket upgrade"),
    ("invalid_query", 400, "a query-string parameter is malformed"),
    ("malformed_form", 400, "a form body (application/x-www-form-urlencoded) is malformed"),
    ("link_invalid", 400, "a link from a mail (unsubscribe, undo, address confirmation) was changed or never existed"),
    ("link_expired", 400, "a link from a mail is past its time or was already used; use the one in a newer mail"),
    ("reset_link_invalid", 400, "the password reset link has expired, was used, or never existed; ask for a new one"),
    (
        "invalid_search",
        400,
        "the search query is malformed (unclosed quote, bad date, unknown has:/is: value); the message says how",
    ),
    ("unauthenticated", 401, "no valid session cookie or bearer token"),
    ("bad_credentials", 401, "email or password is wrong"),
    (
        "account_deactivated",
        403,
        "the password is right but the account is deactivated; an administrator can reactivate it",
    ),
    (
        "sso_required",
        403,
        "the password is right but a workspace of this person signs in through its identity provider only",
    ),
    ("csrf_origin_mismatch", 403, "cookie-authenticated unsafe request without a matching Origin"),
    ("session_required", 403, "this needs a signed-in browser session; an API token may not do it"),
    ("ws_origin_mismatch", 403, "WebSocket upgrade from a page on another site"),
    ("missing_scope", 403, "a bot token lacks the scope this route needs; the message names it"),
    ("not_allowed", 403, "you can see this resource but may not do that to it"),
    ("not_channel_member", 403, "join the channel first"),
    ("<resource>_not_found", 404, "does not exist, or you may not see it"),
    ("route_not_found", 404, "no such route, or a malformed id in the path"),
    ("already_exists", 409, "a unique name or address is taken"),
    ("channel_archived", 409, "the channel is archived; unarchive it first"),
    (
        "workspace_archived",
        409,
        "the workspace is archived: it can be read but not changed until an administrator unarchives it",
    ),
    ("setup_done", 409, "first-run setup has already been completed"),
    ("last_owner", 409, "a workspace must keep at least one owner"),
    ("last_sign_in_method", 409, "the only way left to sign in (no password, no other provider) cannot be unlinked"),
    ("invite_used_up", 409, "the invitation has expired, been revoked or used up"),
    ("general_channel", 409, "#general cannot be archived or renamed"),
    ("conversation_fixed", 409, "a direct or group conversation keeps its members and cannot be archived"),
    ("cannot_leave_direct", 409, "a direct conversation cannot be left"),
    ("cannot_deactivate_self", 409, "administrators cannot deactivate their own account"),
    ("client_msg_id_reused", 409, "this client_msg_id was already used in another channel"),
    ("too_many_pins", 409, "the channel has the most pins allowed; unpin something first"),
    ("bot_deactivated", 409, "the bot is deactivated; reactivate it before giving it tokens"),
    ("too_many_hooks", 409, "the workspace has the most webhooks allowed; delete unused ones first"),
    ("already_pending", 409, "this webhook delivery is still being tried; redeliver it once it has finished"),
    ("command_taken", 409, "that slash command is built in or exists in this workspace"),
    ("too_many_commands", 409, "the workspace has the most slash commands allowed; delete unused ones first"),
    ("client_command", 400, "this built-in command is an action of the web client; call the REST route it uses"),
    ("hook_disabled", 409, "the outgoing webhook is turned off; turn it on before redelivering"),
    ("mail_not_parked", 409, "only a parked mail can be retried or discarded; this one is waiting or was sent"),
    ("job_not_failed", 409, "only a failed job can be retried or discarded; this one is waiting or running"),
    ("cannot_demote_self", 409, "administrators cannot take away their own role; ask another administrator"),
    ("guests_not_allowed", 409, "this workspace does not take guests; an administrator can allow them"),
    ("task_running", 409, "the same kind of task is already waiting or running; wait for it"),
    ("integration_disabled", 409, "an administrator turned this integration off"),
    ("account_deactivated", 409, "the account is deactivated; reactivate it first"),
    ("too_many_tokens", 409, "the account has the most API tokens allowed; revoke one first"),
    ("payload_too_large", 413, "the body exceeds the configured limit"),
    ("file_too_large", 413, "the upload exceeds files.max_upload_bytes; nothing was stored"),
    ("storage_quota_exceeded", 413, "the workspace's files would exceed its storage quota; delete some first"),
    ("missing_file", 400, "a multipart upload without a `file` part that has a file name"),
    ("malformed_multipart", 400, "the body is not valid multipart/form-data"),
    ("upload_expired", 400, "the upload streamed for over six hours and was swept; send it again"),
    ("malformed_body", 400, "the request body could not be read to its end"),
    ("already_uploaded", 409, "a Slack-style upload URL takes its bytes once; ask for a new one"),
    ("storage_unavailable", 503, "the file store cannot be reached; nothing was stored; retry"),
    ("unsupported_media_type", 415, "send application/json"),
    ("rate_limited", 429, "too many attempts; see Retry-After"),
    (
        "too_many_connections",
        429,
        "this address holds server.max_connections_per_ip connections already; the connection is closed",
    ),
    ("request_timeout", 408, "the body stopped arriving (server.body_idle_timeout_s) or took too long"),
    ("shutting_down", 503, "this node is stopping; retry (behind a load balancer another node answers)"),
    ("service_unavailable", 503, "a dependency (search, an identity provider) is down; retry"),
    (
        "database_unavailable",
        503,
        "the database cannot be reached; retry (answered within seconds, never after a long hang)",
    ),
    ("internal_error", 500, "a bug; the x-request-id header identifies it in the log"),
];

#[cfg(test)]
mod tests {
    use super::ERROR_CODES;

    #[test]
    fn docs_errors_md_lists_every_code_with_its_status() {
        let doc = include_str!("../docs/errors.md");
        for (code, status, _) in ERROR_CODES {
            let row = format!("| `{code}` | {status} |");
            assert!(doc.contains(&row), "docs/errors.md lacks the row {row}");
        }
    }
}
