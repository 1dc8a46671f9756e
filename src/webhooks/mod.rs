//! Webhooks: incoming hooks that let other tools post into a channel, and outgoing
//! hooks that tell other tools what happens in Parley.
pub mod incoming;
pub mod outgoing;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A hook is managed by its creator (while still in the workspace) or a workspace
/// admin; to anyone else it does not exist.
pub async fn may_manage(
    conn: &impl ConnectionTrait,
    actor: Uuid,
    workspace_id: Uuid,
    created_by: Uuid,
) -> AppResult<()> {
    let ws = crate::access::workspace(conn, actor, workspace_id).await.map_err(|_| AppError::NotFound("hook"))?;
    if created_by != actor && !ws.role.is_admin() {
        return Err(AppError::NotFound("hook"));
    }
    Ok(())
}
