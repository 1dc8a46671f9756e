//! Receiving an upload: multipart/form-data streamed chunk by chunk into the blob
//! store while it is hashed, sniffed and measured. The size limit is enforced as the
//! bytes arrive; a refused or failed upload leaves no object and no row behind.
use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::web::Bytes;
use futures_util::{Stream, TryStreamExt};
use sha2::{Digest, Sha256};

use super::model::file;
use super::service::{self, Received};
use super::sniff;
use super::view::FileView;
use crate::access::ChannelAccess;
use crate::blobs::{BlobError, BlobWriter};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Room for the multipart framing around the file itself.
const FRAMING_BYTES: u64 = 64 * 1024;
/// Parts other than `file` a request may carry (and that are skipped).
const MAX_OTHER_PARTS: usize = 8;
/// After refusing an oversize upload, read (and drop) at most this much more of the
/// body so the client sees the 413 instead of a reset connection.
const DRAIN_BYTES: u64 = 1024 * 1024 * 1024;

pub fn storage_error(e: BlobError) -> AppError {
    match e {
        BlobError::NotFound => AppError::NotFound("file"),
        BlobError::Unavailable(detail) => {
            tracing::warn!(%detail, "file storage failed");
            AppError::StorageUnavailable
        }
        BlobError::TooLarge(n) => AppError::Internal(anyhow::anyhow!("object over {n} bytes")),
    }
}

pub fn too_large(limit: u64) -> AppError {
    AppError::TooLarge { code: "file_too_large", message: format!("files may be at most {limit} bytes") }
}

pub fn multipart_error(e: MultipartError) -> AppError {
    AppError::bad_request("malformed_multipart", format!("could not read the multipart body: {e}"))
}

/// Stores the `file` part of `form` in the channel of `access`.
pub async fn receive(
    state: &AppState,
    access: &ChannelAccess,
    uploader: uuid::Uuid,
    content_length: Option<u64>,
    mut form: Multipart,
) -> AppResult<FileView> {
    let settings = &state.settings.files;
    let quota = service::quota(&state.db.conn, settings.workspace_quota_bytes, access.channel.workspace_id).await?;
    let mut limit = settings.max_upload_bytes;
    let mut quota_bound = false;
    if quota > 0 {
        let used = u64::try_from(service::usage(&state.db.conn, access.channel.workspace_id, None).await?).unwrap_or(0);
        let room = quota.saturating_sub(used);
        if room == 0 {
            return Err(service::quota_error());
        }
        if room < limit {
            limit = room;
            quota_bound = true;
        }
    }
    let refuse = |quota_bound: bool| if quota_bound { service::quota_error() } else { too_large(limit) };
    if content_length.is_some_and(|n| n > limit + FRAMING_BYTES) {
        return Err(refuse(quota_bound));
    }
    let mut other_parts = 0;
    while let Some(mut field) = form.try_next().await.map_err(multipart_error)? {
        let name = field.content_disposition().and_then(|d| d.get_filename()).map(sniff::sanitize_name);
        let is_file = field.name() == Some("file");
        let Some(name) = name.filter(|_| is_file) else {
            // Other parts are skipped, but only a few small ones.
            other_parts += 1;
            if other_parts > MAX_OTHER_PARTS || !skip_small(&mut field).await {
                return Err(AppError::bad_request(
                    "malformed_multipart",
                    format!("send one part named `file`; at most {MAX_OTHER_PARTS} other parts of at most 64 KiB"),
                ));
            }
            continue;
        };
        let pending = service::begin(&state.db, access, uploader).await?;
        let mut guard = PendingGuard { state: Some(state.clone()), pending: pending.clone() };
        let outcome = stream_into_store(state, &pending, &mut field, limit).await;
        guard.state = None;
        return match outcome {
            Ok(streamed) => finish(state, &pending, name, streamed, quota).await,
            Err(e) => {
                service::abandon(&state.db, &pending).await?;
                if matches!(e, AppError::TooLarge { .. }) {
                    drain(&mut field, DRAIN_BYTES).await;
                    return Err(refuse(quota_bound));
                }
                Err(e)
            }
        };
    }
    Err(AppError::bad_request("missing_file", "send the file as a multipart part named `file` with a file name"))
}

