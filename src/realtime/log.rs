//! The durable event log. Positions come from one counter row bumped as the last
//! statement of the recording transaction: the row lock is held until commit, so
//! positions are handed out in commit order, a rolled-back transaction gives its
//! positions back, and no reader ever sees pos N+1 committed before pos N.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::event::{kind, Audience, Event, NewEvent};
use super::model::{counter, event_row};
use crate::clock::now_ms;
use crate::error::AppResult;

fn audience_str(a: Audience) -> &'static str {
    match a {
        Audience::Channel => "channel",
        Audience::User => "user",
        Audience::Workspace => "workspace",
        Audience::Watchers => "watchers",
        Audience::Nodes => "nodes",
    }
}

fn parse_audience(s: &str) -> Audience {
    match s {
        "channel" => Audience::Channel,
        "workspace" => Audience::Workspace,
        "watchers" => Audience::Watchers,
        "nodes" => Audience::Nodes,
        _ => Audience::User,
    }
}

impl From<event_row::Model> for Event {
    fn from(r: event_row::Model) -> Self {
        Event {
            kind: r.kind,
            pos: Some(r.pos),
            at: r.at,
            audience: parse_audience(&r.audience),
            workspace_id: r.workspace_id,
            channel_id: r.channel_id,
            user_id: r.user_id,
            data: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Rows per INSERT (8 values each).
const INSERT_CHUNK: usize = 1000;

/// Records `events` with consecutive positions. Call last, just before commit.
pub async fn append(conn: &impl ConnectionTrait, events: Vec<NewEvent>) -> AppResult<Vec<Event>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let n = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let bumped = counter::Entity::update_many()
        .col_expr(counter::Column::LastPos, Expr::col(counter::Column::LastPos).add(n))
        .filter(counter::Column::Id.eq(1))
        .exec_with_returning(conn)
        .await?;
    let last = bumped.first().map(|c| c.last_pos).ok_or_else(|| anyhow::anyhow!("event counter row missing"))?;
    let at = now_ms();
    let mut out = Vec::with_capacity(events.len());
    let mut rows = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        let pos = last - n + 1 + i64::try_from(i).unwrap_or(0);
        rows.push(event_row::ActiveModel {
            pos: Set(pos),
            at: Set(at),
            kind: Set(e.kind.to_owned()),
            audience: Set(audience_str(e.audience).to_owned()),
            workspace_id: Set(e.workspace_id),
            channel_id: Set(e.channel_id),
            user_id: Set(e.user_id),
            payload: Set(e.data.to_string()),
        });
        out.push(Event {
            kind: e.kind.to_owned(),
            pos: Some(pos),
            at,
            audience: e.audience,
            workspace_id: e.workspace_id,
            channel_id: e.channel_id,
            user_id: e.user_id,
            data: e.data,
        });
    }
    // One statement per chunk: SQLite allows 32,766 bound values per statement.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        event_row::Entity::insert_many(chunk).exec(conn).await?;
    }
    Ok(out)
}

pub async fn counter(conn: &impl ConnectionTrait) -> AppResult<counter::Model> {
    Ok(counter::Entity::find_by_id(1).one(conn).await?.ok_or_else(|| anyhow::anyhow!("event counter row missing"))?)
}

/// Every event in `[from, to]`, in order (the hub fills gaps with this).
pub async fn range(conn: &impl ConnectionTrait, from: i64, to: i64, limit: u64) -> AppResult<Vec<Event>> {
    let rows = event_row::Entity::find()
        .filter(event_row::Column::Pos.gte(from))
        .filter(event_row::Column::Pos.lte(to))
        .order_by_asc(event_row::Column::Pos)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The events after `after` (up to `upto`) that a user with these channels and
/// workspaces may see, oldest first, at most `limit`.
pub async fn visible(
    conn: &impl ConnectionTrait,
    user: Uuid,
    channels: &[Uuid],
    workspaces: &[Uuid],
    after: i64,
    upto: i64,
    limit: u64,
) -> AppResult<Vec<Event>> {
    let mut who = Condition::any()
        .add(Condition::all().add(event_row::Column::Audience.eq("user")).add(event_row::Column::UserId.eq(user)))
        // My own departures, from channels and workspaces no longer in my sets.
        .add(
            Condition::all()
                .add(event_row::Column::UserId.eq(user))
                .add(event_row::Column::Kind.is_in([kind::MEMBER_LEFT, kind::WORKSPACE_MEMBER_REMOVED])),
        );
    if !channels.is_empty() {
        who = who.add(
            Condition::all()
                .add(event_row::Column::Audience.eq("channel"))
                .add(event_row::Column::ChannelId.is_in(channels.iter().copied())),
        );
    }
    if !workspaces.is_empty() {
        who = who.add(
            Condition::all()
                .add(event_row::Column::Audience.eq("workspace"))
                .add(event_row::Column::WorkspaceId.is_in(workspaces.iter().copied())),
        );
    }
    let rows = event_row::Entity::find()
        .filter(event_row::Column::Pos.gt(after))
        .filter(event_row::Column::Pos.lte(upto))
        .filter(who)
        .order_by_asc(event_row::Column::Pos)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Deletes events recorded before `before_ms` and remembers how far it pruned.
pub async fn prune(conn: &impl ConnectionTrait, before_ms: i64) -> AppResult<u64> {
    let newest_old = event_row::Entity::find()
        .filter(event_row::Column::At.lt(before_ms))
        .order_by_desc(event_row::Column::Pos)
        .one(conn)
        .await?;
    let Some(newest_old) = newest_old else { return Ok(0) };
    let res = event_row::Entity::delete_many().filter(event_row::Column::Pos.lte(newest_old.pos)).exec(conn).await?;
    counter::Entity::update_many()
        .col_expr(counter::Column::PrunedThrough, newest_old.pos.into())
        .filter(counter::Column::Id.eq(1))
        .filter(counter::Column::PrunedThrough.lt(newest_old.pos))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}
