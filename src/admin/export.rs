//! Compliance export: every message of a workspace, a channel or a person over a date
//! range as JSON Lines — with when it was edited and deleted, its reactions, and its
//! files with their SHA-256 — written to the file store a batch at a time and kept for
//! the requesting administrator for a day.
//!
//! An edited message carries its earlier texts (`edits`, oldest first, each with when it
//! was written and when it was replaced); a deleted one is a tombstone (its `deleted_at`,
//! no text, no earlier texts: deleting a message forgets them too).
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::tasks::{model as task, Finished};
use crate::accounts::model::user;
use crate::channels::model::channel;
use crate::clock::{now_ms, opt_rfc3339, parse_time_or_day, rfc3339};
use crate::error::{AppError, AppResult};
use crate::files::model::file;
use crate::messages::model::{message, reaction};
use crate::search::reindex::Counter;
use crate::state::AppState;

const BATCH: u64 = 500;
/// How long a finished export can be downloaded.
pub const KEEP_MS: i64 = 24 * 3_600_000;

/// What to export, as asked.
#[derive(Deserialize, Serialize, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// `workspace`, `channel` or `person` (the messages they wrote).
    pub scope: String,
    /// The workspace's, channel's or person's id.
    pub id: Uuid,
    /// From this time on: RFC 3339, or a day (YYYY-MM-DD, UTC). Everything when absent.
    pub since: Option<String>,
    /// Before this time: RFC 3339, or a day (its start). Up to now when absent.
    pub until: Option<String>,
}

/// The request checked: the scope exists, the dates parse.
pub async fn check(db: &crate::db::Db, r: &ExportRequest) -> AppResult<()> {
    let conn = &db.conn;
    let exists = match r.scope.as_str() {
        "workspace" => crate::workspaces::model::workspace::Entity::find_by_id(r.id).one(conn).await?.is_some(),
        "channel" => channel::Entity::find_by_id(r.id).one(conn).await?.is_some(),
        "person" => user::Entity::find_by_id(r.id).one(conn).await?.is_some(),
        _ => return Err(AppError::invalid("scope", "workspace, channel or person")),
    };
    if !exists {
        return Err(AppError::NotFound(match r.scope.as_str() {
            "workspace" => "workspace",
            "channel" => "channel",
            _ => "user",
        }));
    }
    range(r).map(|_| ())
}

fn range(r: &ExportRequest) -> AppResult<(Option<i64>, Option<i64>)> {
    let parse = |v: &Option<String>, field: &'static str| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                parse_time_or_day(s).ok_or_else(|| AppError::invalid(field, "an RFC 3339 time or a day (YYYY-MM-DD)"))
            })
            .transpose()
    };
    Ok((parse(&r.since, "since")?, parse(&r.until, "until")?))
}

fn scope(r: &ExportRequest) -> AppResult<Condition> {
    let (since, until) = range(r)?;
    let mut c = Condition::all();
    c = match r.scope.as_str() {
        "workspace" => c.add(
            message::Column::ChannelId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(channel::Column::Id)
                    .from(channel::Entity)
                    .and_where(channel::Column::WorkspaceId.eq(r.id))
                    .to_owned(),
            ),
        ),
        "channel" => c.add(message::Column::ChannelId.eq(r.id)),
        "person" => c.add(message::Column::AuthorId.eq(r.id)),
        _ => return Err(AppError::invalid("scope", "workspace, channel or person")),
    };
    if let Some(s) = since {
        c = c.add(message::Column::CreatedAt.gte(s));
    }
    if let Some(u) = until {
        c = c.add(message::Column::CreatedAt.lt(u));
    }
    Ok(c)
}

#[derive(Serialize)]
struct FileLine {
    id: Uuid,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
}

#[derive(Serialize)]
struct EditLine {
    /// The Markdown as it read before this edit.
    text: String,
    written_at: String,
    replaced_at: String,
}

#[derive(Serialize)]
struct ReactionLine {
    emoji: String,
    user_id: Uuid,
    username: Option<String>,
}

#[derive(Serialize)]
struct MessageLine {
    id: Uuid,
    workspace_id: Uuid,
    channel_id: Uuid,
    channel: Option<String>,
    channel_kind: String,
    seq: i64,
    thread_root_id: Option<Uuid>,
    author_id: Uuid,
    author: Option<String>,
    created_at: String,
    edited_at: Option<String>,
    deleted_at: Option<String>,
    /// The Markdown as it reads now; empty once deleted.
    text: String,
    /// Its earlier texts, oldest first.
    edits: Vec<EditLine>,
    reactions: Vec<ReactionLine>,
    files: Vec<FileLine>,
}

