//! Turning recorded events into deliveries, inside the transaction that made them: a
//! change and the promise to tell its subscribers commit together or not at all.
//! Workspace hooks hear public channels only, channel hooks their channel; direct
//! conversations are never sent anywhere. Messages by outgoing-hook identities (their
//! replies) are not sent back out, so two hooks cannot feed each other.
use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::Value;
use uuid::Uuid;

use super::model::{delivery, hook, PENDING};
use super::service::EVENTS;
use crate::access::ChannelKind;
use crate::channels::model::channel;
use crate::clock::{now_ms, rfc3339};
use crate::db::Db;
use crate::error::AppResult;
use crate::jobs::queue;
use crate::realtime::event::{kind, Event};

pub const DELIVER_JOB: &str = "webhooks.deliver";

/// Job-level retries cover the worker's own failures (the database); the receiver's
/// failures are retried by the delivery's own schedule.
pub const JOB_ATTEMPTS: i32 = 10;
/// The envelope's version; a change that breaks receivers gets a new one.
pub const ENVELOPE_VERSION: u32 = 1;

/// The body of a delivery: the event's type and time, where it happened, and the same
/// view of the thing the API returns.
pub fn envelope(event_type: &str, at_ms: i64, workspace_id: Uuid, channel_id: Option<Uuid>, data: &Value) -> String {
    serde_json::json!({
        "type": event_type,
        "version": ENVELOPE_VERSION,
        "timestamp": rfc3339(at_ms),
        "workspace_id": workspace_id,
        "channel_id": channel_id,
        "data": data,
    })
    .to_string()
}

struct Subscription {
    hook: hook::Model,
    events: Vec<String>,
    trigger_words: Option<Vec<String>>,
}

impl Subscription {
    fn wants(&self, e: &Event, channel_kind: Option<ChannelKind>) -> bool {
        if !self.events.contains(&e.kind) {
            return false;
        }
        let in_scope = match self.hook.channel_id {
            Some(id) => e.channel_id == Some(id),
            None => channel_kind == Some(ChannelKind::Public),
        };
        in_scope && self.matches_text(e)
    }

    /// Trigger words and prefix filter new and edited messages; other events pass.
    fn matches_text(&self, e: &Event) -> bool {
        if e.kind != kind::MESSAGE_CREATED && e.kind != kind::MESSAGE_EDITED {
            return true;
        }
        if self.trigger_words.is_none() && self.hook.prefix.is_none() {
            return true;
        }
        let text = e.data.get("text").and_then(Value::as_str).unwrap_or("").trim_start();
        let first = text.split_whitespace().next().unwrap_or("").to_lowercase();
        let by_word = self.trigger_words.as_ref().is_some_and(|w| w.contains(&first));
        let by_prefix = self.hook.prefix.as_deref().is_some_and(|p| text.starts_with(p));
        by_word || by_prefix
    }
}

fn author_of(e: &Event) -> Option<Uuid> {
    e.data.get("author")?.get("id")?.as_str()?.parse().ok()
}

/// At start-up: tells the SQLite write gate whether any hook is stored (see
/// `Db::expect_outgoing_hooks`).
pub async fn note_stored_hooks(db: &Db) -> AppResult<()> {
    if hook::Entity::find().select_only().column(hook::Column::Id).into_tuple::<Uuid>().one(&db.conn).await?.is_some() {
        db.expect_outgoing_hooks();
    }
    Ok(())
}

/// Writes a delivery and its job for every enabled subscription that wants one of
/// `events`. Costs one indexed query when no hook exists in their workspaces.
pub async fn record(conn: &impl ConnectionTrait, events: &[Event]) -> AppResult<()> {
    let candidates: Vec<&Event> = events
        .iter()
        .filter(|e| e.workspace_id.is_some() && e.channel_id.is_some() && EVENTS.contains(&e.kind.as_str()))
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let workspaces: HashSet<Uuid> = candidates.iter().filter_map(|e| e.workspace_id).collect();
    let hooks = hook::Entity::find()
        .filter(hook::Column::WorkspaceId.is_in(workspaces))
        .filter(hook::Column::Enabled.eq(true))
        .all(conn)
        .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let kinds = channel_kinds(conn, &candidates, &hooks).await?;
    let hook_authors: HashSet<Uuid> = hooks.iter().map(|h| h.bot_user_id).collect();
    let subs: Vec<Subscription> = hooks
        .into_iter()
        .map(|h| Subscription {
            events: serde_json::from_str(&h.events).unwrap_or_default(),
            trigger_words: h.trigger_words.as_deref().and_then(|t| serde_json::from_str(t).ok()),
            hook: h,
        })
        .collect();
    let now = now_ms();
    for e in candidates {
        if author_of(e).is_some_and(|a| hook_authors.contains(&a)) {
            continue;
        }
        let channel_kind = e.channel_id.and_then(|c| kinds.get(&c).copied());
        if channel_kind.is_some_and(ChannelKind::is_conversation) {
            continue;
        }
        let Some(ws) = e.workspace_id else { continue };
        for s in subs.iter().filter(|s| s.hook.workspace_id == ws && s.wants(e, channel_kind)) {
            let payload = envelope(&e.kind, e.at, ws, e.channel_id, &e.data);
            enqueue(conn, s.hook.id, &e.kind, payload, e.pos, now).await?;
        }
    }
    Ok(())
}

