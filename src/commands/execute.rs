//! Running a slash command typed in a channel. Built-ins answer here; a custom command's
//! URL gets Slack's form fields (team, channel, user, command, text, `trigger_id`,
//! `response_url`), signed like outgoing webhooks, through the guarded outbound client.
//! Its answer — now, or later through the `response_url` (30 minutes, 5 uses) — is
//! `in_channel` (posted as the command) or `ephemeral` (only the caller sees it).
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::builtin::{message_text, Runs, BUILTINS};
use super::model::{command, response};
use super::service;
use crate::access::ChannelAccess;
use crate::accounts::model::user;
use crate::auth::secret_token;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::messages::cards::{AppPost, AppView};
use crate::messages::service::{self as messages, NewMessage};
use crate::messages::view::MessageView;
use crate::outbound::OutboundRequest;
use crate::realtime::ephemeral::Ephemeral;
use crate::state::AppState;
use crate::webhooks::outgoing::signing;

pub const RESPONSE_URL_TTL_MS: i64 = 30 * 60 * 1000;
pub const RESPONSE_URL_USES: i32 = 5;
pub const RESPONSE_TOKEN_PREFIX: &str = "cmdr_";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invocation {
    /// `/deploy` (or `deploy`).
    pub command: String,
    /// What follows the command.
    #[serde(default)]
    pub text: String,
    /// Run in this thread: answers go there.
    pub thread_root_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommandResult {
    /// `in_channel` (`message` was posted), `ephemeral` (`ephemeral` is for you only,
    /// not stored) or `none`.
    pub response_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ephemeral: Option<serde_json::Value>,
}

impl CommandResult {
    fn none() -> Self {
        Self { response_type: "none", message: None, ephemeral: None }
    }
    fn posted(m: MessageView) -> Self {
        Self { response_type: "in_channel", message: Some(m), ephemeral: None }
    }
    fn private(v: serde_json::Value) -> Self {
        Self { response_type: "ephemeral", message: None, ephemeral: Some(v) }
    }
}

/// Where an answer goes: who ran the command, in which channel (and thread).
pub struct Caller<'a> {
    pub user: &'a user::Model,
    pub access: &'a ChannelAccess,
    pub thread_root_id: Option<Uuid>,
}

impl Caller<'_> {
    fn note(&self, text: String) -> Ephemeral {
        Ephemeral {
            workspace_id: self.access.channel.workspace_id,
            channel_id: self.access.channel.id,
            thread_root_id: self.thread_root_id,
            user_id: self.user.id,
            author_id: None,
            text,
            app: None,
            cards: Vec::new(),
        }
    }
}

pub async fn run(state: &AppState, caller: &Caller<'_>, inv: &Invocation) -> AppResult<CommandResult> {
    let name = service::normal_name(&inv.command).ok_or_else(|| AppError::invalid("command", "not a command name"))?;
    if let Some(b) = BUILTINS.iter().find(|b| b.name == name) {
        return match (b.runs, message_text(b.name, &inv.text)) {
            (Runs::Server, Some(text)) => {
                let new = NewMessage {
                    text,
                    client_msg_id: None,
                    thread_root_id: caller.thread_root_id,
                    file_ids: vec![],
                    app: None,
                };
                let (view, _) =
                    messages::post(&state.db, caller.access, caller.user, new, state.settings.limits.message_chars)
                        .await?;
                Ok(CommandResult::posted(view))
            }
            (Runs::Server, None) if b.name == "help" => {
                Ok(CommandResult::private(caller.note(help(state, caller).await?).view()))
            }
            (Runs::Server, None) => Err(AppError::invalid("text", format!("usage: /{} {}", b.name, b.usage_hint))),
            (Runs::Client, _) => Err(AppError::bad_request(
                "client_command",
                format!("/{} is an action of the web client; its REST route does the same", b.name),
            )),
        };
    }
    let cmd = service::by_name(&state.db.conn, caller.access.channel.workspace_id, &name)
        .await?
        .ok_or(AppError::NotFound("command"))?;
    // Turned off (by an administrator): its identity is deactivated, and it is not called.
    let identity = user::Entity::find_by_id(cmd.bot_user_id).one(&state.db.conn).await?;
    if identity.is_none_or(|u| u.deactivated_at.is_some()) {
        return Err(AppError::conflict("integration_disabled", "this command is turned off"));
    }
    call(state, caller, &cmd, &inv.text).await
}

