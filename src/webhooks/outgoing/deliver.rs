//! The `webhooks.deliver` job: one attempt at one delivery. It signs the stored body
//! (same `webhook-id` every time, fresh timestamp), sends it through the guarded
//! outbound client, records the attempt, and in the same transaction either finishes
//! the delivery or writes the job for the next attempt — so a crash at any point leaves
//! either the old job (the attempt is made again) or the new one, never neither.
use std::sync::Arc;

use rand::Rng;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::fanout::{DELIVER_JOB, JOB_ATTEMPTS};
use super::model::{attempt, delivery, hook, DELIVERED, FAILED, PENDING};
use super::{notify, reply, service, signing};
use crate::clock::now_ms;
use crate::jobs::model::job;
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::outbound::{OutboundError, OutboundRequest, OutboundResponse};
use crate::settings::IntegrationSettings;
use crate::state::AppState;

/// Longest wait a `Retry-After` may ask for.
const RETRY_AFTER_MAX_S: u64 = 24 * 3600;
/// How long a delivery behind an earlier one waits before looking again, should the
/// earlier one's end not wake it.
const BLOCKED_RECHECK_MS: i64 = 30_000;
const EXCERPT_CHARS: usize = 1000;

pub struct Deliver;

impl JobHandler for Deliver {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            let id = crate::jobs::uuid_in(&payload, "delivery_id");
            match id {
                Some(id) => attempt_delivery(&state, id).await,
                None => Ok(()),
            }
        })
    }
    fn max_run_s(&self) -> Option<u64> {
        Some(60)
    }
}

pub fn register(registry: &mut JobRegistry) {
    registry.register_in_lane(DELIVER_JOB, Arc::new(Deliver), crate::jobs::OUTBOUND_LANE);
}

/// What one attempt came to.
enum Outcome {
    Delivered {
        status: u16,
        excerpt: String,
    },
    /// 410: the receiver is gone for good.
    Gone {
        excerpt: String,
    },
    Failed {
        status: Option<u16>,
        excerpt: Option<String>,
        error: Option<String>,
        retry_after_s: Option<u64>,
    },
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().filter(|c| !c.is_control() || *c == '\n').take(EXCERPT_CHARS).collect()
}

fn retry_after(resp: &OutboundResponse) -> Option<u64> {
    let raw = resp.headers.get("retry-after")?.to_str().ok()?.trim();
    let secs = match raw.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = httpdate::parse_http_date(raw).ok()?;
            at.duration_since(std::time::SystemTime::now()).map(|d| d.as_secs()).unwrap_or(0)
        }
    };
    Some(secs.min(RETRY_AFTER_MAX_S))
}

fn classify(result: Result<OutboundResponse, OutboundError>) -> Outcome {
    match result {
        Ok(resp) if (200..300).contains(&resp.status) => {
            Outcome::Delivered { status: resp.status, excerpt: excerpt(&resp.body) }
        }
        Ok(resp) if resp.status == 410 => Outcome::Gone { excerpt: excerpt(&resp.body) },
        Ok(resp) => Outcome::Failed {
            status: Some(resp.status),
            excerpt: Some(excerpt(&resp.body)),
            error: None,
            retry_after_s: retry_after(&resp),
        },
        Err(e) => Outcome::Failed { status: None, excerpt: None, error: Some(e.to_string()), retry_after_s: None },
    }
}

/// Milliseconds until attempt `attempts + 1`, or None when the schedule is used up.
fn next_delay_ms(settings: &IntegrationSettings, attempts: i32, retry_after_s: Option<u64>) -> Option<i64> {
    let base = *settings.webhook_retry_s.get(usize::try_from(attempts.max(1) - 1).ok()?)?;
    let jittered = (base as f64) * rand::rng().random_range(0.8..=1.2);
    let wait_s = jittered.max(retry_after_s.unwrap_or(0) as f64);
    Some((wait_s * 1000.0) as i64)
}

