//! A subset of the Slack Web API under `/slack/api/{method}`, so the scripts and bots a
//! team already has run unchanged against Parley with a Parley bot token: Slack's
//! envelope (`{"ok":true,…}` / `{"ok":false,"error":"channel_not_found"}`), Slack-style
//! ids (ids.rs), arguments as JSON, form or query. Every method goes through the same
//! permission checks and services as the REST API. docs/integrations.md lists what is
//! supported.
pub mod args;
mod chat;
mod conversations;
pub mod ids;
mod people;
pub mod shape;
pub mod uploads;

use actix_web::{route, web, HttpRequest, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::{self, ChannelAccess, Need};
use crate::accounts::model::user;
use crate::bots::model::bot;
use crate::bots::scopes::{self, BotAccess, Scope};
use crate::channels::model::channel;
use crate::error::AppError;
use crate::state::AppState;
use crate::workspaces::model::member as ws_member;
use args::Args;

/// A Slack error name, answered as `{"ok":false,"error":name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlackError(pub &'static str);

impl From<sea_orm::DbErr> for SlackError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for SlackError {
    fn from(e: AppError) -> Self {
        SlackError(match e {
            AppError::NotFound("channel" | "workspace") => "channel_not_found",
            AppError::NotFound("message" | "thread_root") => "message_not_found",
            AppError::NotFound("user" | "member") => "user_not_found",
            AppError::NotFound("reaction") => "no_reaction",
            AppError::NotFound(_) => "not_found",
            AppError::Forbidden { code: "not_channel_member", .. } => "not_in_channel",
            AppError::Forbidden { code: "missing_scope", .. } => "missing_scope",
            AppError::Forbidden { .. } => "restricted_action",
            AppError::Conflict { code: "channel_archived" | "workspace_archived", .. } => "is_archived",
            AppError::Conflict { .. } => "invalid_arguments",
            AppError::Invalid { field: "text", reason } if reason.contains("empty") => "no_text",
            AppError::Invalid { field: "text", .. } => "msg_too_long",
            AppError::Invalid { field: "emoji", .. } => "invalid_name",
            AppError::Invalid { .. } | AppError::BadRequest { .. } => "invalid_arguments",
            AppError::Unauthenticated | AppError::BadCredentials => "invalid_auth",
            AppError::RateLimited { .. } => "ratelimited",
            AppError::TooLarge { code: "storage_quota_exceeded", .. } => "storage_quota_exceeded",
            AppError::TooLarge { .. } => "file_too_large",
            AppError::Unavailable(_) | AppError::DatabaseUnavailable | AppError::StorageUnavailable => {
                "service_unavailable"
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "slack api call failed");
                "internal_error"
            }
            _ => "invalid_arguments",
        })
    }
}

pub type SlackResult = Result<Value, SlackError>;

/// Who is calling: a bot (with its workspace and scopes) or a person with a token.
pub struct Caller {
    pub user: user::Model,
    pub scopes: Option<String>,
    /// A bot's workspace; None for a person.
    pub bot_workspace: Option<Uuid>,
}

impl Caller {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    /// The workspaces whose channels a name may refer to.
    async fn workspaces(&self, state: &AppState) -> Result<Vec<Uuid>, SlackError> {
        if let Some(ws) = self.bot_workspace {
            return Ok(vec![ws]);
        }
        Ok(ws_member::Entity::find()
            .filter(ws_member::Column::UserId.eq(self.id()))
            .filter(ws_member::Column::DeactivatedAt.is_null())
            .all(&state.db.conn)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|m| m.workspace_id)
            .collect())
    }

    /// The id of a channel named by Slack id, UUID, `#name` or `name` (not yet checked).
    pub async fn channel_id(&self, state: &AppState, named: &str) -> Result<Uuid, SlackError> {
        if let Some(id) = ids::decode('C', named).or_else(|| ids::decode('G', named)) {
            return Ok(id);
        }
        let name = named.trim_start_matches('#').to_lowercase();
        let found = channel::Entity::find()
            .filter(channel::Column::Name.eq(name))
            .filter(channel::Column::WorkspaceId.is_in(self.workspaces(state).await?))
            .one(&state.db.conn)
            .await
            .map_err(AppError::from)?;
        Ok(found.ok_or(SlackError("channel_not_found"))?.id)
    }

    /// A channel named as `channel_id` reads it, checked for `need`.
    pub async fn channel(&self, state: &AppState, named: &str, need: Need) -> Result<ChannelAccess, SlackError> {
        let id = self.channel_id(state, named).await?;
        Ok(access::channel(&state.db, self.id(), id, need).await?)
    }
}

async fn caller(state: &AppState, token: Option<&str>) -> Result<Caller, SlackError> {
    let token = token.ok_or(SlackError("not_authed"))?;
    let conn = &state.db.conn;
    let t = state.credentials.token(&state.db, token).await?.ok_or(SlackError("invalid_auth"))?;
    let u = t.user;
    if u.deactivated_at.is_some() {
        return Err(SlackError("account_inactive"));
    }
    let bot_workspace = if u.is_bot {
        bot::Entity::find_by_id(u.id).one(conn).await.map_err(AppError::from)?.map(|b| b.workspace_id)
    } else {
        None
    };
    Ok(Caller { user: u, scopes: t.scopes, bot_workspace })
}