async fn help(state: &AppState, caller: &Caller<'_>) -> AppResult<String> {
    let line = |name: &str, hint: &str, about: &str| {
        let usage = format!("/{name} {}", hint.replace('`', "")).trim_end().to_owned();
        format!("- `{usage}` — {}", integrations::markdown::escape(about))
    };
    let mut lines = vec!["**Commands you can use here**".to_owned()];
    lines.extend(BUILTINS.iter().map(|b| line(b.name, b.usage_hint, b.description)));
    for c in service::list(&state.db.conn, caller.access.channel.workspace_id).await? {
        let about = if c.description.is_empty() { "a command of this workspace" } else { c.description.as_str() };
        lines.push(line(&c.name, &c.usage_hint, about));
    }
    Ok(lines.join("\n"))
}

async fn response_url(state: &AppState, caller: &Caller<'_>, cmd: &command::Model) -> AppResult<String> {
    let token = secret_token::generate(RESPONSE_TOKEN_PREFIX);
    response::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(secret_token::hash(&token)),
        command_id: Set(cmd.id),
        user_id: Set(caller.user.id),
        channel_id: Set(caller.access.channel.id),
        thread_root_id: Set(caller.thread_root_id),
        uses_left: Set(RESPONSE_URL_USES),
        expires_at: Set(now_ms() + RESPONSE_URL_TTL_MS),
    }
    .insert(&state.db.conn)
    .await?;
    Ok(format!("{}/commands/respond/{token}", state.settings.server.site_url.trim_end_matches('/')))
}

/// Slack's slash-command fields.
async fn fields(
    state: &AppState,
    caller: &Caller<'_>,
    cmd: &command::Model,
    text: &str,
) -> AppResult<Vec<(&'static str, String)>> {
    let ws = crate::workspaces::model::workspace::Entity::find_by_id(cmd.workspace_id)
        .one(&state.db.conn)
        .await?
        .ok_or(AppError::NotFound("workspace"))?;
    let channel = &caller.access.channel;
    Ok(vec![
        ("team_id", ws.id.to_string()),
        ("team_domain", ws.slug.clone()),
        ("channel_id", channel.id.to_string()),
        ("channel_name", channel.name.clone().unwrap_or_else(|| "directmessage".into())),
        ("user_id", caller.user.id.to_string()),
        ("user_name", caller.user.username.clone()),
        ("command", format!("/{}", cmd.name)),
        ("text", text.to_owned()),
        ("api_app_id", cmd.id.to_string()),
        ("response_url", response_url(state, caller, cmd).await?),
        ("trigger_id", format!("{}.{}", now_ms(), Uuid::now_v7().simple())),
        ("thread_ts", caller.thread_root_id.map(|t| t.to_string()).unwrap_or_default()),
    ])
}

