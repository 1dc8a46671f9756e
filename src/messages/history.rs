//! Reading history by cursor: before / after / around a seq or a message id,
//! and a thread's replies.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::message;
use super::view::{views, MessageView};
use crate::access::ChannelAccess;
use crate::db::ReadSource;
use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Messages with a seq below this one (scroll up).
    pub before: Option<i64>,
    /// Messages with a seq above this one (catch up).
    pub after: Option<i64>,
    /// A page centred on this seq (jump to a message).
    pub around: Option<i64>,
    /// Like `around`, by message id.
    pub around_id: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// Include thread replies, not just top-level messages.
    #[serde(default)]
    pub include_replies: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    /// Oldest first.
    pub messages: Vec<MessageView>,
    pub has_more_before: bool,
    pub has_more_after: bool,
}

fn base(channel_id: Uuid, include_replies: bool) -> Select<message::Entity> {
    let q = message::Entity::find().filter(message::Column::ChannelId.eq(channel_id));
    if include_replies {
        q
    } else {
        q.filter(message::Column::ThreadRootId.is_null())
    }
}

pub async fn page(conn: &impl ReadSource, access: &ChannelAccess, q: HistoryQuery) -> AppResult<HistoryPage> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    let cursors = [q.before.is_some(), q.after.is_some(), q.around.is_some(), q.around_id.is_some()];
    if cursors.iter().filter(|c| **c).count() > 1 {
        return Err(AppError::invalid("cursor", "give at most one of before, after, around, around_id"));
    }
    let id = access.channel.id;
    let replies = q.include_replies;
    let around = match q.around_id {
        Some(mid) => Some(
            conn.find_one(message::Entity::find_by_id(mid))
                .await?
                .filter(|m| m.channel_id == id)
                .ok_or(AppError::NotFound("message"))?
                .seq,
        ),
        None => q.around,
    };
    let (rows, has_more_before, has_more_after) = if let Some(after) = q.after {
        let (rows, more) =
            older_or_newer(conn, base(id, replies).filter(message::Column::Seq.gt(after)), limit, false).await?;
        (rows, after > 0, more)
    } else if let Some(center) = around {
        let half = limit / 2;
        let (mut before, more_before) =
            older_or_newer(conn, base(id, replies).filter(message::Column::Seq.lt(center)), half, true).await?;
        let (after, more_after) =
            older_or_newer(conn, base(id, replies).filter(message::Column::Seq.gte(center)), limit - half, false)
                .await?;
        before.extend(after);
        (before, more_before, more_after)
    } else {
        let mut sel = base(id, replies);
        if let Some(b) = q.before {
            sel = sel.filter(message::Column::Seq.lt(b));
        }
        let (rows, more) = older_or_newer(conn, sel, limit, true).await?;
        (rows, more, q.before.is_some_and(|b| b <= access.channel.last_seq))
    };
    Ok(HistoryPage { messages: views(conn, &rows).await?, has_more_before, has_more_after })
}

/// Up to `limit` rows nearest the cursor, returned oldest first, plus whether more exist.
async fn older_or_newer(
    conn: &impl ReadSource,
    sel: Select<message::Entity>,
    limit: u64,
    older: bool,
) -> AppResult<(Vec<message::Model>, bool)> {
    if limit == 0 {
        let any = conn.find_all(sel.limit(1)).await?;
        return Ok((Vec::new(), !any.is_empty()));
    }
    let sel = if older { sel.order_by_desc(message::Column::Seq) } else { sel.order_by_asc(message::Column::Seq) };
    let mut rows = conn.find_all(sel.limit(limit + 1)).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if older {
        rows.reverse();
    }
    Ok((rows, more))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ThreadQuery {
    /// Replies with a seq above this one.
    pub after: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ThreadPage {
    pub root: MessageView,
    /// Oldest first.
    pub replies: Vec<MessageView>,
    pub has_more: bool,
}

pub async fn thread(conn: &impl ReadSource, root: &message::Model, q: ThreadQuery) -> AppResult<ThreadPage> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    let root_id = root.thread_root_id.unwrap_or(root.id);
    let root_row = if root_id == root.id {
        root.clone()
    } else {
        conn.find_one(message::Entity::find_by_id(root_id)).await?.ok_or(AppError::NotFound("message"))?
    };
    let mut sel = message::Entity::find().filter(message::Column::ThreadRootId.eq(root_id));
    if let Some(after) = q.after {
        sel = sel.filter(message::Column::Seq.gt(after));
    }
    let (rows, has_more) = older_or_newer(conn, sel, limit, false).await?;
    let mut root_view = views(conn, std::slice::from_ref(&root_row)).await?;
    let root = root_view.pop().ok_or_else(|| anyhow::anyhow!("empty root view"))?;
    Ok(ThreadPage { root, replies: views(conn, &rows).await?, has_more })
}
