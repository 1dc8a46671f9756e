//! Committing a group of writers: one COMMIT, then every member answered and their
//! events published in the order they were recorded.
use std::sync::atomic::Ordering;
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use tokio::sync::oneshot;

use super::{Gate, GroupGuard, Member, OpenGroup, Turn, WriteStats, GROUP_RELEASE, MAX_GROUP};
use crate::error::AppError;
use crate::realtime::bus::SharedBus;
use crate::realtime::event::Event;

/// Adds a writer whose savepoint is released to the open group and waits for its commit.
pub(super) async fn join(mut turn: Turn, events: Vec<Event>) -> Result<(), AppError> {
    turn.gate.stats.writers.fetch_add(1, Ordering::Relaxed);
    let (done, answer) = oneshot::channel();
    turn.group()?.members.push(Member { events, done });
    wait_for_group(turn, answer).await
}

/// Commits the group now if nobody else is queued (or it is full), else leaves it open
/// for the next writer with a flush queued behind them; then waits for the outcome.
pub(super) async fn wait_for_group(
    mut turn: Turn,
    answer: oneshot::Receiver<Result<(), String>>,
) -> Result<(), AppError> {
    turn.finished = true;
    let alone = turn.gate.waiting.load(Ordering::Acquire) == 0;
    let group = turn.group()?;
    if alone || group.members.len() >= MAX_GROUP {
        if let Some(guard) = turn.guard.take() {
            // The answer below tells how it went.
            let _ = finish(guard, &turn.gate.stats).await;
        }
    } else if !group.flush_requested {
        group.flush_requested = true;
        spawn_flush(&turn.gate);
    }
    drop(turn);
    match answer.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(anyhow::anyhow!("group commit failed: {e}").into()),
        Err(_) => Err(anyhow::anyhow!("group commit abandoned").into()),
    }
}

/// Commits the open group, if any, then answers its members and publishes their events.
/// On a task of its own that keeps the gate until it is done, so a cancelled caller can
/// neither stop a commit half way nor let the next group publish before this one.
pub(super) async fn finish(mut guard: GroupGuard, stats: &Arc<WriteStats>) -> Result<GroupGuard, sea_orm::DbErr> {
    let stats = stats.clone();
    tokio::spawn(async move {
        if let Some(group) = guard.take() {
            commit_group(group, stats).await;
        }
        guard
    })
    .await
    .map_err(|e| sea_orm::DbErr::Custom(format!("the group commit task failed: {e}")))
}

async fn commit_group(group: OpenGroup, stats: Arc<WriteStats>) {
    if let Err(e) = group.txn.execute_unprepared(GROUP_RELEASE).await {
        fail_group(group, &format!("the group's transaction was lost: {e}")).await;
        return;
    }
    let OpenGroup { txn, mut members, bus, .. } = group;
    let result = txn.commit().await;
    stats.commits.fetch_add(1, Ordering::Relaxed);
    match result {
        Ok(()) => {
            let events: Vec<Event> = members.iter_mut().flat_map(|m| std::mem::take(&mut m.events)).collect();
            publish(bus.as_ref(), events);
            for m in members {
                let _ = m.done.send(Ok(()));
            }
        }
        Err(e) => answer_failure(members, &e.to_string()),
    }
}

/// Rolls the group's transaction back and tells every member it failed.
pub(super) async fn fail_group(group: OpenGroup, reason: &str) {
    let OpenGroup { txn, members, .. } = group;
    if let Err(e) = txn.rollback().await {
        tracing::warn!(error = %e, "rolling back a failed write group");
    }
    answer_failure(members, reason);
}

fn answer_failure(members: Vec<Member>, reason: &str) {
    tracing::error!(error = %reason, writers = members.len(), "group commit failed");
    for m in members {
        let _ = m.done.send(Err(reason.to_owned()));
    }
}

/// Queues behind the writers waiting now and commits the group they leave open.
pub(super) fn spawn_flush(gate: &Gate) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let (group, stats) = (gate.group.clone(), gate.stats.clone());
    runtime.spawn(async move {
        let guard = group.lock_owned().await;
        if let Err(e) = finish(guard, &stats).await {
            tracing::error!(error = %e, "flushing a write group");
        }
    });
}

pub(super) fn publish(bus: Option<&SharedBus>, events: Vec<Event>) {
    if let Some(bus) = bus {
        if !events.is_empty() {
            bus.publish(events);
        }
    }
}