async fn attempt_delivery(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let conn = &state.db.conn;
    let Some(d) = delivery::Entity::find_by_id(id).one(conn).await? else { return Ok(()) };
    if d.state != PENDING {
        return Ok(());
    }
    let Some(h) = hook::Entity::find_by_id(d.hook_id).one(conn).await? else { return Ok(()) };
    let now = now_ms();
    if d.next_attempt_at > now + 1000 {
        // Run before its time (an earlier delivery's end woke it): keep its place.
        return requeue(state, &d, d.next_attempt_at).await;
    }
    if !h.enabled {
        return give_up(state, &h, &d, "the hook is turned off").await;
    }
    if h.ordered {
        if let Some(earlier) = earlier_pending(conn, &d).await? {
            return requeue(state, &d, earlier.next_attempt_at.max(now) + BLOCKED_RECHECK_MS).await;
        }
    }
    if !creator_still_allowed(conn, &h).await? {
        return give_up(state, &h, &d, "the hook's creator can no longer see where it listens").await;
    }
    let keys = service::signing_keys(&state.sealer, &h)?;
    let webhook_id = super::log::webhook_id(d.id);
    let timestamp = now / 1000;
    let body = d.payload.clone().into_bytes();
    let request = OutboundRequest {
        method: Method::POST,
        url: h.url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("user-agent".into(), concat!("Parley-Webhooks/", env!("CARGO_PKG_VERSION")).into()),
            ("webhook-id".into(), webhook_id.clone()),
            ("webhook-timestamp".into(), timestamp.to_string()),
            ("webhook-signature".into(), signing::signature_header(&keys, &webhook_id, timestamp, &body)),
        ],
        body: Some(body),
    };
    let started = std::time::Instant::now();
    let result = state.outbound.send(request).await;
    let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let answer = match &result {
        Ok(resp) if (200..300).contains(&resp.status) => reply::message_of(&resp.body),
        _ => None,
    };
    let disabled = record(state, &h, &d, classify(result), latency_ms).await?;
    if let Some(msg) = answer {
        if let Err(e) = reply::post(state, &h, &d, msg).await {
            tracing::warn!(hook_id = %h.id, error = %e, "could not post an outgoing hook's reply");
        }
    }
    if let Some(reason) = disabled {
        notify::hook_disabled(state, &h, &reason).await;
    }
    Ok(())
}

/// The earliest delivery of the same hook from before this one that is still pending.
async fn earlier_pending(conn: &impl ConnectionTrait, d: &delivery::Model) -> anyhow::Result<Option<delivery::Model>> {
    let Some(pos) = d.event_pos else { return Ok(None) };
    Ok(delivery::Entity::find()
        .filter(delivery::Column::HookId.eq(d.hook_id))
        .filter(delivery::Column::State.eq(PENDING))
        .filter(delivery::Column::EventPos.lt(pos))
        .order_by_asc(delivery::Column::EventPos)
        .one(conn)
        .await?)
}

/// A hook speaks for its creator: it hears only what they may still see.
async fn creator_still_allowed(conn: &impl ConnectionTrait, h: &hook::Model) -> anyhow::Result<bool> {
    let active = crate::accounts::model::user::Entity::find_by_id(h.created_by)
        .one(conn)
        .await?
        .is_some_and(|u| u.deactivated_at.is_none());
    if !active {
        return Ok(false);
    }
    Ok(match h.channel_id {
        Some(c) => crate::access::channel(conn, h.created_by, c, crate::access::Need::Read).await.is_ok(),
        None => crate::access::workspace(conn, h.created_by, h.workspace_id).await.is_ok_and(|w| w.role.is_admin()),
    })
}

/// Puts the delivery's next run at `at` with a new job (the running one ends).
async fn requeue(state: &AppState, d: &delivery::Model, at: i64) -> anyhow::Result<()> {
    let tx = state.db.write().await?;
    let job_id = new_job(&*tx, d.id, at).await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::JobId, Some(job_id).into())
        .filter(delivery::Column::Id.eq(d.id))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn new_job(conn: &impl ConnectionTrait, delivery_id: Uuid, at: i64) -> anyhow::Result<Uuid> {
    let payload = serde_json::json!({"delivery_id": delivery_id});
    Ok(queue::enqueue(conn, DELIVER_JOB, &payload, JOB_ATTEMPTS, at - now_ms()).await?)
}

