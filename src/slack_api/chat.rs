//! chat.postMessage, chat.update, chat.delete, chat.postEphemeral.
use integrations::Source;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use super::args::Args;
use super::{ids, shape, Caller, SlackError, SlackResult};
use crate::access::{ChannelAccess, Need};
use crate::accounts::model::user;

use crate::error::AppError;
use crate::messages::cards::AppPost;
use crate::messages::model::message;
use crate::messages::service::{self as messages, NewMessage};

use crate::state::AppState;

/// `<@U…>` written by a Slack bot names a Parley user: give it the username, so the
/// converter writes `@username` and the mention notifies.
async fn name_mentions(conn: &impl ConnectionTrait, text: &str) -> Result<String, SlackError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &after[..end];
        let id = inner.split('|').next().unwrap_or_default();
        let found = match ids::decode('U', id) {
            Some(uid) => user::Entity::find_by_id(uid).one(conn).await.map_err(AppError::from)?,
            None => None,
        };
        match found {
            Some(u) => out.push_str(&format!("<@{id}|{}>", u.username)),
            None => out.push_str(&format!("<@{inner}>")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The message a Slack `ts` names in a channel.
pub async fn by_ts(
    conn: &impl ConnectionTrait,
    channel_id: Uuid,
    ts: Option<&str>,
) -> Result<message::Model, SlackError> {
    let seq = ts.and_then(ids::seq_of_ts).ok_or(SlackError("message_not_found"))?;
    message::Entity::find()
        .filter(message::Column::ChannelId.eq(channel_id))
        .filter(message::Column::Seq.eq(seq))
        .one(conn)
        .await
        .map_err(AppError::from)?
        .filter(|m| m.deleted_at.is_none())
        .ok_or(SlackError("message_not_found"))
}

/// The Slack payload among the arguments, converted the way an incoming hook's is.
async fn converted(state: &AppState, args: &Args) -> Result<integrations::Message, SlackError> {
    let mut payload = args.json();
    if let Some(text) = payload.get("text").and_then(Value::as_str).map(str::to_owned) {
        payload["text"] = json!(name_mentions(&state.db.conn, &text).await?);
    }
    // `channel` here is where to post, already resolved; not an override.
    if let Some(obj) = payload.as_object_mut() {
        obj.remove("channel");
        obj.remove("token");
    }
    integrations::convert_value(Source::Slack, &[], &payload).map_err(|e| match e {
        integrations::ConvertError::InvalidPayload(why) if why.starts_with("no_text") => SlackError("no_text"),
        integrations::ConvertError::InvalidPayload(why) if why.contains("characters") => SlackError("msg_too_long"),
        integrations::ConvertError::InvalidPayload(why) if why.contains("attachments") => {
            SlackError("too_many_attachments")
        }
        _ => SlackError("invalid_arguments"),
    })
}

fn respond(access: &ChannelAccess, view: &crate::messages::view::MessageView, root_ts: Option<&str>) -> Value {
    let shaped = shape::message(view, root_ts);
    json!({"channel": ids::channel(access.channel.id), "ts": shaped["ts"], "message": shaped})
}

pub async fn post_message(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let access = who.channel(state, args.required("channel")?, Need::Post).await?;
    let msg = converted(state, args).await?;
    let conn = &state.db.conn;
    let root = match args.ts("thread_ts") {
        Some(ts) => Some(by_ts(conn, access.channel.id, Some(&ts)).await?),
        None => None,
    };
    let root_id = root.as_ref().map(|r| r.thread_root_id.unwrap_or(r.id));
    let overrides = msg.username.is_some() || msg.icon_url.is_some() || msg.icon_emoji.is_some();
    let mut app = AppPost::from_message(&msg, &who.user.display_name, who.user.avatar_url.as_deref());
    if !overrides {
        app.app = None;
    }
    let new = NewMessage {
        text: msg.text,
        client_msg_id: None,
        thread_root_id: root_id,
        file_ids: Vec::new(),
        app: Some(app),
    };
    let (view, _) = messages::post(&state.db, &access, &who.user, new, state.settings.limits.message_chars).await?;
    let root_ts = match root_id {
        Some(id) => message::Entity::find_by_id(id)
            .one(conn)
            .await
            .map_err(AppError::from)?
            .map(|r| ids::ts(r.created_at, r.seq)),
        None => None,
    };
    Ok(respond(&access, &view, root_ts.as_deref()))
}

pub async fn update(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let access = who.channel(state, args.required("channel")?, Need::Read).await?;
    let m = by_ts(&state.db.conn, access.channel.id, args.ts("ts").as_deref()).await?;
    if m.author_id != who.id() {
        return Err(SlackError("cant_update_message"));
    }
    let msg = converted(state, args).await?;
    let view = messages::edit(&state.db, who.id(), m.id, msg.text, state.settings.limits.message_chars).await?;
    let shaped = shape::message(&view, None);
    Ok(json!({"channel": ids::channel(access.channel.id), "ts": shaped["ts"], "text": view.text, "message": shaped}))
}

pub async fn delete(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let access = who.channel(state, args.required("channel")?, Need::Read).await?;
    let ts = args.ts("ts");
    let m = by_ts(&state.db.conn, access.channel.id, ts.as_deref()).await?;
    match messages::delete(&state.db, who.id(), m.id).await {
        Ok(()) => Ok(json!({"channel": ids::channel(access.channel.id), "ts": ts})),
        Err(AppError::Forbidden { .. }) => Err(SlackError("cant_delete_message")),
        Err(e) => Err(e.into()),
    }
}

/// A message only `user` sees, now, on their open sockets; it is not stored.
pub async fn post_ephemeral(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let access = who.channel(state, args.required("channel")?, Need::Post).await?;
    let target = ids::decode('U', args.required("user")?).ok_or(SlackError("user_not_found"))?;
    let member = crate::channels::model::member::Entity::find_by_id((access.channel.id, target))
        .one(&state.db.conn)
        .await
        .map_err(AppError::from)?;
    if member.is_none() {
        return Err(SlackError("user_not_in_channel"));
    }
    let msg = converted(state, args).await?;
    let sent = crate::realtime::ephemeral::Ephemeral {
        workspace_id: access.channel.workspace_id,
        channel_id: access.channel.id,
        thread_root_id: None,
        user_id: target,
        author_id: Some(who.id()),
        text: msg.text,
        app: None,
        cards: Vec::new(),
    }
    .send(&state.realtime.bus);
    let ts = sent["ts"].clone();
    Ok(json!({"message_ts": ts}))
}
