//! Uploads no message ever carried (the composer was closed, the client gave up): after
//! `files.unattached_keep_hours` they are deleted like any file — the row marked, the
//! bytes purged by a job, the uploader's clients told.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::file;
use super::service::{delete_rows, deleted_data, emit};
use crate::db::Db;
use crate::error::AppResult;
use crate::realtime::event::kind;

const BATCH: u64 = 200;

/// Deletes ready files uploaded before `before` (ms) that no message carries; answers
/// how many. A file attached meanwhile is left alone (the attach filters on the same
/// columns inside its own transaction).
pub async fn unattached(db: &Db, before: i64) -> AppResult<u64> {
    let mut total = 0;
    loop {
        let tx = db.write().await?;
        let batch = file::Entity::find()
            .filter(file::Column::State.eq(file::READY))
            .filter(file::Column::MessageId.is_null())
            .filter(file::Column::DeletedAt.is_null())
            .filter(file::Column::CreatedAt.lt(before))
            .order_by_asc(file::Column::CreatedAt)
            .limit(BATCH)
            .all(&*tx)
            .await?;
        if batch.is_empty() {
            return Ok(total);
        }
        delete_rows(&tx, &batch).await?;
        for f in &batch {
            emit(&tx, kind::FILE_DELETED, f, deleted_data(f));
        }
        tx.commit().await?;
        total += batch.len() as u64;
        if (batch.len() as u64) < BATCH {
            return Ok(total);
        }
    }
}
