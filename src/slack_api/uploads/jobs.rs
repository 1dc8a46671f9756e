//! Sweeps a staged upload that was never completed: its bytes, then its row.
//! Idempotent: a completed upload has no row left, so the job does nothing.
use std::sync::Arc;

use sea_orm::EntityTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::model::staged;
use crate::blobs::BlobError;
use crate::jobs::{JobFuture, JobHandler, JobRegistry};
use crate::state::AppState;

pub const DISCARD: &str = "slack.discard_staged_upload";

pub fn register(registry: &mut JobRegistry) {
    registry.register(DISCARD, Arc::new(Discard));
}

#[derive(Deserialize)]
struct UploadRef {
    upload_id: Uuid,
}

struct Discard;

impl JobHandler for Discard {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            let id = serde_json::from_value::<UploadRef>(payload)?.upload_id;
            let Some(row) = staged::Entity::find_by_id(id).one(&state.db.conn).await? else {
                return Ok(());
            };
            match state.blobs.delete(&row.storage_key).await {
                Ok(()) | Err(BlobError::NotFound) => {}
                Err(e) => anyhow::bail!("removing staged bytes: {e}"),
            }
            staged::Entity::delete_by_id(id).exec(&state.db.conn).await?;
            Ok(())
        })
    }
}