/// The scope each supported method needs (None: unknown method).
fn needs(method: &str) -> Option<BotAccess> {
    use BotAccess::{Any, Needs};
    Some(match method {
        "auth.test" => Any,
        "chat.postMessage" | "chat.update" | "chat.delete" | "chat.postEphemeral" => Needs(Scope::ChatWrite),
        "reactions.add" | "reactions.remove" => Needs(Scope::ReactionsWrite),
        "conversations.list" | "conversations.info" | "conversations.members" => Needs(Scope::ChannelsRead),
        "conversations.history" | "conversations.replies" => Needs(Scope::ChannelsHistory),
        "conversations.join" => Needs(Scope::ChannelsManage),
        "users.info" | "users.list" => Needs(Scope::UsersRead),
        "files.getUploadURLExternal" | "files.completeUploadExternal" => Needs(Scope::FilesWrite),
        _ => return None,
    })
}

/// Runs a method; on `missing_scope`, `provided` gets the token's scopes (Slack says so).
async fn call(
    state: &AppState,
    req: &HttpRequest,
    method: &str,
    body: &[u8],
    provided: &mut Option<String>,
) -> SlackResult {
    let access = needs(method).ok_or(SlackError("unknown_method"))?;
    let args = Args::parse(req, body)?;
    let who = caller(state, args.token.as_deref()).await?;
    if scopes::check(who.scopes.as_deref(), access).is_err() {
        *provided = who.scopes.map(|s| s.replace(' ', ","));
        return Err(SlackError("missing_scope"));
    }
    match method {
        "auth.test" => people::auth_test(state, &who).await,
        "chat.postMessage" => chat::post_message(state, &who, &args).await,
        "chat.update" => chat::update(state, &who, &args).await,
        "chat.delete" => chat::delete(state, &who, &args).await,
        "chat.postEphemeral" => chat::post_ephemeral(state, &who, &args).await,
        "reactions.add" => people::react(state, &who, &args, true).await,
        "reactions.remove" => people::react(state, &who, &args, false).await,
        "conversations.list" => conversations::list(state, &who, &args).await,
        "conversations.info" => conversations::info(state, &who, &args).await,
        "conversations.members" => conversations::members(state, &who, &args).await,
        "conversations.history" => conversations::history(state, &who, &args).await,
        "conversations.replies" => conversations::replies(state, &who, &args).await,
        "conversations.join" => conversations::join(state, &who, &args).await,
        "users.info" => people::user_info(state, &who, &args).await,
        "users.list" => people::users_list(state, &who).await,
        "files.getUploadURLExternal" => uploads::get_upload_url(state, &who, &args).await,
        "files.completeUploadExternal" => uploads::complete(state, &who, &args).await,
        _ => Err(SlackError("unknown_method")),
    }
}

fn envelope(result: SlackResult, needed: Option<&str>, provided: Option<&str>) -> HttpResponse {
    match result {
        Ok(mut v) => {
            v["ok"] = json!(true);
            HttpResponse::Ok().json(v)
        }
        Err(SlackError("ratelimited")) => HttpResponse::TooManyRequests()
            .insert_header(("retry-after", "5"))
            .json(json!({"ok": false, "error": "ratelimited"})),
        Err(SlackError(e)) => {
            let mut v = json!({"ok": false, "error": e});
            if e == "missing_scope" {
                v["needed"] = json!(needed);
                v["provided"] = json!(provided);
            }
            HttpResponse::Ok().json(v)
        }
    }
}

/// The most a method's arguments may take.
const BODY_LIMIT: usize = 256 * 1024;

/// A Slack Web API method (see docs/integrations.md for the supported ones).
#[utoipa::path(method(get, post), path = "/slack/api/{method}", tag = "integrations", params(("method" = String, Path, description = "e.g. chat.postMessage")),
    request_body(content = Object, description = "the method's arguments: JSON, a form, or the query string"),
    responses((status = 200, description = "Slack's envelope: {\"ok\":true,…} or {\"ok\":false,\"error\":…}"),
              (status = 429, description = "ratelimited")))]
#[route("/slack/api/{method}", method = "GET", method = "POST")]
pub async fn web_api(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let mut provided = None;
    let result = match crate::edge::body::collect(payload, BODY_LIMIT).await {
        Ok(body) => call(&state, &req, &path, &body, &mut provided).await,
        Err(crate::edge::body::Unread::TooLarge) => Err(SlackError("request_too_large")),
        Err(crate::edge::body::Unread::Refused) => Err(SlackError("invalid_form_data")),
    };
    let needed = match needs(&path) {
        Some(BotAccess::Needs(s)) => Some(s.as_str()),
        _ => None,
    };
    envelope(result, needed, provided.as_deref())
}
