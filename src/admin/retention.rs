//! Retention: a workspace keeps messages for N days (a channel may say otherwise, or keep
//! them forever); older ones become tombstones — their text, cards, reactions, mentions,
//! pins and files deleted, as when their author deletes them — in batches, by a task
//! with its progress. A channel or a person on legal hold keeps everything. Parley runs
//! the policy once a day by itself; an administrator can run it now.
use std::sync::atomic::Ordering;
use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tasks::{self, Finished, TaskView, RETENTION};
use crate::accounts::model::user;
use crate::audit::{self, AuditEvent};
use crate::channels::model::channel;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::messages::model::message;
use crate::search::reindex::Counter;
use crate::state::AppState;
use crate::workspaces::model::workspace;

const DAY_MS: i64 = 86_400_000;
const BATCH: u64 = 200;
/// The longest policy: about a hundred years.
const MAX_DAYS: i32 = 36_500;
/// A scheduled run starts when the last one is older than this.
const RUN_EVERY_MS: i64 = 23 * 3_600_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkspacePolicy {
    pub id: Uuid,
    pub name: String,
    /// Days kept; absent: forever.
    pub retention_days: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelPolicy {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: Option<String>,
    pub kind: String,
    /// Absent: the workspace's; 0: forever.
    pub retention_days: Option<i32>,
    pub legal_hold: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HeldPerson {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RetentionView {
    pub workspaces: Vec<WorkspacePolicy>,
    /// Public and private channels, with their own policy or hold.
    pub channels: Vec<ChannelPolicy>,
    pub people_on_hold: Vec<HeldPerson>,
    /// The latest runs, newest first.
    pub runs: Vec<TaskView>,
}

pub async fn view(state: &AppState) -> AppResult<RetentionView> {
    let conn = &state.db.conn;
    let workspaces = workspace::Entity::find()
        .order_by_asc(workspace::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|w| WorkspacePolicy { id: w.id, name: w.name, retention_days: w.retention_days })
        .collect();
    let channels = channel::Entity::find()
        .filter(channel::Column::Kind.is_in(["public", "private"]))
        .order_by_asc(channel::Column::WorkspaceId)
        .order_by_asc(channel::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|c| ChannelPolicy {
            id: c.id,
            workspace_id: c.workspace_id,
            name: c.name,
            kind: c.kind,
            retention_days: c.retention_days,
            legal_hold: c.legal_hold,
        })
        .collect();
    let people_on_hold = user::Entity::find()
        .filter(user::Column::LegalHold.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| HeldPerson { id: u.id, username: u.username, display_name: u.display_name })
        .collect();
    Ok(RetentionView { workspaces, channels, people_on_hold, runs: tasks::recent(conn, RETENTION, 10).await? })
}

fn days(value: Option<i32>, zero_allowed: bool) -> AppResult<Option<i32>> {
    match value {
        Some(d) if !(0..=MAX_DAYS).contains(&d) || (d == 0 && !zero_allowed) => {
            Err(AppError::invalid("retention_days", format!("from {} to {MAX_DAYS}", u8::from(!zero_allowed))))
        }
        other => Ok(other),
    }
}

/// A workspace's policy: messages older than `days` go (None: kept forever).
pub async fn set_workspace(db: &Db, admin: Option<Uuid>, id: Uuid, retention_days: Option<i32>) -> AppResult<()> {
    let retention_days = days(retention_days, false)?;
    let tx = db.write().await?;
    let w = workspace::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("workspace"))?;
    let mut am: workspace::ActiveModel = w.into();
    am.retention_days = Set(retention_days);
    am.update(&*tx).await?;
    let details = serde_json::json!({ "retention_days": retention_days });
    audit::record(&*tx, AuditEvent::new(admin, "workspace.retention_set").workspace(id).details(details)).await?;
    tx.commit().await
}

/// A channel's own policy (None: the workspace's; 0: forever) and its legal hold.
pub async fn set_channel(
    db: &Db,
    admin: Option<Uuid>,
    id: Uuid,
    retention_days: Option<i32>,
    legal_hold: bool,
) -> AppResult<()> {
    let retention_days = days(retention_days, true)?;
    let tx = db.write().await?;
    let c = channel::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("channel"))?;
    let ws = c.workspace_id;
    let mut am: channel::ActiveModel = c.into();
    am.retention_days = Set(retention_days);
    am.legal_hold = Set(legal_hold);
    am.update(&*tx).await?;
    let details = serde_json::json!({ "retention_days": retention_days, "legal_hold": legal_hold });
    let event = AuditEvent::new(admin, "channel.retention_set").workspace(ws).target("channel", id);
    audit::record(&*tx, event.details(details)).await?;
    tx.commit().await
}

/// Puts a person's messages on legal hold, or takes them off.
pub async fn set_person_hold(db: &Db, admin: Option<Uuid>, id: Uuid, legal_hold: bool) -> AppResult<()> {
    let tx = db.write().await?;
    let u = user::Entity::find_by_id(id).one(&*tx).await?.ok_or(AppError::NotFound("user"))?;
    let mut am: user::ActiveModel = u.into();
    am.legal_hold = Set(legal_hold);
    am.update(&*tx).await?;
    let details = serde_json::json!({ "legal_hold": legal_hold });
    audit::record(&*tx, AuditEvent::new(admin, "user.legal_hold_set").target("user", id).details(details)).await?;
    tx.commit().await
}

/// Each channel's cutoff (messages created before it go), held channels left out.
async fn cutoffs(state: &AppState, now: i64) -> AppResult<Vec<(channel::Model, i64)>> {
    let conn = &state.db.conn;
    let policies: std::collections::HashMap<Uuid, Option<i32>> =
        workspace::Entity::find().all(conn).await?.into_iter().map(|w| (w.id, w.retention_days)).collect();
    let mut out = Vec::new();
    for c in channel::Entity::find().filter(channel::Column::LegalHold.eq(false)).all(conn).await? {
        let effective = match c.retention_days {
            Some(0) => None,
            Some(d) => Some(d),
            None => policies.get(&c.workspace_id).copied().flatten(),
        };
        if let Some(d) = effective.filter(|d| *d > 0) {
            out.push((c, now - i64::from(d) * DAY_MS));
        }
    }
    Ok(out)
}

fn expired(channel_id: Uuid, cutoff: i64) -> Condition {
    Condition::all()
        .add(message::Column::ChannelId.eq(channel_id))
        .add(message::Column::CreatedAt.lt(cutoff))
        .add(message::Column::DeletedAt.is_null())
        .add(
            message::Column::AuthorId.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(user::Column::LegalHold.eq(true))
                    .to_owned(),
            ),
        )
}

