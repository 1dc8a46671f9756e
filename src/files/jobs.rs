//! The file jobs: make a thumbnail, sweep an upload that never finished, remove the
//! blobs of deleted files. Each is idempotent: running twice changes nothing more.
use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use super::model::file::{self, thumb};
use super::thumbnail::{self, Refused};
use super::view;
use crate::blobs::BlobError;
use crate::jobs::{JobFuture, JobHandler, JobRegistry};
use crate::realtime::event::kind;
use crate::state::AppState;

pub const THUMBNAIL: &str = "files.thumbnail";
pub const DISCARD: &str = "files.discard_unfinished";
pub const PURGE: &str = "files.purge_blobs";

pub fn register(registry: &mut JobRegistry) {
    registry.register(THUMBNAIL, Arc::new(Thumbnail));
    registry.register(DISCARD, Arc::new(Discard));
    registry.register(PURGE, Arc::new(Purge));
}

#[derive(Deserialize)]
struct FileRef {
    file_id: Uuid,
}

fn parse<T: for<'de> Deserialize<'de>>(payload: serde_json::Value) -> anyhow::Result<T> {
    Ok(serde_json::from_value(payload)?)
}

fn blob(e: BlobError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

struct Thumbnail;

impl JobHandler for Thumbnail {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move { make_thumbnail(state, parse::<FileRef>(payload)?.file_id).await })
    }
}

async fn make_thumbnail(state: AppState, file_id: Uuid) -> anyhow::Result<()> {
    let Some(f) = file::Entity::find_by_id(file_id).one(&state.db.conn).await? else {
        return Ok(());
    };
    if f.deleted_at.is_some() || f.thumb_state != thumb::QUEUED {
        return Ok(());
    }
    let limits = &state.settings.files;
    let bytes = match state.blobs.read(&f.storage_key, limits.image_max_bytes).await {
        Ok(b) => b,
        Err(BlobError::Unavailable(e)) => anyhow::bail!("reading the image: {e}"),
        Err(e) => return record(&state, &f, Err(Refused::Undecodable(e.to_string()))).await,
    };
    let (max_px, max_pixels) = (limits.thumbnail_px, limits.image_max_pixels);
    let made = tokio::task::spawn_blocking(move || thumbnail::make(&bytes, max_px, max_pixels)).await?;
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            tracing::info!(%file_id, error = %e, "no thumbnail");
            return record(&state, &f, Err(e)).await;
        }
    };
    state.blobs.put(&f.thumbnail_key(), made.thumb.clone()).await.map_err(blob)?;
    record(&state, &f, Ok(made)).await
}

fn px(n: u32) -> Option<i32> {
    i32::try_from(n).ok()
}

/// Stores the outcome and tells whoever sees the file.
async fn record(state: &AppState, f: &file::Model, outcome: Result<thumbnail::Made, Refused>) -> anyhow::Result<()> {
    let mut update =
        file::Entity::update_many().filter(file::Column::Id.eq(f.id)).filter(file::Column::DeletedAt.is_null());
    update = match &outcome {
        Ok(m) => update
            .col_expr(file::Column::ThumbState, thumb::READY.into())
            .col_expr(file::Column::Width, px(m.width).into())
            .col_expr(file::Column::Height, px(m.height).into())
            .col_expr(file::Column::ThumbWidth, px(m.thumb_width).into())
            .col_expr(file::Column::ThumbHeight, px(m.thumb_height).into())
            .col_expr(file::Column::ThumbContentType, Some(m.thumb_type.to_owned()).into()),
        Err(Refused::TooManyPixels { width, height, .. }) => update
            .col_expr(file::Column::ThumbState, thumb::FAILED.into())
            .col_expr(file::Column::Width, px(*width).into())
            .col_expr(file::Column::Height, px(*height).into()),
        Err(Refused::Undecodable(_)) => update.col_expr(file::Column::ThumbState, thumb::FAILED.into()),
    };
    let tx = state.db.write().await?;
    let updated = update.exec_with_returning(&*tx).await?.pop();
    let Some(updated) = updated else {
        // Deleted meanwhile: do not leave the new thumbnail behind.
        drop(tx);
        state.blobs.delete(&f.thumbnail_key()).await.map_err(blob)?;
        return Ok(());
    };
    let data = serde_json::to_value(view::build(&updated))?;
    super::service::emit(&tx, kind::FILE_UPDATED, &updated, data);
    tx.commit().await?;
    Ok(())
}

struct Discard;

impl JobHandler for Discard {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            let id = parse::<FileRef>(payload)?.file_id;
            let Some(f) = file::Entity::find_by_id(id).one(&state.db.conn).await? else {
                return Ok(());
            };
            if f.state != file::PENDING {
                return Ok(());
            }
            state.blobs.abort_unfinished(&f.storage_key).await.map_err(blob)?;
            state.blobs.delete(&f.storage_key).await.map_err(blob)?;
            file::Entity::delete_many()
                .filter(file::Column::Id.eq(id))
                .filter(file::Column::State.eq(file::PENDING))
                .exec(&state.db.conn)
                .await?;
            Ok(())
        })
    }
}

#[derive(Deserialize)]
struct Keys {
    keys: Vec<String>,
}

struct Purge;

impl JobHandler for Purge {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            for key in parse::<Keys>(payload)?.keys {
                state.blobs.delete(&key).await.map_err(blob)?;
            }
            Ok(())
        })
    }
}
