//! The rules for file rows: a pending row before the bytes, ready after; attaching to
//! a message; deleting (the blob goes later, by job); listing; the workspace quota.
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::jobs::{DISCARD, PURGE, THUMBNAIL};
use super::model::file;
use super::view::{self, FileView};
use crate::access::ChannelAccess;
use crate::clock::now_ms;
use crate::db::{Db, WriteTx};
use crate::error::{AppError, AppResult};
use crate::jobs::queue;
use crate::realtime::event::{kind, NewEvent};
use crate::workspaces::model::workspace;

/// A message carries at most this many files.
pub const MAX_ATTACHMENTS: usize = 10;
/// An upload that never finishes (the server died mid-stream) is swept after this long.
const DISCARD_AFTER_MS: i64 = 6 * 3600 * 1000;

/// Bytes of live files in a workspace.
pub async fn usage(conn: &impl ConnectionTrait, workspace_id: Uuid, except: Option<Uuid>) -> AppResult<i64> {
    let mut q = file::Entity::find()
        .select_only()
        // SUM of BIGINT is NUMERIC on PostgreSQL: cast it back.
        .column_as(Expr::col(file::Column::Size).sum().cast_as("BIGINT"), "total")
        .filter(file::Column::WorkspaceId.eq(workspace_id))
        .filter(file::Column::State.eq(file::READY))
        .filter(file::Column::DeletedAt.is_null());
    if let Some(id) = except {
        q = q.filter(file::Column::Id.ne(id));
    }
    let total: Option<Option<i64>> = q.into_tuple().one(conn).await?;
    Ok(total.flatten().unwrap_or(0))
}

/// The bytes a workspace may store: its own quota if an administrator set one, else the
/// server's (`files.workspace_quota_bytes`); 0 means no limit.
pub async fn quota(conn: &impl ConnectionTrait, server_default: u64, workspace_id: Uuid) -> AppResult<u64> {
    let own = workspace::Entity::find_by_id(workspace_id).one(conn).await?.and_then(|w| w.storage_quota_bytes);
    Ok(own.map_or(server_default, |q| u64::try_from(q).unwrap_or(0)))
}

pub fn quota_error() -> AppError {
    AppError::TooLarge {
        code: "storage_quota_exceeded",
        message: "the workspace has used its storage quota; delete files to make room".into(),
    }
}