/// Applies every policy now: answers how many messages became tombstones.
pub async fn run(state: &AppState, counter: Arc<Counter>) -> AppResult<Finished> {
    let conn = &state.db.conn;
    let now = now_ms();
    let channels = cutoffs(state, now).await?;
    let mut total = 0;
    for (c, cutoff) in &channels {
        total += message::Entity::find().filter(expired(c.id, *cutoff)).count(conn).await?;
    }
    counter.total.store(total, Ordering::Relaxed);
    let mut done = 0u64;
    let mut per_workspace: std::collections::BTreeMap<Uuid, u64> = Default::default();
    for (c, cutoff) in &channels {
        loop {
            let batch = message::Entity::find()
                .filter(expired(c.id, *cutoff))
                .order_by_asc(message::Column::Id)
                .limit(BATCH)
                .all(conn)
                .await?;
            if batch.is_empty() {
                break;
            }
            let tx = state.db.write().await?;
            let mut n = 0;
            for m in &batch {
                if crate::messages::service::tombstone(&tx, m, c.workspace_id).await? {
                    n += 1;
                }
            }
            tx.commit().await?;
            done += n;
            *per_workspace.entry(c.workspace_id).or_default() += n;
            counter.done.store(done, Ordering::Relaxed);
        }
    }
    let tx = state.db.write().await?;
    for (ws, n) in &per_workspace {
        let details = serde_json::json!({ "deleted": n });
        audit::record(&*tx, AuditEvent::new(None, "retention.applied").workspace(*ws).details(details)).await?;
    }
    tx.commit().await?;
    Ok(Finished { result: Some(serde_json::json!({ "deleted": done, "channels": channels.len() })), expires_at: None })
}

/// Whether a scheduled run is due: some policy exists and no run started in the last day.
pub async fn due(state: &AppState) -> AppResult<bool> {
    let conn = &state.db.conn;
    let any = workspace::Entity::find().filter(workspace::Column::RetentionDays.is_not_null()).count(conn).await? > 0
        || channel::Entity::find().filter(channel::Column::RetentionDays.gt(0)).count(conn).await? > 0;
    if !any {
        return Ok(false);
    }
    let last = tasks::recent(conn, RETENTION, 1).await?;
    let recent_enough = last.first().and_then(|t| crate::clock::parse_rfc3339(&t.created_at));
    Ok(recent_enough.is_none_or(|at| now_ms() - at > RUN_EVERY_MS))
}

/// Starts a run now unless one is waiting or running.
pub async fn start(db: &Db, admin: Option<Uuid>) -> AppResult<TaskView> {
    let last = tasks::recent(&db.conn, RETENTION, 1).await?;
    if last.first().is_some_and(|t| t.state == "queued" || t.state == "running") {
        return Err(AppError::conflict("task_running", "a retention run is already waiting or running"));
    }
    tasks::start(db, admin, RETENTION, serde_json::json!({})).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceRetention {
    /// Days messages are kept (1 to 36,500); null: forever.
    pub retention_days: Option<i32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelRetention {
    /// null: the workspace's policy; 0: forever; else days (up to 36,500).
    pub retention_days: Option<i32>,
    /// Keep everything, whatever the policy says.
    #[serde(default)]
    pub legal_hold: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonHold {
    pub legal_hold: bool,
}
