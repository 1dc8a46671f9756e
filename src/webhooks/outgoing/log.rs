//! The delivery log: every delivery of a hook with each attempt's time, status,
//! latency, answer excerpt or refusal reason; redelivering one, sending a test event,
//! and forgetting finished deliveries after `integrations.webhook_log_days`. Bodies are
//! not shown: a manager need not be able to read the channel the hook listens to.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::fanout::{self, envelope, DELIVER_JOB, JOB_ATTEMPTS};
use super::model::{attempt, delivery, hook, PENDING};
use crate::clock::{now_ms, opt_rfc3339, rfc3339};
use crate::error::{AppError, AppResult};
use crate::jobs::queue;

pub const TEST_EVENT: &str = "ping";
const PAGE_MAX: u64 = 100;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LogQuery {
    /// At most this many deliveries (default 50, at most 100), newest first.
    pub limit: Option<u64>,
    /// Deliveries older than this one.
    pub before: Option<Uuid>,
    /// Only `pending`, `delivered` or `failed` ones.
    pub state: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub at: String,
    /// The receiver's status; absent when there was no answer.
    pub status: Option<i32>,
    pub latency_ms: i32,
    pub response_excerpt: Option<String>,
    /// Why there was no answer (refused address, timeout, connection error).
    pub error: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The `webhook-id` header: the same on every attempt.
    pub webhook_id: String,
    pub event_type: String,
    /// pending, delivered or failed.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub attempt_log: Vec<AttemptView>,
}

pub fn webhook_id(delivery_id: Uuid) -> String {
    format!("msg_{}", delivery_id.simple())
}

fn view(d: &delivery::Model, attempts: Vec<AttemptView>) -> DeliveryView {
    DeliveryView {
        id: d.id,
        webhook_id: webhook_id(d.id),
        event_type: d.event_type.clone(),
        state: d.state.clone(),
        attempts: d.attempts,
        next_attempt_at: opt_rfc3339((d.state == PENDING).then_some(d.next_attempt_at)),
        created_at: rfc3339(d.created_at),
        finished_at: opt_rfc3339(d.finished_at),
        attempt_log: attempts,
    }
}

pub async fn list(conn: &impl ConnectionTrait, h: &hook::Model, q: &LogQuery) -> AppResult<Vec<DeliveryView>> {
    let mut select = delivery::Entity::find()
        .filter(delivery::Column::HookId.eq(h.id))
        .order_by_desc(delivery::Column::Id)
        .limit(q.limit.unwrap_or(50).clamp(1, PAGE_MAX));
    if let Some(before) = q.before {
        select = select.filter(delivery::Column::Id.lt(before));
    }
    if let Some(state) = q.state.as_deref() {
        if !matches!(state, "pending" | "delivered" | "failed") {
            return Err(AppError::invalid("state", "pending, delivered or failed"));
        }
        select = select.filter(delivery::Column::State.eq(state));
    }
    let deliveries = select.all(conn).await?;
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let mut by_delivery: HashMap<Uuid, Vec<AttemptView>> = HashMap::new();
    for a in attempt::Entity::find()
        .filter(attempt::Column::DeliveryId.is_in(ids))
        .order_by_asc(attempt::Column::Id)
        .all(conn)
        .await?
    {
        by_delivery.entry(a.delivery_id).or_default().push(AttemptView {
            at: rfc3339(a.at),
            status: a.status,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
        });
    }
    Ok(deliveries.iter().map(|d| view(d, by_delivery.remove(&d.id).unwrap_or_default())).collect())
}

/// Sends a finished delivery again, now, with the same `webhook-id` and body; its
/// retry schedule starts over. It waits for no earlier delivery.
pub async fn redeliver(conn: &impl ConnectionTrait, h: &hook::Model, delivery_id: Uuid) -> AppResult<DeliveryView> {
    let d = delivery::Entity::find_by_id(delivery_id)
        .one(conn)
        .await?
        .filter(|d| d.hook_id == h.id)
        .ok_or(AppError::NotFound("delivery"))?;
    if d.state == PENDING {
        return Err(AppError::conflict("already_pending", "this delivery is still being tried"));
    }
    if !h.enabled {
        return Err(AppError::conflict("hook_disabled", "turn the hook on first"));
    }
    let now = now_ms();
    let job_id = queue::enqueue(conn, DELIVER_JOB, &serde_json::json!({"delivery_id": d.id}), JOB_ATTEMPTS, 0).await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, PENDING.into())
        .col_expr(delivery::Column::Attempts, 0.into())
        .col_expr(delivery::Column::NextAttemptAt, now.into())
        .col_expr(delivery::Column::EventPos, Option::<i64>::None.into())
        .col_expr(delivery::Column::JobId, Some(job_id).into())
        .col_expr(delivery::Column::FinishedAt, Option::<i64>::None.into())
        .filter(delivery::Column::Id.eq(d.id))
        .exec(conn)
        .await?;
    let d = delivery::Entity::find_by_id(d.id).one(conn).await?.ok_or(AppError::NotFound("delivery"))?;
    Ok(view(&d, Vec::new()))
}

/// Queues a `ping` event for the hook (turned off or not: a test is how one checks a
/// receiver before turning it back on).
pub async fn send_test(conn: &impl ConnectionTrait, h: &hook::Model, actor: Uuid) -> AppResult<DeliveryView> {
    let now = now_ms();
    let data = serde_json::json!({"hook_id": h.id, "sent_by": actor, "text": "A test event from Parley."});
    let body = envelope(TEST_EVENT, now, h.workspace_id, h.channel_id, &data);
    let id = fanout::enqueue(conn, h.id, TEST_EVENT, body, None, now).await?;
    let d = delivery::Entity::find_by_id(id).one(conn).await?.ok_or(AppError::NotFound("delivery"))?;
    Ok(view(&d, Vec::new()))
}

/// Forgets finished deliveries (and their attempts) from before `cutoff_ms`.
pub async fn prune(conn: &impl ConnectionTrait, cutoff_ms: i64) -> AppResult<u64> {
    let old: Vec<Uuid> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::State.ne(PENDING))
        .filter(delivery::Column::FinishedAt.lt(cutoff_ms))
        .limit(5000)
        .into_tuple()
        .all(conn)
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    attempt::Entity::delete_many().filter(attempt::Column::DeliveryId.is_in(old.clone())).exec(conn).await?;
    Ok(delivery::Entity::delete_many().filter(delivery::Column::Id.is_in(old)).exec(conn).await?.rows_affected)
}
