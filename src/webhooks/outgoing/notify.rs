//! Telling a hook's creator it was turned off: a direct message from the workspace's
//! system bot, made the first time it is needed.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::hook;
use crate::access::{self, Need};
use crate::accounts::model::user;
use crate::bots::model::{bot, KIND_SYSTEM};
use crate::bots::service::{create_identity, Identity};
use crate::channels::conversations;
use crate::error::{AppError, AppResult};
use crate::messages::service::{self as messages, NewMessage};
use crate::state::AppState;

pub async fn hook_disabled(state: &AppState, h: &hook::Model, reason: &str) {
    let text = format!(
        "Your outgoing webhook **{}** was turned off: {reason}. Deliveries to {} have stopped; \
         check the receiver, then turn the hook back on from Integrations (its delivery log \
         shows every attempt).",
        integrations::markdown::escape(&h.name),
        integrations::markdown::escape(&h.url),
    );
    if let Err(e) = direct_message(state, h.workspace_id, h.created_by, text).await {
        tracing::warn!(hook_id = %h.id, error = %e, "could not tell a hook's creator it was turned off");
    }
}

async fn system_bot(conn: &impl ConnectionTrait, workspace_id: Uuid) -> AppResult<Option<Uuid>> {
    Ok(bot::Entity::find()
        .filter(bot::Column::WorkspaceId.eq(workspace_id))
        .filter(bot::Column::Kind.eq(KIND_SYSTEM))
        .one(conn)
        .await?
        .map(|b| b.user_id))
}

/// Sends `text` to `to` from the workspace's system bot.
pub async fn direct_message(state: &AppState, workspace_id: Uuid, to: Uuid, text: String) -> AppResult<()> {
    let tx = state.db.write().await?;
    let bot_id = match system_bot(&*tx, workspace_id).await? {
        Some(id) => id,
        None => {
            let username = format!("parley-{}", &workspace_id.simple().to_string()[20..]);
            let who = Identity {
                workspace_id,
                kind: KIND_SYSTEM,
                owner: to,
                username: &username,
                display_name: "Parley".into(),
                avatar_url: None,
                description: "Tells you about your integrations.".into(),
            };
            create_identity(&tx, who).await?.id
        }
    };
    let ws = access::workspace(&*tx, bot_id, workspace_id).await?;
    let conv = conversations::get_or_create(&*tx, &ws, bot_id, &[to]).await?;
    conversations::announce(&tx, workspace_id, &conv)?;
    tx.commit().await?;
    let target = access::channel(&state.db, bot_id, conv.view.id, Need::Post).await?;
    let author = user::Entity::find_by_id(bot_id).one(&state.db.conn).await?.ok_or(AppError::NotFound("user"))?;
    let new = NewMessage { text, client_msg_id: None, thread_root_id: None, file_ids: Vec::new(), app: None };
    messages::post(&state.db, &target, &author, new, state.settings.limits.message_chars).await?;
    Ok(())
}
