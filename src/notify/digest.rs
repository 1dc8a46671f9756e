//! The `email.digest` job: when someone's digest is due, everything still unread that
//! waits for them goes into one mail — unless they are here (connected and active: they
//! see it live), on do-not-disturb (held until it ends), or were mailed less than a
//! window ago (held until the window ends). Read, deleted or no longer visible messages
//! are dropped; with nothing left, no mail.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::decide::DIGEST_JOB;
use super::model::{digest, pending};
use super::prefs::Choice;
use super::{digest_mail, unsubscribe};
use crate::accounts::model::user;
use crate::channels::model::{channel, member};
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::jobs::{queue, JobFuture, JobHandler};
use crate::mail::outbox;
use crate::messages::model::message;
use crate::state::AppState;

pub const DIGEST_KIND: &str = "digest";
const JOB_ATTEMPTS: i32 = 10;

pub struct Digest;

impl JobHandler for Digest {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            match payload.get("user_id").and_then(|v| v.as_str()).and_then(|s| s.parse::<Uuid>().ok()) {
                Some(id) => run(&state, id).await.map_err(anyhow::Error::from),
                None => Ok(()),
            }
        })
    }
}

/// A pending notification that still deserves a mail, with what it is about.
pub struct Item {
    pub message: message::Model,
    pub channel: channel::Model,
}

async fn run(state: &AppState, user_id: Uuid) -> AppResult<()> {
    let conn = &state.db.conn;
    let settings = &state.settings.email;
    let Some(u) = user::Entity::find_by_id(user_id).one(conn).await? else { return Ok(()) };
    let row = digest::Entity::find_by_id(user_id).one(conn).await?;
    let now = now_ms();
    if row.as_ref().and_then(|r| r.due_at).is_some_and(|due| due > now + 1000) {
        // Another job holds the real time (this one ran early or twice).
        return Ok(());
    }
    let choice = Choice::of(&u);
    if u.deactivated_at.is_some() || u.is_bot || choice.delay_ms(settings).is_none() {
        return clear(state, user_id).await;
    }
    if u.dnd {
        return hold(state, user_id, now + settings.dnd_recheck_ms()).await;
    }
    if let Some(window_ends) = row.as_ref().and_then(|r| r.last_sent_at).map(|l| l + choice.window_ms(settings)) {
        if window_ends > now + 1000 {
            return hold(state, user_id, window_ends).await;
        }
    }
    if super::is_here(state, user_id) {
        return clear(state, user_id).await;
    }
    let items = unread_items(conn, user_id).await?;
    if items.is_empty() {
        return clear(state, user_id).await;
    }
    let unsubscribe_url = unsubscribe::url(state, user_id);
    let draft = digest_mail::compose(conn, &state.settings, &u, &items, unsubscribe_url).await?;
    let tx = state.db.write().await?;
    outbox::enqueue(&*tx, &state.settings, DIGEST_KIND, Some(user_id), &draft).await?;
    pending::Entity::delete_many().filter(pending::Column::UserId.eq(user_id)).exec(&*tx).await?;
    set_row(&*tx, user_id, None, Some(now)).await?;
    tx.commit().await?;
    metrics::counter!("parley_email_digests_total").increment(1);
    Ok(())
}

/// Notifications of `user_id` still worth a mail, oldest first.
async fn unread_items(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<Item>> {
    let waiting = pending::Entity::find().filter(pending::Column::UserId.eq(user_id)).all(conn).await?;
    let messages = message::Entity::find()
        .filter(message::Column::Id.is_in(waiting.iter().map(|p| p.message_id)))
        .filter(message::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let channel_ids: Vec<Uuid> = messages.iter().map(|m| m.channel_id).collect();
    let channels: HashMap<Uuid, channel::Model> = channel::Entity::find()
        .filter(channel::Column::Id.is_in(channel_ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let memberships: HashMap<Uuid, member::Model> = member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .filter(member::Column::ChannelId.is_in(channel_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.channel_id, m))
        .collect();
    let mut items: Vec<Item> = messages
        .into_iter()
        .filter_map(|m| {
            let mem = memberships.get(&m.channel_id)?;
            let still_wanted = !mem.muted && mem.notify_level != "none" && m.seq > mem.last_read_seq;
            let channel = channels.get(&m.channel_id)?.clone();
            still_wanted.then_some(Item { message: m, channel })
        })
        .collect();
    items.sort_by_key(|i| (i.message.created_at, i.message.id));
    Ok(items)
}

/// Nothing to mail now: what waits is dropped and no digest is scheduled.
async fn clear(state: &AppState, user_id: Uuid) -> AppResult<()> {
    let tx = state.db.write().await?;
    pending::Entity::delete_many().filter(pending::Column::UserId.eq(user_id)).exec(&*tx).await?;
    let last = digest::Entity::find_by_id(user_id).one(&*tx).await?.and_then(|r| r.last_sent_at);
    set_row(&*tx, user_id, None, last).await?;
    tx.commit().await?;
    Ok(())
}

/// Not yet: the digest runs again at `at`, with whatever still waits then.
async fn hold(state: &AppState, user_id: Uuid, at: i64) -> AppResult<()> {
    let tx = state.db.write().await?;
    let last = digest::Entity::find_by_id(user_id).one(&*tx).await?.and_then(|r| r.last_sent_at);
    set_row(&*tx, user_id, Some(at), last).await?;
    queue::enqueue(&*tx, DIGEST_JOB, &serde_json::json!({ "user_id": user_id }), JOB_ATTEMPTS, at - now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

async fn set_row(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    due_at: Option<i64>,
    last_sent_at: Option<i64>,
) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    digest::Entity::insert(digest::ActiveModel {
        user_id: Set(user_id),
        due_at: Set(due_at),
        last_sent_at: Set(last_sent_at),
    })
    .on_conflict(
        OnConflict::column(digest::Column::UserId)
            .update_columns([digest::Column::DueAt, digest::Column::LastSentAt])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}