/// Channel kinds, looked up only when a workspace-wide hook needs them (a channel
/// hook's own channel is never a direct conversation).
async fn channel_kinds(
    conn: &impl ConnectionTrait,
    events: &[&Event],
    hooks: &[hook::Model],
) -> AppResult<HashMap<Uuid, ChannelKind>> {
    if hooks.iter().all(|h| h.channel_id.is_some()) {
        return Ok(HashMap::new());
    }
    let ids: HashSet<Uuid> = events.iter().filter_map(|e| e.channel_id).collect();
    let rows: Vec<(Uuid, String)> = channel::Entity::find()
        .select_only()
        .column(channel::Column::Id)
        .column(channel::Column::Kind)
        .filter(channel::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, k)| (id, ChannelKind::parse(&k))).collect())
}

/// One delivery and the job that sends it.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    hook_id: Uuid,
    event_type: &str,
    payload: String,
    event_pos: Option<i64>,
    now: i64,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let job_id = queue::enqueue(conn, DELIVER_JOB, &serde_json::json!({"delivery_id": id}), JOB_ATTEMPTS, 0).await?;
    delivery::Entity::insert(delivery::ActiveModel {
        id: Set(id),
        hook_id: Set(hook_id),
        event_type: Set(event_type.to_owned()),
        payload: Set(payload),
        event_pos: Set(event_pos),
        state: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        job_id: Set(Some(job_id)),
        created_at: Set(now),
        finished_at: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::event::Audience;

    fn sub(channel: Option<Uuid>, words: Option<&[&str]>, prefix: Option<&str>) -> Subscription {
        let hook = hook::Model {
            id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            channel_id: channel,
            bot_user_id: Uuid::nil(),
            name: "h".into(),
            url: "https://example.com/".into(),
            events: "[]".into(),
            trigger_words: None,
            prefix: prefix.map(str::to_owned),
            secret_sealed: String::new(),
            previous_secret_sealed: None,
            previous_secret_until: None,
            ordered: true,
            enabled: true,
            disabled_reason: None,
            consecutive_failures: 0,
            failing_since: None,
            created_by: Uuid::nil(),
            created_at: 0,
            last_delivery_at: None,
        };
        Subscription {
            hook,
            events: vec![kind::MESSAGE_CREATED.into(), kind::MEMBER_JOINED.into()],
            trigger_words: words.map(|w| w.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    fn event(kind: &str, channel: Uuid, text: &str) -> Event {
        Event {
            kind: kind.into(),
            pos: Some(1),
            at: 0,
            audience: Audience::Channel,
            workspace_id: Some(Uuid::nil()),
            channel_id: Some(channel),
            user_id: None,
            data: serde_json::json!({"text": text}),
        }
    }

    #[test]
    fn workspace_hooks_hear_public_channels_only() {
        let c = Uuid::now_v7();
        let s = sub(None, None, None);
        let e = event(kind::MESSAGE_CREATED, c, "hi");
        assert!(s.wants(&e, Some(ChannelKind::Public)));
        assert!(!s.wants(&e, Some(ChannelKind::Private)));
        assert!(!s.wants(&e, None));
        assert!(!s.wants(&event(kind::MESSAGE_DELETED, c, ""), Some(ChannelKind::Public)));
    }

    #[test]
    fn channel_hooks_hear_their_channel() {
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let s = sub(Some(mine), None, None);
        assert!(s.wants(&event(kind::MESSAGE_CREATED, mine, "x"), None));
        assert!(!s.wants(&event(kind::MESSAGE_CREATED, other, "x"), Some(ChannelKind::Public)));
    }

    #[test]
    fn trigger_words_and_prefix_filter_messages_only() {
        let c = Uuid::now_v7();
        let s = sub(Some(c), Some(&["deploy"]), Some("!"));
        assert!(s.wants(&event(kind::MESSAGE_CREATED, c, "Deploy prod"), None));
        assert!(s.wants(&event(kind::MESSAGE_CREATED, c, "!status"), None));
        assert!(!s.wants(&event(kind::MESSAGE_CREATED, c, "please deploy"), None));
        assert!(!s.wants(&event(kind::MESSAGE_CREATED, c, "deployment"), None));
        assert!(s.wants(&event(kind::MEMBER_JOINED, c, ""), None));
    }
}
