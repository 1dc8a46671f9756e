//! Enqueue, claim, finish and fail job rows.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
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

/// Extends the leases of running jobs by `lease_s` from now.
pub async fn renew(conn: &impl ConnectionTrait, ids: &[Uuid], lease_s: i64) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Some(now_ms() + lease_s * 1000).into())
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .filter(job::Column::State.eq(RUNNING))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes completed jobs.
pub async fn finish(conn: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<()> {
    if !ids.is_empty() {
        job::Entity::delete_many().filter(job::Column::Id.is_in(ids.iter().copied())).exec(conn).await?;
    }
    Ok(())
}

/// Hands claimed jobs that never started back to the queue, their attempt not counted.
pub async fn release(conn: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    job::Entity::update_many()
        .col_expr(job::Column::State, QUEUED.into())
        .col_expr(job::Column::LockedUntil, Option::<i64>::None.into())
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).sub(1))
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .filter(job::Column::State.eq(RUNNING))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes completed jobs and releases unstarted ones in a transaction of their own.
pub async fn settle(db: &Db, done: &[Uuid], unstarted: &[Uuid]) -> AppResult<()> {
    if done.is_empty() && unstarted.is_empty() {
        return Ok(());
    }
    let tx = db.write().await?;
    finish(&*tx, done).await?;
    release(&*tx, unstarted).await?;
    tx.commit().await?;
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
    let done = due_now_afresh()
        .filter(job::Column::Kind.is_in(kinds.iter().copied()))
        .filter(job::Column::State.is_in([QUEUED, FAILED]))
        .exec(conn)
        .await?;
    Ok(done.rows_affected)
}

/// An update that makes jobs queued, due now, with their attempts starting over.
fn due_now_afresh() -> sea_orm::UpdateMany<job::Entity> {
    let now = now_ms();
    job::Entity::update_many()
        .col_expr(job::Column::State, QUEUED.into())
        .col_expr(job::Column::RunAt, now.into())
        .col_expr(job::Column::Attempts, 0.into())
        .col_expr(job::Column::UpdatedAt, now.into())
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

/// Puts a failed job back in the queue, due now with its attempts starting over.
/// Answers false if it is not (or no longer) failed.
pub async fn retry_failed(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    let done = due_now_afresh().filter(job::Column::Id.eq(id)).filter(job::Column::State.eq(FAILED)).exec(conn).await?;
    Ok(done.rows_affected == 1)
}

/// Forgets a failed job. Answers false if it is not (or no longer) failed.
pub async fn discard_failed(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    let done = job::Entity::delete_many()
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(FAILED))
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}
