//! Slash commands: built-ins (`/me`, `/shrug`, `/help` on the server; `/topic`,
//! `/invite`, `/leave`, `/mute`, `/dnd`, `/away`, `/search` in the web client) and custom ones a
//! workspace admin points at a URL, called with Slack's fields and answered in the
//! channel or to the caller alone.
pub mod builtin;
pub mod execute;
pub mod model;
pub mod routes;
pub mod service;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Forgets response URLs that expired more than an hour ago.
pub async fn prune_response_urls(conn: &impl ConnectionTrait) -> crate::error::AppResult<u64> {
    let cutoff = crate::clock::now_ms() - 3_600_000;
    let done =
        model::response::Entity::delete_many().filter(model::response::Column::ExpiresAt.lt(cutoff)).exec(conn).await?;
    Ok(done.rows_affected)
}
