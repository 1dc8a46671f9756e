//! Enqueue, claim, finish and fail job rows.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::model::job;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppResult;
use crate::settings::JobSettings;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const FAILED: &str = "failed";

/// A job to write with the change that needs it.
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    pub delay_ms: i64,
}

impl NewJob {
    fn row(&self, id: Uuid, now: i64) -> job::ActiveModel {
        job::ActiveModel {
            id: Set(id),
            kind: Set(self.kind.to_owned()),
            payload: Set(self.payload.to_string()),
            state: Set(QUEUED.into()),
            attempts: Set(0),
            max_attempts: Set(Ord::max(self.max_attempts, 1)),
            run_at: Set(now + Ord::max(self.delay_ms, 0)),
            locked_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
    }
}

/// Writes a job; pass the transaction of the change that needs it.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &'static str,
    payload: &serde_json::Value,
    max_attempts: i32,
    delay_ms: i64,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let job = NewJob { kind, payload: payload.clone(), max_attempts, delay_ms };
    job::Entity::insert(job.row(id, now_ms())).exec_without_returning(conn).await?;
    Ok(id)
}

/// Writes several jobs in one statement.
pub async fn enqueue_all(conn: &impl ConnectionTrait, jobs: impl IntoIterator<Item = NewJob>) -> AppResult<()> {
    let now = now_ms();
    let rows: Vec<_> = jobs.into_iter().map(|j| j.row(Uuid::now_v7(), now)).collect();
    if !rows.is_empty() {
        job::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

fn queued_due(now: i64) -> Condition {
    Condition::all().add(job::Column::State.eq(QUEUED)).add(job::Column::RunAt.lte(now))
}

/// A running job whose lease ran out belongs to a worker that died.
fn lease_expired(now: i64) -> Condition {
    Condition::all().add(job::Column::State.eq(RUNNING)).add(job::Column::LockedUntil.lte(now))
}

fn due() -> Condition {
    let now = now_ms();
    Condition::any().add(queued_due(now)).add(lease_expired(now))
}

/// Claims the next due job of one of `kinds`, leasing it for `lease_s` seconds.
/// PostgreSQL skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); SQLite has a
/// single writer, so the write transaction alone makes the claim exclusive.
///
/// `done`: a job this worker completed, deleted in the same transaction as the claim —
/// one turn at the write gate per job instead of two, which is what lets the queue keep
/// some pace while requests keep the gate busy. Once this returns Ok, it is deleted.
pub async fn claim(db: &Db, kinds: &[&'static str], lease_s: i64, done: Option<Uuid>) -> AppResult<Option<job::Model>> {
    if kinds.is_empty() {
        finish_alone(db, done).await?;
        return Ok(None);
    }
    // Look before taking the write gate: an idle worker polling must not queue behind
    // (or hold up) the writes of requests.
    let anything_due = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(due())
        .filter(job::Column::Kind.is_in(kinds.iter().copied()))
        .into_tuple::<Uuid>()
        .one(&db.conn)
        .await?;
    if anything_due.is_none() {
        finish_alone(db, done).await?;
        return Ok(None);
    }
    let tx = db.write().await?;
    if let Some(id) = done {
        finish(&*tx, id).await?;
    }
    // A worker died during a job's last allowed attempt: park it rather than run it again.
    let now = now_ms();
    job::Entity::update_many()
        .col_expr(job::Column::State, FAILED.into())
        .col_expr(job::Column::LockedUntil, Option::<i64>::None.into())
        .col_expr(job::Column::LastError, Some("the worker stopped during the last attempt").into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::State.eq(RUNNING))
        .filter(job::Column::LockedUntil.lte(now))
        .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
        .exec(&*tx)
        .await?;
    // Abandoned jobs first, then the queue in run_at order. Asked apart: one condition
    // with OR cannot walk the (state, run_at) index in order, and sorting every due job
    // took milliseconds once thousands waited.
    let mut found = None;
    for waiting in [lease_expired(now), queued_due(now)] {
        let mut select = job::Entity::find()
            .filter(waiting)
            // Never claim an exhausted job, even one the sweep above did not see yet.
            .filter(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
            .filter(job::Column::Kind.is_in(kinds.iter().copied()))
            .order_by_asc(job::Column::RunAt)
            .limit(1);
        if db.backend() == DbBackend::Postgres {
            select = select
                .lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked);
        }
        found = select.one(&*tx).await?;
        if found.is_some() {
            break;
        }
    }
    let Some(row) = found else {
        tx.commit().await?;
        return Ok(None);
    };
    let now = now_ms();
    let mut am: job::ActiveModel = row.into();
    am.state = Set(RUNNING.into());
    am.attempts = Set(am.attempts.as_ref() + 1);
    am.locked_until = Set(Some(now + lease_s * 1000));
    am.updated_at = Set(now);
    let claimed = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(Some(claimed))
}

/// Extends a running job's lease by `lease_s` from now.
pub async fn renew(conn: &impl ConnectionTrait, id: Uuid, lease_s: i64) -> AppResult<()> {
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Some(now_ms() + lease_s * 1000).into())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(RUNNING))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn finish(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    job::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// Deletes a completed job in a transaction of its own (nothing to claim with it).
pub async fn finish_alone(db: &Db, done: Option<Uuid>) -> AppResult<()> {
    if let Some(id) = done {
        let tx = db.write().await?;
        finish(&*tx, id).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Seconds to wait after the `attempt`-th failure: base · 2^(attempt-1), capped.
pub fn backoff_s(attempt: i32, settings: &JobSettings) -> i64 {
    let exp = Ord::min(u32::try_from(attempt.saturating_sub(1)).unwrap_or(0), 30);
    Ord::min(settings.backoff_base_s.saturating_mul(1i64 << exp), settings.backoff_max_s)
}

/// Records a failure: back to the queue after a backoff, or parked as failed.
pub async fn fail(conn: &impl ConnectionTrait, row: &job::Model, error: &str, settings: &JobSettings) -> AppResult<()> {
    let now = now_ms();
    let exhausted = row.attempts >= row.max_attempts;
    let state = if exhausted { FAILED } else { QUEUED };
    let run_at = now + backoff_s(row.attempts, settings) * 1000;
    job::Entity::update_many()
        .col_expr(job::Column::State, state.into())
        .col_expr(job::Column::RunAt, run_at.into())
        .col_expr(job::Column::LockedUntil, Option::<i64>::None.into())
        .col_expr(job::Column::LastError, Some(error.chars().take(2000).collect::<String>()).into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Id.eq(row.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Makes every waiting or parked job of `kinds` due now, with its attempts reset (a
/// dependency that was down is back). Returns how many.
pub async fn wake(conn: &impl ConnectionTrait, kinds: &[&str]) -> AppResult<u64> {
    let now = now_ms();
    let done = job::Entity::update_many()
        .col_expr(job::Column::State, QUEUED.into())
        .col_expr(job::Column::RunAt, now.into())
        .col_expr(job::Column::Attempts, 0.into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Kind.is_in(kinds.iter().copied()))
        .filter(job::Column::State.is_in([QUEUED, FAILED]))
        .exec(conn)
        .await?;
    Ok(done.rows_affected)
}

/// Counts per state, for the admin dashboard and metrics.
pub async fn counts(conn: &impl ConnectionTrait) -> AppResult<Vec<(String, i64)>> {
    Ok(job::Entity::find()
        .select_only()
        .column(job::Column::State)
        .column_as(Expr::col(job::Column::Id).count(), "n")
        .group_by(job::Column::State)
        .into_tuple()
        .all(conn)
        .await?)
}