async fn call(state: &AppState, caller: &Caller<'_>, cmd: &command::Model, text: &str) -> AppResult<CommandResult> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields(state, caller, cmd, text).await?)
        .finish();
    let (url, body) = if cmd.method == "GET" {
        let sep = if cmd.url.contains('?') { '&' } else { '?' };
        (format!("{}{sep}{form}", cmd.url), Vec::new())
    } else {
        (cmd.url.clone(), form.into_bytes())
    };
    let key = signing::open_key(&state.sealer, &service::secret_context(cmd.id), &cmd.secret_sealed)?;
    let id = format!("msg_{}", Uuid::now_v7().simple());
    let timestamp = now_ms() / 1000;
    let request = OutboundRequest {
        method: if cmd.method == "GET" { Method::GET } else { Method::POST },
        url,
        headers: vec![
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("user-agent".into(), concat!("Parley-Commands/", env!("CARGO_PKG_VERSION")).into()),
            ("webhook-id".into(), id.clone()),
            ("webhook-timestamp".into(), timestamp.to_string()),
            ("webhook-signature".into(), signing::signature_header(&[key], &id, timestamp, &body)),
        ],
        body: (!body.is_empty()).then_some(body),
    };
    service::touch(&state.db.conn, cmd).await?;
    let failed =
        |why: String| Ok(CommandResult::private(caller.note(format!("`/{}` did not work: {why}", cmd.name)).view()));
    let resp = match state.outbound.send(request).await {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(command = %cmd.name, error = %e, "a slash command's server did not answer");
            return failed(e.to_string());
        }
    };
    if !(200..300).contains(&resp.status) {
        return failed(format!("its server answered {}", resp.status));
    }
    let answer = match serde_json::from_slice::<serde_json::Value>(&resp.body) {
        Ok(v) if v.is_object() => v,
        _ => serde_json::json!({"text": String::from_utf8_lossy(&resp.body).trim()}),
    };
    answer_with(state, caller, cmd, &answer, false).await
}

/// Applies a command server's answer: posted as the command when `in_channel`,
/// otherwise shown to the caller only — returned (an immediate answer) or sent to
/// their sockets (`deferred`, through the `response_url`).
pub async fn answer_with(
    state: &AppState,
    caller: &Caller<'_>,
    cmd: &command::Model,
    answer: &serde_json::Value,
    deferred: bool,
) -> AppResult<CommandResult> {
    let in_channel = answer.get("response_type").and_then(|t| t.as_str()) == Some("in_channel");
    let mut payload = answer.clone();
    if let Some(obj) = payload.as_object_mut() {
        for k in ["channel", "response_type", "replace_original", "delete_original", "username", "icon_url"] {
            obj.remove(k);
        }
    }
    let Ok(msg) = integrations::convert_value(integrations::Source::Slack, &[], &payload) else {
        return Ok(CommandResult::none());
    };
    if msg.text.trim().is_empty() && msg.attachments.is_empty() {
        return Ok(CommandResult::none());
    }
    let name = format!("/{}", cmd.name);
    if in_channel {
        let author = user::Entity::find_by_id(cmd.bot_user_id)
            .one(&state.db.conn)
            .await?
            .filter(|u| u.deactivated_at.is_none())
            .ok_or(AppError::NotFound("command"))?;
        let app = AppPost::from_message(&msg, &name, None);
        let new = NewMessage {
            text: msg.text,
            client_msg_id: None,
            thread_root_id: caller.thread_root_id,
            file_ids: vec![],
            app: Some(app),
        };
        let (view, _) =
            messages::post(&state.db, caller.access, &author, new, state.settings.limits.message_chars).await?;
        return Ok(CommandResult::posted(view));
    }
    let cards = AppPost::from_message(&msg, &name, None).cards;
    let note = Ephemeral {
        author_id: Some(cmd.bot_user_id),
        app: Some(AppView { name, icon_url: None, icon_emoji: None }),
        cards,
        text: msg.text,
        ..caller.note(String::new())
    };
    Ok(CommandResult::private(if deferred { note.send(&state.realtime.bus) } else { note.view() }))
}

/// Takes one use of a response URL; None if it is unknown, used up or expired.
pub async fn take_response_url(conn: &impl ConnectionTrait, token: &str) -> AppResult<Option<response::Model>> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, QueryFilter};
    let hash = secret_token::hash(token);
    let Some(r) = response::Entity::find().filter(response::Column::TokenHash.eq(hash)).one(conn).await? else {
        return Ok(None);
    };
    let taken = response::Entity::update_many()
        .col_expr(response::Column::UsesLeft, Expr::col(response::Column::UsesLeft).sub(1))
        .filter(response::Column::Id.eq(r.id))
        .filter(response::Column::UsesLeft.gt(0))
        .filter(response::Column::ExpiresAt.gt(now_ms()))
        .exec(conn)
        .await?;
    Ok((taken.rows_affected == 1).then_some(r))
}
