//! How a file is shown to clients.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::model::file;
use crate::clock::rfc3339;
use crate::error::AppResult;

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct ThumbnailView {
    pub url: String,
    pub width: i32,
    pub height: i32,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct FileView {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    /// The message that carries the file; null until it is attached to one.
    pub message_id: Option<Uuid>,
    pub uploader_id: Uuid,
    /// Sanitised: no directories or control characters.
    pub name: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Pixel size of an image, upright (EXIF orientation applied); null until known.
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Download (GET): the bytes, or a redirect to a short-lived signed URL.
    pub url: String,
    /// `none` (not an image), `queued`, `ready` or `failed`.
    pub thumbnail_state: String,
    pub thumbnail: Option<ThumbnailView>,
    pub created_at: String,
}

pub fn build(f: &file::Model) -> FileView {
    let thumbnail = match (f.thumb_state.as_str(), f.thumb_width, f.thumb_height) {
        (file::thumb::READY, Some(width), Some(height)) => {
            Some(ThumbnailView { url: format!("/api/v1/files/{}/thumbnail", f.id), width, height })
        }
        _ => None,
    };
    FileView {
        id: f.id,
        workspace_id: f.workspace_id,
        channel_id: f.channel_id,
        message_id: f.message_id,
        uploader_id: f.uploader_id,
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
        width: f.width,
        height: f.height,
        url: format!("/api/v1/files/{}/content", f.id),
        thumbnail_state: f.thumb_state.clone(),
        thumbnail,
        created_at: rfc3339(f.created_at),
    }
}

/// The live attachments of each of `message_ids`, in upload order.
pub async fn by_message(
    conn: &impl crate::db::ReadSource,
    message_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<FileView>>> {
    let mut out: HashMap<Uuid, Vec<FileView>> = HashMap::new();
    if message_ids.is_empty() {
        return Ok(out);
    }
    let rows = conn
        .find_all(
            file::Entity::find()
                .filter(file::Column::MessageId.is_in(message_ids))
                .filter(file::Column::DeletedAt.is_null())
                .order_by_asc(file::Column::Id),
        )
        .await?;
    for f in rows {
        if let Some(m) = f.message_id {
            out.entry(m).or_default().push(build(&f));
        }
    }
    Ok(out)
}
