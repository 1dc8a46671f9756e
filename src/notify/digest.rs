//! The `email.digest` job: when someone's digest is due, everything still unread that
//! waits for them goes into one mail — unless they are here (connected and active: they
//! see it live), on do-not-disturb (held until it ends), or were mailed less than a
//! window ago (held until the window ends). Read, deleted or no longer visible messages
//! are dropped; with nothing left, no mail.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
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
use crate::mail::compose::Draft;
use crate::mail::outbox;
use crate::messages::model::message;
use crate::state::AppState;

pub const DIGEST_KIND: &str = "digest";
const JOB_ATTEMPTS: i32 = 10;

pub struct Digest;

impl JobHandler for Digest {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        Box::pin(async move {
            match crate::jobs::uuid_in(&payload, "user_id") {
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
    let Some(due) = row.as_ref().and_then(|r| r.due_at) else {
        // Not the scheduled digest (a stale duplicate, or "never" was chosen meanwhile);
        // whatever waits gets a schedule of its own.
        return reschedule_if_waiting(state, &u).await;
    };
    if due > now + 1000 {
        // Another job holds the real time (this one ran early or twice).
        return Ok(());
    }
    let claim = Claim { user_id, due };
    let choice = Choice::of(&u);
    if u.deactivated_at.is_some() || u.is_bot || choice.delay_ms(settings).is_none() {
        return finish(state, &u, claim, Waiting::All, None).await;
    }
    if u.dnd {
        return hold(state, claim, now + settings.dnd_recheck_ms()).await;
    }
    if let Some(window_ends) = row.as_ref().and_then(|r| r.last_sent_at).map(|l| l + choice.window_ms(settings)) {
        if window_ends > now + 1000 {
            return hold(state, claim, window_ends).await;
        }
    }
    let waiting = pending::Entity::find().filter(pending::Column::UserId.eq(user_id)).all(conn).await?;
    let seen = Waiting::These(waiting.iter().map(|p| p.message_id).collect());
    if super::is_here(state, user_id) {
        return finish(state, &u, claim, seen, None).await;
    }
    let items = unread_items(conn, user_id, &waiting).await?;
    if items.is_empty() {
        return finish(state, &u, claim, seen, None).await;
    }
    let unsubscribe_url = unsubscribe::url(state, user_id);
    let draft = digest_mail::compose(conn, &state.settings, &u, &items, unsubscribe_url).await?;
    finish(state, &u, claim, seen, Some(draft)).await
}

/// The schedule this job found: it acts only if the schedule is still that one, so two
/// jobs for one person (two nodes, a retry) never both send.
#[derive(Clone, Copy)]
struct Claim {
    user_id: Uuid,
    due: i64,
}

impl Claim {
    /// Moves the schedule on (to `due_at`, or none), and records a mail sent now; false
    /// when another job got there first.
    async fn take(self, conn: &impl ConnectionTrait, due_at: Option<i64>, sent: bool) -> AppResult<bool> {
        let mut update = digest::Entity::update_many()
            .col_expr(digest::Column::DueAt, due_at.into())
            .filter(digest::Column::UserId.eq(self.user_id))
            .filter(digest::Column::DueAt.eq(self.due));
        if sent {
            update = update.col_expr(digest::Column::LastSentAt, Some(now_ms()).into());
        }
        Ok(update.exec(conn).await?.rows_affected == 1)
    }
}

/// Which notifications a digest has dealt with.
enum Waiting {
    /// Every one there is (the person is not mailed at all).
    All,
    /// Those it looked at; any that arrived since wait for the next digest.
    These(Vec<Uuid>),
}

/// Ends this digest: the mail (if any) is written, the notifications it dealt with are
/// dropped, and those that arrived meanwhile get a new schedule.
async fn finish(
    state: &AppState,
    u: &user::Model,
    claim: Claim,
    waiting: Waiting,
    mail: Option<Draft>,
) -> AppResult<()> {
    let tx = state.db.write().await?;
    if !claim.take(&*tx, None, mail.is_some()).await? {
        return Ok(());
    }
    if let Some(draft) = &mail {
        outbox::enqueue(&*tx, &state.settings, DIGEST_KIND, Some(u.id), draft).await?;
    }
    let mut dealt = pending::Entity::delete_many().filter(pending::Column::UserId.eq(u.id));
    if let Waiting::These(ids) = waiting {
        dealt = dealt.filter(pending::Column::MessageId.is_in(ids));
    }
    dealt.exec(&*tx).await?;
    tx.commit().await?;
    if mail.is_some() {
        metrics::counter!("parley_email_digests_total").increment(1);
    }
    reschedule_if_waiting(state, u).await
}

/// Not yet: the digest runs again at `at`, with whatever waits then.
async fn hold(state: &AppState, claim: Claim, at: i64) -> AppResult<()> {
    let tx = state.db.write().await?;
    if claim.take(&*tx, Some(at), false).await? {
        queue::enqueue(&*tx, DIGEST_JOB, &serde_json::json!({ "user_id": claim.user_id }), JOB_ATTEMPTS, at - now_ms())
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn reschedule_if_waiting(state: &AppState, u: &user::Model) -> AppResult<()> {
    let waiting = pending::Entity::find().filter(pending::Column::UserId.eq(u.id)).one(&state.db.conn).await?;
    if waiting.is_none() {
        return Ok(());
    }
    let tx = state.db.write().await?;
    super::decide::schedule(&*tx, &state.settings.email, u.id, Choice::of(u), now_ms()).await?;
    tx.commit().await
}

/// Notifications of `user_id` still worth a mail, oldest first.
async fn unread_items(conn: &impl ConnectionTrait, user_id: Uuid, waiting: &[pending::Model]) -> AppResult<Vec<Item>> {
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
