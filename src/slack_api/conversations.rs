//! conversations.list, .info, .members, .history, .replies, .join.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use super::args::Args;
use super::chat::by_ts;
use super::{ids, shape, Caller, SlackError, SlackResult};
use crate::access::{self, Need, WorkspaceRole};
use crate::channels::model::{channel, member};
use crate::error::AppError;
use crate::messages::history::{self, HistoryQuery, ThreadQuery, MAX_LIMIT};
use crate::realtime::event::NewEvent;
use crate::state::AppState;

const LIST_MAX: usize = 1000;

fn wanted_kinds(args: &Args) -> Vec<&'static str> {
    let types = args.str("types").unwrap_or("public_channel");
    types
        .split(',')
        .filter_map(|t| match t.trim() {
            "public_channel" => Some("public"),
            "private_channel" => Some("private"),
            "mpim" => Some("group"),
            "im" => Some("direct"),
            _ => None,
        })
        .collect()
}

/// Offset cursors: `off_<n>`.
fn page<T>(items: Vec<T>, args: &Args, default: usize) -> (Vec<T>, String) {
    let limit = args.int("limit").map_or(default, |l| usize::try_from(l).unwrap_or(default).clamp(1, LIST_MAX));
    let start = args.str("cursor").and_then(|c| c.strip_prefix("off_")).and_then(|n| n.parse().ok()).unwrap_or(0usize);
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = if start + page.len() < total { format!("off_{}", start + page.len()) } else { String::new() };
    (page, next)
}

pub async fn list(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let conn = &state.db.conn;
    let kinds = wanted_kinds(args);
    let mine: Vec<uuid::Uuid> = member::Entity::find()
        .filter(member::Column::UserId.eq(who.id()))
        .all(conn)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|m| m.channel_id)
        .collect();
    let mut out = Vec::new();
    for ws in who.workspaces(state).await? {
        let role = access::workspace(conn, who.id(), ws).await?.role;
        let mut q =
            channel::Entity::find().filter(channel::Column::WorkspaceId.eq(ws)).order_by_asc(channel::Column::Name);
        if args.bool("exclude_archived") {
            q = q.filter(channel::Column::ArchivedAt.is_null());
        }
        for c in q.all(conn).await.map_err(AppError::from)? {
            let is_member = mine.contains(&c.id);
            // Public channels are listed to everyone but guests; the rest to members only.
            let visible = is_member || (c.kind == "public" && role != WorkspaceRole::Guest);
            if visible && kinds.contains(&c.kind.as_str()) {
                out.push(shape::channel(&c, is_member, None));
            }
        }
    }
    let (channels, next) = page(out, args, 100);
    Ok(json!({"channels": channels, "response_metadata": {"next_cursor": next}}))
}

pub async fn info(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let a = who.channel(state, args.required("channel")?, Need::Read).await?;
    let n = member::Entity::find()
        .filter(member::Column::ChannelId.eq(a.channel.id))
        .count(&state.db.conn)
        .await
        .map_err(AppError::from)?;
    Ok(json!({"channel": shape::channel(&a.channel, a.is_member(), Some(n))}))
}

pub async fn members(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let a = who.channel(state, args.required("channel")?, Need::Read).await?;
    let people = crate::channels::service::members(&state.db.conn, &a).await?;
    let ids: Vec<String> = people.iter().map(|u| ids::user(u.id)).collect();
    let (members, next) = page(ids, args, 100);
    Ok(json!({"members": members, "response_metadata": {"next_cursor": next}}))
}

/// Newest first, like Slack; `latest` / `oldest` bound it, `cursor` continues it.
pub async fn history(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let a = who.channel(state, args.required("channel")?, Need::Read).await?;
    let inclusive = args.bool("inclusive");
    let cursor_seq = args.str("cursor").and_then(|c| c.strip_prefix("before_")).and_then(|s| s.parse::<i64>().ok());
    let latest = args.ts("latest").as_deref().and_then(ids::seq_of_ts);
    let oldest = args.ts("oldest").as_deref().and_then(ids::seq_of_ts);
    let before = cursor_seq.or(latest.map(|s| if inclusive { s + 1 } else { s }));
    let limit = args.int("limit").map_or(100, |l| u64::try_from(l).unwrap_or(100)).clamp(1, MAX_LIMIT);
    let q = HistoryQuery { before, limit: Some(limit), ..Default::default() };
    let found = history::page(&state.db, &a, q).await?;
    let mut messages: Vec<Value> = found
        .messages
        .iter()
        .filter(|m| !m.deleted)
        .filter(|m| oldest.is_none_or(|o| if inclusive { m.seq >= o } else { m.seq > o }))
        .map(|m| shape::message(m, None))
        .collect();
    messages.reverse();
    let oldest_seq = found.messages.first().map(|m| m.seq);
    let has_more = found.has_more_before && oldest.is_none_or(|o| oldest_seq.is_some_and(|s| s > o + 1));
    let next = match (has_more, oldest_seq) {
        (true, Some(s)) => format!("before_{s}"),
        _ => String::new(),
    };
    Ok(json!({"messages": messages, "has_more": has_more, "response_metadata": {"next_cursor": next}}))
}

pub async fn replies(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let a = who.channel(state, args.required("channel")?, Need::Read).await?;
    let conn = &state.db.conn;
    let m = by_ts(conn, a.channel.id, args.ts("ts").as_deref()).await?;
    let limit = args.int("limit").map_or(MAX_LIMIT, |l| u64::try_from(l).unwrap_or(MAX_LIMIT)).clamp(1, MAX_LIMIT);
    let t = history::thread(conn, &m, ThreadQuery { after: None, limit: Some(limit) }).await?;
    let root = shape::message(&t.root, None);
    let root_ts = root["ts"].as_str().map(str::to_owned);
    let mut messages = vec![root];
    messages.extend(t.replies.iter().filter(|r| !r.deleted).map(|r| shape::message(r, root_ts.as_deref())));
    Ok(json!({"messages": messages, "has_more": t.has_more, "response_metadata": {"next_cursor": ""}}))
}

/// Joins a public channel of the caller's workspace. A bot may join one it could not
/// read before (that is what the call is for, and it needs channels:manage).
pub async fn join(state: &AppState, who: &Caller, args: &Args) -> SlackResult {
    let named = args.required("channel")?;
    let target = match who.channel(state, named, Need::Read).await {
        Ok(a) => a.channel,
        Err(SlackError("channel_not_found")) if who.bot_workspace.is_some() => {
            let id = who.channel_id(state, named).await?;
            channel::Entity::find_by_id(id)
                .one(&state.db.conn)
                .await
                .map_err(AppError::from)?
                .filter(|c| c.kind == "public" && Some(c.workspace_id) == who.bot_workspace)
                .ok_or(SlackError("channel_not_found"))?
        }
        Err(e) => return Err(e),
    };
    if target.kind != "public" {
        return Err(SlackError("method_not_supported_for_channel_type"));
    }
    if target.archived_at.is_some() || crate::access::workspace_is_archived(&state.db.conn, target.workspace_id).await?
    {
        return Err(SlackError("is_archived"));
    }
    let tx = state.db.write().await?;
    let added = crate::channels::service::add_member_row(&*tx, target.id, who.id(), "member").await?;
    if added {
        tx.emit(NewEvent::member_joined(target.workspace_id, target.id, who.id()));
    }
    tx.commit().await?;
    Ok(json!({"channel": shape::channel(&target, true, None), "already_in_channel": !added}))
}
