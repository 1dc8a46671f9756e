//! A receiver may answer a delivery with a Slack-style message (`{"text": …}`, blocks
//! or attachments too): it is posted into the event's channel as the hook's identity,
//! in the thread the event happened in. What it says goes through the same converter
//! and Markdown sanitiser as an incoming webhook's post.
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::model::{delivery, hook};
use crate::access::{self, Need};
use crate::accounts::model::user;
use crate::error::{AppError, AppResult};
use crate::messages::cards::AppPost;
use crate::messages::service::{self as messages, NewMessage};
use crate::state::AppState;

/// The reply in an answer's body, if it is a JSON object that says something.
pub fn message_of(body: &[u8]) -> Option<integrations::Message> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    json.as_object()?;
    integrations::convert_value(integrations::Source::Slack, &[], &json)
        .ok()
        .filter(|m| !m.text.trim().is_empty() || !m.attachments.is_empty())
}

fn uuid_at(v: &serde_json::Value, key: &str) -> Option<Uuid> {
    v.get(key)?.as_str()?.parse().ok()
}

pub async fn post(state: &AppState, h: &hook::Model, d: &delivery::Model, msg: integrations::Message) -> AppResult<()> {
    let envelope: serde_json::Value = serde_json::from_str(&d.payload).unwrap_or_default();
    let Some(channel_id) = uuid_at(&envelope, "channel_id") else { return Ok(()) };
    let conn = &state.db.conn;
    let target = access::channel(conn, h.created_by, channel_id, Need::Post).await?;
    if target.channel.archived_at.is_some() || target.kind.is_conversation() {
        return Ok(());
    }
    let author = user::Entity::find_by_id(h.bot_user_id)
        .one(conn)
        .await?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or(AppError::NotFound("hook"))?;
    let thread_root_id = envelope.get("data").and_then(|data| uuid_at(data, "thread_root_id"));
    let app = AppPost::from_message(&msg, &h.name, None);
    let new = NewMessage {
        text: msg.text,
        // Posting the same delivery's reply twice yields one message.
        client_msg_id: Some(format!("whr-{}", d.id.simple())),
        thread_root_id,
        file_ids: Vec::new(),
        app: Some(app),
    };
    messages::post(&state.db, &target, &author, new, state.settings.limits.message_chars).await?;
    Ok(())
}