/// Writes the pending row and the job that sweeps it if the upload never finishes.
pub async fn begin(db: &Db, access: &ChannelAccess, uploader: Uuid) -> AppResult<file::Model> {
    let id = Uuid::now_v7();
    let ws = access.channel.workspace_id;
    let tx = db.write().await?;
    let job = queue::enqueue(&*tx, DISCARD, &json!({ "file_id": id }), 5, DISCARD_AFTER_MS).await?;
    let row = file::ActiveModel {
        id: Set(id),
        workspace_id: Set(ws),
        channel_id: Set(access.channel.id),
        uploader_id: Set(uploader),
        message_id: Set(None),
        state: Set(file::PENDING.into()),
        name: Set(String::new()),
        content_type: Set(String::new()),
        size: Set(0),
        sha256: Set(String::new()),
        storage_key: Set(format!("ws/{}/{}", ws.simple(), id.simple())),
        width: Set(None),
        height: Set(None),
        thumb_state: Set(file::thumb::NONE.into()),
        thumb_width: Set(None),
        thumb_height: Set(None),
        thumb_content_type: Set(None),
        discard_job_id: Set(Some(job)),
        created_at: Set(now_ms()),
        deleted_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Removes a pending row and its sweeper job (the upload failed or was refused).
pub async fn abandon(db: &Db, pending: &file::Model) -> AppResult<()> {
    let tx = db.write().await?;
    file::Entity::delete_many()
        .filter(file::Column::Id.eq(pending.id))
        .filter(file::Column::State.eq(file::PENDING))
        .exec(&*tx)
        .await?;
    if let Some(job) = pending.discard_job_id {
        queue::finish(&*tx, &[job]).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub struct Received {
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub thumbnail: bool,
}

/// Marks the upload ready once its bytes are stored, re-checking the quota under the
/// workspace's row lock so two concurrent uploads cannot both squeeze under it.
pub async fn complete(db: &Db, pending: &file::Model, got: Received, quota: u64) -> AppResult<FileView> {
    let tx = db.write().await?;
    if quota > 0 {
        if db.backend() == DbBackend::Postgres {
            workspace::Entity::find_by_id(pending.workspace_id).lock(LockType::Update).one(&*tx).await?;
        }
        let used = usage(&*tx, pending.workspace_id, Some(pending.id)).await?;
        if u64::try_from(used.saturating_add(got.size)).unwrap_or(u64::MAX) > quota {
            return Err(quota_error());
        }
    }
    let thumb_state = if got.thumbnail { file::thumb::QUEUED } else { file::thumb::NONE };
    let mut am: file::ActiveModel = pending.clone().into();
    am.state = Set(file::READY.into());
    am.name = Set(got.name);
    am.content_type = Set(got.content_type);
    am.size = Set(got.size);
    am.sha256 = Set(got.sha256);
    am.thumb_state = Set(thumb_state.into());
    am.discard_job_id = Set(None);
    let ready = match am.update(&*tx).await {
        Ok(row) => row,
        // The sweeper removed a row that was still streaming after hours.
        Err(sea_orm::DbErr::RecordNotUpdated) => {
            return Err(AppError::bad_request("upload_expired", "the upload took too long; send it again"))
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(job) = pending.discard_job_id {
        queue::finish(&*tx, &[job]).await?;
    }
    if got.thumbnail {
        queue::enqueue(&*tx, THUMBNAIL, &json!({ "file_id": ready.id }), 5, 0).await?;
    }
    let view = view::build(&ready);
    emit(&tx, kind::FILE_CREATED, &ready, serde_json::to_value(&view).map_err(anyhow::Error::from)?);
    tx.commit().await?;
    Ok(view)
}

/// What a `file.deleted` event says.
pub fn deleted_data(f: &file::Model) -> serde_json::Value {
    json!({"id": f.id, "channel_id": f.channel_id, "message_id": f.message_id})
}

/// An attached file is news for its channel; an unattached one only for its uploader.
pub fn emit(tx: &WriteTx, event: &'static str, f: &file::Model, data: serde_json::Value) {
    tx.emit(match f.message_id {
        Some(_) => NewEvent::channel(event, f.workspace_id, f.channel_id, data),
        None => NewEvent::user(event, f.uploader_id, data),
    });
}

/// Attaches `ids` to a message inside its transaction: each must be a ready file the
/// author uploaded to this channel and has not attached yet.
pub async fn attach(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    message_id: Uuid,
    channel_id: Uuid,
    author: Uuid,
) -> AppResult<Vec<FileView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let attached = file::Entity::update_many()
        .col_expr(file::Column::MessageId, Some(message_id).into())
        .filter(file::Column::Id.is_in(ids.iter().copied()))
        .filter(file::Column::UploaderId.eq(author))
        .filter(file::Column::ChannelId.eq(channel_id))
        .filter(file::Column::MessageId.is_null())
        .filter(file::Column::State.eq(file::READY))
        .filter(file::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    if usize::try_from(attached.rows_affected).unwrap_or(0) != ids.len() {
        return Err(AppError::invalid(
            "file_ids",
            "each file must be one you uploaded to this channel that no message carries yet",
        ));
    }
    Ok(view::by_message(conn, vec![message_id]).await?.remove(&message_id).unwrap_or_default())
}

/// Checks a message's `file_ids` before anything is written.
pub fn validate_ids(ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let mut unique: Vec<Uuid> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    if unique.len() > MAX_ATTACHMENTS {
        return Err(AppError::invalid("file_ids", format!("at most {MAX_ATTACHMENTS} files per message")));
    }
    Ok(unique)
}

/// Marks files deleted inside `tx` and queues the removal of their blobs.
pub async fn delete_rows(tx: &WriteTx, files: &[file::Model]) -> AppResult<()> {
    if files.is_empty() {
        return Ok(());
    }
    file::Entity::update_many()
        .col_expr(file::Column::DeletedAt, Some(now_ms()).into())
        .filter(file::Column::Id.is_in(files.iter().map(|f| f.id)))
        .exec(&**tx)
        .await?;
    let keys: Vec<String> = files.iter().flat_map(|f| [f.storage_key.clone(), f.thumbnail_key()]).collect();
    queue::enqueue(&**tx, PURGE, &json!({ "keys": keys }), 10, 0).await?;
    Ok(())
}

/// Deletes the files a deleted message carried.
pub async fn delete_for_message(tx: &WriteTx, message_id: Uuid) -> AppResult<()> {
    let files = file::Entity::find()
        .filter(file::Column::MessageId.eq(message_id))
        .filter(file::Column::DeletedAt.is_null())
        .all(&**tx)
        .await?;
    delete_rows(tx, &files).await
}

/// Deletes one file: its uploader, or a channel or workspace admin.
pub async fn delete(db: &Db, f: &file::Model, access: Option<&ChannelAccess>, me: Uuid) -> AppResult<()> {
    let may = f.uploader_id == me || access.is_some_and(ChannelAccess::can_manage);
    if !may {
        return Err(crate::access::not_allowed("only the uploader or a channel admin may delete a file"));
    }
    let tx = db.write().await?;
    // Only a live row: a concurrent delete that won keeps its single event.
    let live = file::Entity::find_by_id(f.id).filter(file::Column::DeletedAt.is_null()).one(&*tx).await?;
    let Some(live) = live else {
        return Err(AppError::NotFound("file"));
    };
    delete_rows(&tx, std::slice::from_ref(&live)).await?;
    if let Some(message_id) = live.message_id {
        crate::search::jobs::enqueue(&*tx, message_id).await?;
    }
    emit(&tx, kind::FILE_DELETED, &live, deleted_data(&live));
    tx.commit().await?;
    Ok(())
}

/// A channel's shared files, newest first, `limit` per page before the file `before`.
pub async fn list(
    conn: &impl ConnectionTrait,
    channel_id: Uuid,
    before: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<FileView>> {
    let mut q = file::Entity::find()
        .filter(file::Column::ChannelId.eq(channel_id))
        .filter(file::Column::MessageId.is_not_null())
        .filter(file::Column::State.eq(file::READY))
        .filter(file::Column::DeletedAt.is_null());
    if let Some(b) = before {
        q = q.filter(file::Column::Id.lt(b));
    }
    let rows = q.order_by_desc(file::Column::Id).limit(limit).all(conn).await?;
    Ok(rows.iter().map(view::build).collect())
}
