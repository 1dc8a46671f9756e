//! Long work an administrator starts from the dashboard: a row in `admin_tasks` that
//! every node's pages read for progress, run by a durable job in a lane of its own (so
//! an hour-long export holds up neither indexing nor mail). A task that fails is marked
//! so with the error; a node that dies mid-task leaves the job to be claimed again.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::error::{AppError, AppResult};
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::search::reindex::{Counter, Progress};
use crate::state::AppState;

pub mod model {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub state: String,
        pub requested_by: Option<Uuid>,
        pub params: String,
        pub done: i64,
        pub total: i64,
        pub error: Option<String>,
        pub result: Option<String>,
        pub created_at: i64,
        pub started_at: Option<i64>,
        pub finished_at: Option<i64>,
        pub expires_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
use model as task;

pub const JOB: &str = "admin.task";
pub const LANE: &str = "admin";
pub const SEARCH_REBUILD: &str = "search_rebuild";
pub const COMPLIANCE_EXPORT: &str = "compliance_export";
pub const RETENTION: &str = "retention";

const QUEUED: &str = "queued";
const RUNNING: &str = "running";
const DONE: &str = "done";
const FAILED: &str = "failed";
/// How often a running task's progress is written where the pages read it.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    /// `search_rebuild`, `compliance_export` or `retention`.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub requested_by: Option<Uuid>,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub done: i64,
    pub total: i64,
    /// done / total, 0 to 100 (100 once finished).
    pub percent: u8,
    pub error: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub expires_at: Option<String>,
}

impl From<task::Model> for TaskView {
    fn from(t: task::Model) -> Self {
        let percent = if t.state == DONE {
            100
        } else {
            u8::try_from((t.done.max(0) * 100).checked_div(t.total).unwrap_or(0).clamp(0, 100)).unwrap_or(0)
        };
        Self {
            id: t.id,
            kind: t.kind,
            state: t.state,
            requested_by: t.requested_by,
            params: serde_json::from_str(&t.params).unwrap_or(serde_json::Value::Null),
            done: t.done,
            total: t.total,
            percent,
            error: t.error,
            result: t.result.as_deref().and_then(|r| serde_json::from_str(r).ok()),
            created_at: rfc3339(t.created_at),
            started_at: opt_rfc3339(t.started_at),
            finished_at: opt_rfc3339(t.finished_at),
            expires_at: opt_rfc3339(t.expires_at),
        }
    }
}

pub fn register(registry: &mut JobRegistry) {
    registry.register_in_lane(JOB, Arc::new(RunTask), LANE);
}

/// Writes a task and the job that runs it, audited; answers it. `admin`: who asked (None:
/// Parley itself, on schedule).
pub async fn start(
    db: &crate::db::Db,
    admin: Option<Uuid>,
    kind: &'static str,
    params: serde_json::Value,
) -> AppResult<TaskView> {
    let now = now_ms();
    let tx = db.write().await?;
    let row = task::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind.into()),
        state: Set(QUEUED.into()),
        requested_by: Set(admin),
        params: Set(params.to_string()),
        done: Set(0),
        total: Set(0),
        error: Set(None),
        result: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        expires_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    queue::enqueue(&*tx, JOB, &serde_json::json!({ "task_id": row.id }), 3, 0).await?;
    let event = AuditEvent::new(admin, "task.started").target("task", row.id);
    audit::record(&*tx, event.details(serde_json::json!({ "kind": kind, "params": params }))).await?;
    tx.commit().await?;
    Ok(row.into())
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<task::Model> {
    task::Entity::find_by_id(id).one(conn).await?.ok_or(AppError::NotFound("task"))
}

/// The newest tasks of one kind.
pub async fn recent(conn: &impl ConnectionTrait, kind: &str, limit: u64) -> AppResult<Vec<TaskView>> {
    recent_of(conn, kind, limit, None).await
}

/// The newest tasks of one kind, only those `requester` asked for when given.
pub async fn recent_of(
    conn: &impl ConnectionTrait,
    kind: &str,
    limit: u64,
    requester: Option<Uuid>,
) -> AppResult<Vec<TaskView>> {
    let mut find = task::Entity::find().filter(task::Column::Kind.eq(kind));
    if let Some(by) = requester {
        find = find.filter(task::Column::RequestedBy.eq(by));
    }
    let rows = find.order_by_desc(task::Column::CreatedAt).limit(limit).all(conn).await?;
    Ok(rows.into_iter().map(TaskView::from).collect())
}

