//! Claiming due jobs, many at a time.
//!
//! A worker claims up to a batch of due jobs in one write transaction, which also
//! deletes the jobs it completed since its last claim. Under sustained posting the write
//! gate is busy with requests; one turn per batch instead of two per job is what lets
//! the queue keep up.
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::model::job;
use super::queue::{self, FAILED, QUEUED, RUNNING};
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppResult;

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

/// Claims up to `max` due jobs of `kinds`, leasing each for `lease_s` seconds, and
/// deletes `done` (jobs this worker completed) in the same transaction. PostgreSQL
/// skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); SQLite has a single
/// writer, so the write transaction alone makes the claim exclusive. Once this returns
/// Ok, `done` is deleted.
pub async fn claim(
    db: &Db,
    kinds: &[&'static str],
    lease_s: i64,
    done: &[Uuid],
    max: u64,
) -> AppResult<Vec<job::Model>> {
    if kinds.is_empty() {
        queue::settle(db, done, &[]).await?;
        return Ok(Vec::new());
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
        queue::settle(db, done, &[]).await?;
        return Ok(Vec::new());
    }
    let tx = db.write().await?;
    queue::finish(&*tx, done).await?;
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
    let mut ids: Vec<Uuid> = Vec::new();
    for waiting in [lease_expired(now), queued_due(now)] {
        let room = max.saturating_sub(ids.len() as u64);
        if room == 0 {
            break;
        }
        let mut select = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(waiting)
            // Never claim an exhausted job, even one the sweep above did not see yet.
            .filter(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
            .filter(job::Column::Kind.is_in(kinds.iter().copied()))
            .order_by_asc(job::Column::RunAt)
            .limit(room);
        if db.is_postgres() {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        ids.extend(select.into_tuple::<Uuid>().all(&*tx).await?);
    }
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let now = now_ms();
    let mut claimed = job::Entity::update_many()
        .col_expr(job::Column::State, RUNNING.into())
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).add(1))
        .col_expr(job::Column::LockedUntil, Some(now + lease_s * 1000).into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .exec_with_returning(&*tx)
        .await?;
    tx.commit().await?;
    // In the order they were chosen (RETURNING promises none).
    claimed.sort_by_key(|j| ids.iter().position(|id| *id == j.id));
    Ok(claimed)
}
