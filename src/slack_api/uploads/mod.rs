//! Slack's file upload in three steps, as `files_upload_v2` of the Slack SDKs does it:
//! `files.getUploadURLExternal` stages an upload and answers a URL with a secret in it,
//! the bytes are POSTed there (receive.rs; no token, like Slack's), and
//! `files.completeUploadExternal` turns the staged uploads into files of a channel and
//! shares them there in one message. An upload not completed within
//! `STAGED_LIFETIME_MS` is removed, bytes and all, by a job written with it.
pub mod jobs;
pub mod model;
pub mod receive;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::args::Args;
use super::chat::by_ts;
use super::{ids, Caller, SlackError, SlackResult};
use crate::access::{ChannelAccess, Need};
use crate::auth::secret_token;
use crate::clock::{now_ms, rfc3339};
use crate::error::AppError;
use crate::files::model::file;
use crate::files::service::{self as files, MAX_ATTACHMENTS};
use crate::files::{jobs as file_jobs, sniff};
use crate::jobs::queue;
use crate::messages::service::{self as messages, NewMessage};
use crate::state::AppState;
use model::staged;

/// How long an upload URL and its staged bytes wait for completion.
pub const STAGED_LIFETIME_MS: i64 = 60 * 60 * 1000;
/// Completion is refused this long before the sweeper may run, so the two never race.
const COMPLETE_MARGIN_MS: i64 = 10 * 60 * 1000;
/// Uploads one caller may have staged at once.
const MAX_STAGED_PER_USER: u64 = 100;
const TOKEN_PREFIX: &str = "upl_";

/// The path the bytes are POSTed to.
pub fn upload_path(token: &str) -> String {
    format!("/slack/upload/{token}")
}

pub async fn get_upload_url(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let name = sniff::sanitize_name(args.required("filename")?);
    let length = args.int("length").filter(|n| *n >= 0).ok_or(SlackError("invalid_arguments"))?;
    let max = state.settings.files.max_upload_bytes;
    if u64::try_from(length).unwrap_or(u64::MAX) > max {
        return Err(SlackError("file_too_large"));
    }
    let conn = &state.db.conn;
    let staged_now =
        staged::Entity::find().filter(staged::Column::UserId.eq(who.id())).count(conn).await.map_err(AppError::from)?;
    if staged_now >= MAX_STAGED_PER_USER {
        return Err(SlackError("ratelimited"));
    }
    let id = Uuid::now_v7();
    let token = secret_token::generate(TOKEN_PREFIX);
    let tx = state.db.write().await?;
    let job = queue::enqueue(&*tx, jobs::DISCARD, &json!({ "upload_id": id }), 5, STAGED_LIFETIME_MS).await?;
    staged::ActiveModel {
        id: Set(id),
        user_id: Set(who.id()),
        name: Set(name),
        declared_size: Set(length),
        token_hash: Set(secret_token::hash(&token)),
        storage_key: Set(format!("staged/{}", id.simple())),
        size: Set(None),
        sha256: Set(None),
        content_type: Set(None),
        discard_job_id: Set(job),
        created_at: Set(now_ms()),
    }
    .insert(&*tx)
    .await
    .map_err(AppError::from)?;
    tx.commit().await?;
    let site = state.settings.server.site_url.trim_end_matches('/');
    Ok(json!({"upload_url": format!("{site}{}", upload_path(&token)), "file_id": ids::encode('F', id)}))
}

#[derive(Deserialize)]
struct FileArg {
    id: String,
    title: Option<String>,
}

/// `files` as Slack takes it: a JSON array, or a string holding one (forms, query).
fn file_args(args: &Args) -> Result<Vec<FileArg>, SlackError> {
    let raw = args.json().get("files").cloned().ok_or(SlackError("invalid_arguments"))?;
    let list = match raw {
        Value::String(s) => serde_json::from_str::<Value>(&s).map_err(|_| SlackError("invalid_arguments"))?,
        v => v,
    };
    let files: Vec<FileArg> = serde_json::from_value(list).map_err(|_| SlackError("invalid_arguments"))?;
    if files.is_empty() || files.len() > MAX_ATTACHMENTS {
        return Err(SlackError("invalid_arguments"));
    }
    Ok(files)
}

/// The channel to share in: `channel_id`, or the first of `channels`. Parley files
/// always live in a channel, so one is required.
fn channel_arg(args: &Args) -> Result<String, SlackError> {
    let named = args.str("channel_id").filter(|c| !c.is_empty()).map(str::to_owned).or_else(|| {
        args.str("channels").and_then(|c| c.split(',').map(str::trim).find(|c| !c.is_empty()).map(str::to_owned))
    });
    named.ok_or(SlackError("invalid_arguments"))
}