/// While the bytes stream in, the request may be dropped (the client resets the
/// connection, the server stops): then the pending row and any stored bytes are removed
/// by a task of their own instead of waiting hours for the sweeper job.
struct PendingGuard {
    state: Option<AppState>,
    pending: file::Model,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else { return };
        let pending = self.pending.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if state.blobs.delete(&pending.storage_key).await.is_ok() {
                    let _ = service::abandon(&state.db, &pending).await;
                }
            });
        }
    }
}

/// What a stored upload measured on the way in.
pub struct Streamed {
    pub size: u64,
    pub sha256: String,
    /// The first bytes, for sniffing the type.
    pub head: Vec<u8>,
}

async fn stream_into_store(
    state: &AppState,
    pending: &file::Model,
    field: &mut Field,
    limit: u64,
) -> AppResult<Streamed> {
    store_stream(state, &pending.storage_key, field, limit, multipart_error).await
}

/// Streams `body` into the blob `key`, hashing and measuring it; nothing is left
/// behind when it fails or passes `limit` bytes.
pub async fn store_stream<S, E>(
    state: &AppState,
    key: &str,
    body: &mut S,
    limit: u64,
    read_error: fn(E) -> AppError,
) -> AppResult<Streamed>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut writer = state.blobs.start(key).await.map_err(storage_error)?;
    match copy(body, writer.as_mut(), limit, read_error).await {
        Ok(streamed) => {
            writer.finish().await.map_err(storage_error)?;
            Ok(streamed)
        }
        Err(e) => {
            writer.abort().await;
            Err(e)
        }
    }
}

async fn copy<S, E>(
    body: &mut S,
    writer: &mut dyn BlobWriter,
    limit: u64,
    read_error: fn(E) -> AppError,
) -> AppResult<Streamed>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(sniff::HEAD_BYTES);
    while let Some(chunk) = body.try_next().await.map_err(read_error)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(limit));
        }
        hasher.update(&chunk);
        if head.len() < sniff::HEAD_BYTES {
            let take = (sniff::HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        writer.write(chunk).await.map_err(storage_error)?;
    }
    Ok(Streamed { size, sha256: format!("{:x}", hasher.finalize()), head })
}

async fn finish(
    state: &AppState,
    pending: &file::Model,
    name: String,
    streamed: Streamed,
    quota: u64,
) -> AppResult<FileView> {
    let content_type = sniff::content_type(&streamed.head);
    let thumbnail = sniff::thumbnailable(&content_type)
        && streamed.size > 0
        && streamed.size <= state.settings.files.image_max_bytes;
    let received = Received {
        name,
        content_type,
        size: i64::try_from(streamed.size).unwrap_or(i64::MAX),
        sha256: streamed.sha256,
        thumbnail,
    };
    match service::complete(&state.db, pending, received, quota).await {
        Ok(view) => Ok(view),
        Err(e) => {
            // The row stays pending if this fails too; its sweeper job removes both later.
            if state.blobs.delete(&pending.storage_key).await.is_ok() {
                service::abandon(&state.db, pending).await?;
            }
            Err(e)
        }
    }
}

/// Reads and drops a part that is not the file; false if it is over 64 KiB.
async fn skip_small(field: &mut Field) -> bool {
    let mut seen = 0usize;
    while let Ok(Some(chunk)) = field.try_next().await {
        seen += chunk.len();
        if seen > 64 * 1024 {
            return false;
        }
    }
    true
}

/// Reads and drops up to `max` more bytes of a field.
async fn drain(field: &mut Field, max: u64) {
    let mut left = max;
    while let Ok(Some(chunk)) = field.try_next().await {
        let n = chunk.len() as u64;
        if n >= left {
            return;
        }
        left -= n;
    }
}