async fn give_up(state: &AppState, h: &hook::Model, d: &delivery::Model, why: &str) -> anyhow::Result<()> {
    let tx = state.db.write().await?;
    let now = now_ms();
    attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(d.id),
        hook_id: Set(h.id),
        at: Set(now),
        status: Set(None),
        latency_ms: Set(0),
        response_excerpt: Set(None),
        error: Set(Some(why.to_owned())),
    }
    .insert(&*tx)
    .await?;
    finish(&*tx, d, FAILED, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a delivery and wakes the next one of its hook.
async fn finish(conn: &impl ConnectionTrait, d: &delivery::Model, state: &str, now: i64) -> anyhow::Result<()> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, state.into())
        .col_expr(delivery::Column::FinishedAt, Some(now).into())
        .col_expr(delivery::Column::JobId, Option::<Uuid>::None.into())
        .filter(delivery::Column::Id.eq(d.id))
        .exec(conn)
        .await?;
    let next = delivery::Entity::find()
        .filter(delivery::Column::HookId.eq(d.hook_id))
        .filter(delivery::Column::State.eq(PENDING))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(delivery::Column::EventPos)
        .one(conn)
        .await?;
    if let Some(job_id) = next.and_then(|n| n.job_id) {
        job::Entity::update_many()
            .col_expr(job::Column::RunAt, now.into())
            .filter(job::Column::Id.eq(job_id))
            .filter(job::Column::State.eq(queue::QUEUED))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Records the attempt and its consequences in one transaction. Returns why the hook
/// was turned off, if this attempt turned it off.
async fn record(
    state: &AppState,
    h: &hook::Model,
    d: &delivery::Model,
    outcome: Outcome,
    latency_ms: i32,
) -> anyhow::Result<Option<String>> {
    let settings = &state.settings.integrations;
    let tx = state.db.write().await?;
    let now = now_ms();
    let attempts = d.attempts + 1;
    let (status, excerpt, error) = match &outcome {
        Outcome::Delivered { status, excerpt } => (Some(*status), Some(excerpt.clone()), None),
        Outcome::Gone { excerpt } => (Some(410), Some(excerpt.clone()), None),
        Outcome::Failed { status, excerpt, error, .. } => (*status, excerpt.clone(), error.clone()),
    };
    attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(d.id),
        hook_id: Set(h.id),
        at: Set(now),
        status: Set(status.map(i32::from)),
        latency_ms: Set(latency_ms),
        response_excerpt: Set(excerpt.filter(|e| !e.is_empty())),
        error: Set(error.map(|e| e.chars().take(500).collect())),
    }
    .insert(&*tx)
    .await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Attempts, attempts.into())
        .filter(delivery::Column::Id.eq(d.id))
        .exec(&*tx)
        .await?;
    // The hook as it is now (another delivery may have changed its counters meanwhile).
    let current = hook::Entity::find_by_id(h.id).one(&*tx).await?.unwrap_or_else(|| h.clone());
    let mut am: hook::ActiveModel = current.clone().into();
    am.last_delivery_at = Set(Some(now));
    let mut disabled = None;
    match outcome {
        Outcome::Delivered { .. } => {
            am.consecutive_failures = Set(0);
            am.failing_since = Set(None);
            finish(&*tx, d, DELIVERED, now).await?;
        }
        Outcome::Gone { .. } => {
            disabled = Some("the receiver answered 410 Gone".to_owned());
            finish(&*tx, d, FAILED, now).await?;
        }
        Outcome::Failed { retry_after_s, .. } => {
            let failures = current.consecutive_failures.saturating_add(1);
            let since = current.failing_since.unwrap_or(now);
            am.consecutive_failures = Set(failures);
            am.failing_since = Set(Some(since));
            if failures >= settings.webhook_disable_after_failures
                && now - since >= settings.webhook_disable_after_s * 1000
            {
                disabled = Some(format!("{failures} failed attempts in a row"));
            }
            match next_delay_ms(settings, attempts, retry_after_s).filter(|_| disabled.is_none()) {
                Some(wait) => {
                    let at = now + wait;
                    let job_id = new_job(&*tx, d.id, at).await?;
                    delivery::Entity::update_many()
                        .col_expr(delivery::Column::NextAttemptAt, at.into())
                        .col_expr(delivery::Column::JobId, Some(job_id).into())
                        .filter(delivery::Column::Id.eq(d.id))
                        .exec(&*tx)
                        .await?;
                }
                None => finish(&*tx, d, FAILED, now).await?,
            }
        }
    }
    if let Some(reason) = &disabled {
        if current.enabled {
            am.enabled = Set(false);
            am.disabled_reason = Set(Some(reason.clone()));
        } else {
            disabled = None;
        }
    }
    am.update(&*tx).await?;
    tx.commit().await?;
    Ok(disabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(retry: Vec<u64>) -> IntegrationSettings {
        IntegrationSettings {
            hook_burst: 1,
            hook_per_minute: 1,
            allow_hosts: vec![],
            outbound_ports: vec![],
            webhook_retry_s: retry,
            webhook_disable_after_failures: 8,
            webhook_disable_after_s: 0,
            webhook_log_days: 1,
        }
    }

    #[test]
    fn the_schedule_is_jittered_and_ends() {
        let s = settings(vec![10, 100]);
        for _ in 0..50 {
            let first = next_delay_ms(&s, 1, None).unwrap();
            assert!((8_000..=12_000).contains(&first), "{first}");
        }
        assert!((80_000..=120_000).contains(&next_delay_ms(&s, 2, None).unwrap()));
        assert_eq!(next_delay_ms(&s, 3, None), None);
    }

    #[test]
    fn retry_after_only_lengthens_the_wait() {
        let s = settings(vec![10]);
        assert_eq!(next_delay_ms(&s, 1, Some(600)), Some(600_000));
        assert!(next_delay_ms(&s, 1, Some(1)).unwrap() >= 8_000);
    }
}