/// The staged uploads `files` names: the caller's own, with their bytes received, not
/// about to be swept.
async fn staged_of(state: &AppState, who: &Caller, files: &[FileArg]) -> Result<Vec<staged::Model>, SlackError> {
    let oldest = now_ms() - (STAGED_LIFETIME_MS - COMPLETE_MARGIN_MS);
    let mut out: Vec<staged::Model> = Vec::with_capacity(files.len());
    for f in files {
        let id = ids::decode('F', &f.id).ok_or(SlackError("file_not_found"))?;
        let row = staged::Entity::find_by_id(id)
            .one(&state.db.conn)
            .await
            .map_err(AppError::from)?
            .filter(|s| s.user_id == who.id() && s.created_at >= oldest)
            .ok_or(SlackError("file_not_found"))?;
        if row.size.is_none() {
            return Err(SlackError("file_upload_not_completed"));
        }
        if out.iter().any(|o| o.id == row.id) {
            return Err(SlackError("invalid_arguments"));
        }
        out.push(row);
    }
    Ok(out)
}

pub async fn complete(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let wanted = file_args(args)?;
    let access = who.channel(state, &channel_arg(args)?, Need::Post).await?;
    let root = match args.ts("thread_ts") {
        Some(ts) => Some(by_ts(&state.db.conn, access.channel.id, Some(&ts)).await?),
        None => None,
    };
    let rows = staged_of(state, who, &wanted).await?;
    let adopted = adopt(state, &access, who.id(), &rows).await?;
    let new = NewMessage {
        text: args.str("initial_comment").unwrap_or_default().to_owned(),
        client_msg_id: None,
        thread_root_id: root.map(|r| r.thread_root_id.unwrap_or(r.id)),
        file_ids: adopted.iter().map(|f| f.id).collect(),
        app: None,
    };
    if let Err(e) = messages::post(&state.db, &access, &who.user, new, state.settings.limits.message_chars).await {
        // The files were never shared: remove them (their bytes go with a purge job).
        let tx = state.db.write().await?;
        files::delete_rows(&tx, &adopted).await?;
        tx.commit().await?;
        return Err(e.into());
    }
    let channel = ids::channel(access.channel.id);
    let site = state.settings.server.site_url.trim_end_matches('/');
    let shaped: Vec<Value> = adopted
        .iter()
        .zip(&wanted)
        .map(|(f, arg)| {
            json!({
                "id": ids::encode('F', f.id),
                "created": f.created_at.div_euclid(1000),
                "timestamp": f.created_at.div_euclid(1000),
                "name": f.name,
                "title": arg.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| f.name.clone()),
                "mimetype": f.content_type,
                "size": f.size,
                "user": ids::user(f.uploader_id),
                "url_private": format!("{site}/api/v1/files/{}/content", f.id),
                "url_private_download": format!("{site}/api/v1/files/{}/content?download=true", f.id),
                "channels": [channel.clone()],
                "created_at": rfc3339(f.created_at),
            })
        })
        .collect();
    Ok(json!({"files": shaped}))
}

/// Turns staged uploads into ready files of the channel, in one transaction: their
/// bytes stay where they are; the sweeper jobs go, thumbnail jobs come.
async fn adopt(
    state: &AppState,
    access: &ChannelAccess,
    uploader: Uuid,
    rows: &[staged::Model],
) -> Result<Vec<file::Model>, SlackError> {
    let ws = access.channel.workspace_id;
    let quota = files::quota(&state.db.conn, state.settings.files.workspace_quota_bytes, ws).await?;
    let tx = state.db.write().await?;
    if quota > 0 {
        let used = files::usage(&*tx, ws, None).await?;
        let adding: i64 = rows.iter().filter_map(|r| r.size).sum();
        if u64::try_from(used.saturating_add(adding)).unwrap_or(u64::MAX) > quota {
            return Err(files::quota_error().into());
        }
    }
    let now = now_ms();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let size = r.size.unwrap_or(0);
        let content_type = r.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
        let thumbnail = sniff::thumbnailable(&content_type)
            && size > 0
            && u64::try_from(size).unwrap_or(u64::MAX) <= state.settings.files.image_max_bytes;
        let row = file::ActiveModel {
            id: Set(r.id),
            workspace_id: Set(ws),
            channel_id: Set(access.channel.id),
            uploader_id: Set(uploader),
            message_id: Set(None),
            state: Set(file::READY.into()),
            name: Set(r.name.clone()),
            content_type: Set(content_type),
            size: Set(size),
            sha256: Set(r.sha256.clone().unwrap_or_default()),
            storage_key: Set(r.storage_key.clone()),
            width: Set(None),
            height: Set(None),
            thumb_state: Set(if thumbnail { file::thumb::QUEUED } else { file::thumb::NONE }.into()),
            thumb_width: Set(None),
            thumb_height: Set(None),
            thumb_content_type: Set(None),
            discard_job_id: Set(None),
            created_at: Set(now),
            deleted_at: Set(None),
        }
        .insert(&*tx)
        .await
        .map_err(AppError::from)?;
        if thumbnail {
            queue::enqueue(&*tx, file_jobs::THUMBNAIL, &json!({ "file_id": row.id }), 5, 0).await?;
        }
        staged::Entity::delete_by_id(r.id).exec(&*tx).await.map_err(AppError::from)?;
        queue::finish(&*tx, &[r.discard_job_id]).await?;
        out.push(row);
    }
    tx.commit().await?;
    Ok(out)
}