/// One batch as JSON Lines.
async fn lines(state: &AppState, batch: &[message::Model]) -> AppResult<Vec<u8>> {
    let conn = &state.db.conn;
    let ids: Vec<Uuid> = batch.iter().map(|m| m.id).collect();
    let mut channel_ids: Vec<Uuid> = batch.iter().map(|m| m.channel_id).collect();
    channel_ids.sort_unstable();
    channel_ids.dedup();
    let channels: HashMap<Uuid, channel::Model> = channel::Entity::find()
        .filter(channel::Column::Id.is_in(channel_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let reactions = reaction::Entity::find()
        .filter(reaction::Column::MessageId.is_in(ids.clone()))
        .order_by_asc(reaction::Column::CreatedAt)
        .all(conn)
        .await?;
    let mut revisions = crate::messages::revisions::of_messages(conn, &ids).await?;
    let files = file::Entity::find()
        .filter(file::Column::MessageId.is_in(ids))
        .filter(file::Column::State.eq(file::READY))
        .all(conn)
        .await?;
    let mut people: Vec<Uuid> = batch.iter().map(|m| m.author_id).chain(reactions.iter().map(|r| r.user_id)).collect();
    people.sort_unstable();
    people.dedup();
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(people))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut out = Vec::new();
    for m in batch {
        let c = channels.get(&m.channel_id);
        let line = MessageLine {
            id: m.id,
            workspace_id: c.map(|c| c.workspace_id).unwrap_or_default(),
            channel_id: m.channel_id,
            channel: c.and_then(|c| c.name.clone()),
            channel_kind: c.map(|c| c.kind.clone()).unwrap_or_default(),
            seq: m.seq,
            thread_root_id: m.thread_root_id,
            author_id: m.author_id,
            author: names.get(&m.author_id).cloned(),
            created_at: rfc3339(m.created_at),
            edited_at: opt_rfc3339(m.edited_at),
            deleted_at: opt_rfc3339(m.deleted_at),
            text: m.body.clone(),
            edits: revisions
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|r| EditLine {
                    text: r.body,
                    written_at: rfc3339(r.written_at),
                    replaced_at: rfc3339(r.replaced_at),
                })
                .collect(),
            reactions: reactions
                .iter()
                .filter(|r| r.message_id == m.id)
                .map(|r| ReactionLine {
                    emoji: r.emoji.clone(),
                    user_id: r.user_id,
                    username: names.get(&r.user_id).cloned(),
                })
                .collect(),
            files: files
                .iter()
                .filter(|f| f.message_id == Some(m.id))
                .map(|f| FileLine {
                    id: f.id,
                    name: f.name.clone(),
                    content_type: f.content_type.clone(),
                    size: f.size,
                    sha256: f.sha256.clone(),
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &line).map_err(anyhow::Error::from)?;
        out.push(b'\n');
    }
    Ok(out)
}

pub fn file_key(task_id: Uuid) -> String {
    format!("exports/{task_id}.jsonl")
}

/// Runs an export task: writes the file, answers what it holds.
pub async fn run(state: &AppState, t: &task::Model, counter: Arc<Counter>) -> AppResult<Finished> {
    let request: ExportRequest = serde_json::from_str(&t.params).map_err(anyhow::Error::from)?;
    let cond = scope(&request)?;
    let conn = &state.db.conn;
    let total = message::Entity::find().filter(cond.clone()).count(conn).await?;
    counter.total.store(total, Ordering::Relaxed);
    let key = file_key(t.id);
    let mut writer = state.blobs.start(&key).await.map_err(|e| anyhow::anyhow!("the file store: {e}"))?;
    let mut digest = Sha256::new();
    let (mut bytes, mut done, mut after) = (0u64, 0u64, None::<Uuid>);
    loop {
        let mut page = message::Entity::find().filter(cond.clone()).order_by_asc(message::Column::Id).limit(BATCH);
        if let Some(a) = after {
            page = page.filter(message::Column::Id.gt(a));
        }
        let batch = page.all(conn).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let chunk = lines(state, &batch).await?;
        digest.update(&chunk);
        bytes += chunk.len() as u64;
        if let Err(e) = writer.write(Bytes::from(chunk)).await {
            writer.abort().await;
            return Err(anyhow::anyhow!("writing the export: {e}").into());
        }
        done += batch.len() as u64;
        counter.done.store(done, Ordering::Relaxed);
    }
    writer.finish().await.map_err(|e| anyhow::anyhow!("finishing the export: {e}"))?;
    let result = serde_json::json!({
        "file": key, "messages": done, "bytes": bytes, "sha256": format!("{:x}", digest.finalize()),
    });
    Ok(Finished { result: Some(result), expires_at: Some(now_ms() + KEEP_MS) })
}

/// Deletes the files of exports whose day is over (their rows stay, marked expired, in
/// the audit trail of what was exported). Answers how many.
pub async fn expire(state: &AppState) -> AppResult<u64> {
    use sea_orm::ActiveModelTrait;
    let due = task::Entity::find()
        .filter(task::Column::Kind.eq(super::tasks::COMPLIANCE_EXPORT))
        .filter(task::Column::ExpiresAt.lte(now_ms()))
        .filter(task::Column::Result.is_not_null())
        .all(&state.db.conn)
        .await?;
    let mut n = 0;
    for t in due {
        state.blobs.delete(&file_key(t.id)).await.map_err(|e| anyhow::anyhow!("deleting an expired export: {e}"))?;
        let tx = state.db.write().await?;
        let mut am: task::ActiveModel = t.into();
        am.result = sea_orm::Set(None);
        am.update(&*tx).await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}
