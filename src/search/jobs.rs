//! Keeping the index current: a job per changed message, written in the message's own
//! transaction. The job reads the message as it is now, so it is idempotent and a
//! late or repeated run converges: deleted → removed, otherwise (re)indexed.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::Doc;
use crate::channels::model::channel;
use crate::error::AppResult;
use crate::files::model::file;
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::messages::model::message;
use crate::state::AppState;

pub const INDEX_MESSAGE: &str = "search.index_message";

pub fn register(registry: &mut JobRegistry) {
    registry.register(INDEX_MESSAGE, Arc::new(IndexMessage));
    super::meili::rebuild::register(registry);
}

/// Queues (re)indexing of a message; call inside the transaction that changed it.
pub async fn enqueue(conn: &impl ConnectionTrait, message_id: Uuid) -> AppResult<()> {
    queue::enqueue_all(conn, [job(message_id)]).await
}

/// The job that (re)indexes a message.
pub fn job(message_id: Uuid) -> queue::NewJob {
    queue::NewJob { kind: INDEX_MESSAGE, payload: json!({ "message_id": message_id }), max_attempts: 20, delay_ms: 0 }
}

#[derive(Deserialize)]
struct Payload {
    message_id: Uuid,
}

struct IndexMessage;

impl JobHandler for IndexMessage {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            let id = serde_json::from_value::<Payload>(payload)?.message_id;
            state.search.refresh(id).await
        })
    }

    fn batches(&self) -> bool {
        true
    }

    fn run_many(&self, state: AppState, payloads: Vec<serde_json::Value>) -> JobFuture {
        Box::pin(async move {
            let mut ids = Vec::with_capacity(payloads.len());
            for p in payloads {
                ids.push(serde_json::from_value::<Payload>(p)?.message_id);
            }
            state.search.refresh_many(&ids).await
        })
    }
}

/// A URL written out without Markdown link syntax still makes a message `has:link`.
fn has_bare_url(text: &str) -> bool {
    text.split_whitespace().any(|w| {
        let w = w.trim_start_matches(['(', '<', '[']);
        (w.starts_with("https://") || w.starts_with("http://")) && w.len() > "https://".len()
    })
}

/// Documents for a batch of messages (deleted ones are skipped), with two queries.
pub async fn documents(conn: &impl ConnectionTrait, msgs: &[message::Model]) -> anyhow::Result<Vec<Doc>> {
    let live: Vec<&message::Model> = msgs.iter().filter(|m| m.deleted_at.is_none()).collect();
    if live.is_empty() {
        return Ok(Vec::new());
    }
    let channel_ids: HashSet<Uuid> = live.iter().map(|m| m.channel_id).collect();
    let workspaces: HashMap<Uuid, Uuid> = channel::Entity::find()
        .filter(channel::Column::Id.is_in(channel_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.workspace_id))
        .collect();
    let mut names: HashMap<Uuid, Vec<String>> = HashMap::new();
    let files = file::Entity::find()
        .filter(file::Column::MessageId.is_in(live.iter().map(|m| m.id)))
        .filter(file::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    for f in files {
        if let Some(m) = f.message_id {
            names.entry(m).or_default().push(f.name);
        }
    }
    Ok(live
        .into_iter()
        .filter_map(|m| {
            let workspace_id = *workspaces.get(&m.channel_id)?;
            let file_names = names.remove(&m.id).unwrap_or_default();
            Some(Doc {
                message_id: m.id,
                workspace_id,
                channel_id: m.channel_id,
                author_id: m.author_id,
                created_at: m.created_at,
                is_thread: m.thread_root_id.is_some() || m.reply_count > 0,
                has_file: !file_names.is_empty(),
                has_link: m.body_html.contains("<a ") || has_bare_url(&m.body),
                // An integration's cards are searched with the message they hang from.
                text: match m.attachments.as_deref() {
                    Some(cards) => format!("{}\n{}", m.body, crate::messages::cards::searchable_text(Some(cards))),
                    None => m.body.clone(),
                },
                file_names,
            })
        })
        .collect())
}