async fn set(state: &AppState, id: Uuid, update: impl FnOnce(&mut task::ActiveModel)) -> AppResult<()> {
    let tx = state.db.write().await?;
    let mut am: task::ActiveModel = get(&*tx, id).await?.into();
    update(&mut am);
    am.update(&*tx).await?;
    tx.commit().await
}

/// What a finished task leaves: its result (JSON) and when that expires.
pub struct Finished {
    pub result: Option<serde_json::Value>,
    pub expires_at: Option<i64>,
}

/// Copies `counter` into the task's row every second until `work` ends. The copying runs
/// on a task of its own: on SQLite a write waits for the write gate, which `work` may hold
/// in the middle of a transaction, so it must never wait in a place that stops `work`.
async fn with_progress<F>(state: &AppState, id: Uuid, counter: Arc<Counter>, work: F) -> AppResult<Finished>
where
    F: std::future::Future<Output = AppResult<Finished>>,
{
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let reporter = {
        let (state, counter) = (state.clone(), counter.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(PROGRESS_EVERY) => {}
                }
                let (done, total) = counts(&counter);
                if let Err(e) = set(&state, id, |am| {
                    am.done = Set(done);
                    am.total = Set(total);
                })
                .await
                {
                    tracing::warn!(task_id = %id, error = %e, "recording a task's progress");
                }
            }
        })
    };
    let out = work.await;
    let _ = stop.send(());
    let _ = reporter.await;
    out
}

fn counts(counter: &Counter) -> (i64, i64) {
    let (done, total) = (counter.done.load(Ordering::Relaxed), counter.total.load(Ordering::Relaxed));
    (i64::try_from(done).unwrap_or(i64::MAX), i64::try_from(total).unwrap_or(i64::MAX))
}

async fn run(state: &AppState, id: Uuid) -> AppResult<()> {
    let row = get(&state.db.conn, id).await?;
    if row.state == DONE || row.state == FAILED {
        return Ok(());
    }
    set(state, id, |am| {
        am.state = Set(RUNNING.into());
        am.started_at = Set(Some(now_ms()));
        am.error = Set(None);
    })
    .await?;
    let counter = Arc::new(Counter::default());
    let work = async {
        match row.kind.as_str() {
            SEARCH_REBUILD => {
                let out = state.search.rebuild(Progress::counted(counter.clone())).await?;
                let result =
                    serde_json::json!({"indexed": out.indexed, "removed": out.removed, "seconds": out.seconds});
                Ok(Finished { result: Some(result), expires_at: None })
            }
            COMPLIANCE_EXPORT => super::export::run(state, &row, counter.clone()).await,
            RETENTION => super::retention::run(state, counter.clone()).await,
            other => Err(anyhow::anyhow!("unknown task kind {other}").into()),
        }
    };
    let outcome = with_progress(state, id, counter.clone(), work).await;
    let (done, total) = counts(&counter);
    match outcome {
        Ok(f) => {
            set(state, id, |am| {
                am.state = Set(DONE.into());
                am.done = Set(done);
                am.total = Set(total);
                am.result = Set(f.result.map(|r| r.to_string()));
                am.expires_at = Set(f.expires_at);
                am.finished_at = Set(Some(now_ms()));
            })
            .await
        }
        Err(e) => {
            let message = e.to_string();
            set(state, id, |am| {
                am.state = Set(FAILED.into());
                am.error = Set(Some(message.chars().take(2000).collect()));
                am.finished_at = Set(Some(now_ms()));
            })
            .await?;
            Err(e)
        }
    }
}

struct RunTask;

impl JobHandler for RunTask {
    /// A compliance export or a rebuild of a million messages takes a while.
    fn max_run_s(&self) -> Option<u64> {
        Some(24 * 3600)
    }

    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            let Some(id) = crate::jobs::uuid_in(&payload, "task_id") else { return Ok(()) };
            run(&state, id).await.map_err(anyhow::Error::from)
        })
    }
}
