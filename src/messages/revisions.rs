//! Earlier texts of edited messages, kept for compliance exports (never shown in the
//! client) and removed with the message when it is deleted or expires under retention.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::model::revision;
use crate::db::sql::Sql;
use crate::error::AppResult;

/// Keeps the text `message_id` has now, before an edit replaces it. Copied by the
/// database inside the edit's transaction, so a concurrent edit cannot slip between.
pub async fn keep_current(conn: &impl ConnectionTrait, message_id: Uuid, now: i64) -> AppResult<()> {
    let mut sql = Sql::new(conn.get_database_backend() == DbBackend::Postgres);
    sql.push("INSERT INTO message_revisions (id, message_id, body, written_at, replaced_at) SELECT ")
        .bind(Uuid::now_v7())
        .push(", id, body, COALESCE(edited_at, created_at), ")
        .bind(now)
        .push(" FROM messages WHERE id = ")
        .bind(message_id)
        .push(" AND deleted_at IS NULL");
    conn.execute_raw(sql.statement()).await?;
    Ok(())
}

/// Forgets every earlier text of a message that is being emptied into a tombstone.
pub async fn forget(conn: &impl ConnectionTrait, message_id: Uuid) -> AppResult<()> {
    revision::Entity::delete_many().filter(revision::Column::MessageId.eq(message_id)).exec(conn).await?;
    Ok(())
}

/// The earlier texts of these messages, oldest first, by message.
pub async fn of_messages(conn: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<revision::Model>>> {
    let mut out: HashMap<Uuid, Vec<revision::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = revision::Entity::find()
        .filter(revision::Column::MessageId.is_in(ids.iter().copied()))
        .order_by_asc(revision::Column::ReplacedAt)
        .all(conn)
        .await?;
    for r in rows {
        out.entry(r.message_id).or_default().push(r);
    }
    Ok(out)
}
