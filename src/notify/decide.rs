//! Who should hear about a new message by mail, decided by a job written in the same
//! transaction as the message: the others in a direct or group conversation, people
//! @named (and, unless their level is "mentions", those reached by @channel), and the
//! followers of a thread — its starter, everyone who replied, everyone mentioned in it.
//! Muted channels, the level "none", bots, deactivated people, those who chose "never"
//! and those who are here (connected and active: the message reaches them live) are
//! left out. Each notification waits in `email_pending`; the person's
//! digest is scheduled when the first one arrives.
//!
//! @here is never mailed: it means "whoever is here now".
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::candidates;
use super::model::{digest, pending};
use super::prefs::Choice;
use crate::access::ChannelKind;
use crate::accounts::model::user;
use crate::channels::model::{channel, member};
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::mail::settings::EmailSettings;
use crate::messages::model::message;
use crate::state::AppState;

pub const DECIDE_JOB: &str = "email.decide";
pub const DIGEST_JOB: &str = "email.digest";
const JOB_ATTEMPTS: i32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Dm,
    Mention,
    Thread,
    ChannelMention,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dm => "dm",
            Self::Mention => "mention",
            Self::Thread => "thread",
            Self::ChannelMention => "channel_mention",
        }
    }
}

/// For the transaction that posts `msg`: the job that decides on mails, when someone may
/// need one.
pub fn job_for_message(
    channel_kind: ChannelKind,
    msg: &message::Model,
    mentions: &[(Uuid, &'static str)],
) -> Option<queue::NewJob> {
    let conversation = matches!(channel_kind, ChannelKind::Direct | ChannelKind::Group);
    let mentioned = mentions.iter().any(|(_, kind)| *kind != "here");
    (conversation || mentioned || msg.thread_root_id.is_some()).then(|| queue::NewJob {
        kind: DECIDE_JOB,
        payload: serde_json::json!({ "message_id": msg.id }),
        max_attempts: JOB_ATTEMPTS,
        delay_ms: 0,
    })
}

pub struct Decide;

impl JobHandler for Decide {
    fn run(&self, state: AppState, payload: serde_json::Value) -> JobFuture {
        self.run_many(state, vec![payload])
    }
    fn batches(&self) -> bool {
        true
    }
    /// A claimed batch is decided in a handful of reads and one write for all of it.
    fn run_many(&self, state: AppState, payloads: Vec<serde_json::Value>) -> JobFuture {
        let ids: Vec<Uuid> = payloads.iter().filter_map(|p| crate::jobs::uuid_in(p, "message_id")).collect();
        Box::pin(async move { decide(&state, ids).await.map_err(anyhow::Error::from) })
    }
}

pub fn register(registry: &mut JobRegistry) {
    registry.register(DECIDE_JOB, Arc::new(Decide));
    registry.register(DIGEST_JOB, Arc::new(super::digest::Digest));
}

async fn decide(state: &AppState, message_ids: Vec<Uuid>) -> AppResult<()> {
    let wanted = wanted(state, message_ids).await?;
    file(state, &wanted).await
}

/// Who should hear about which message, and the choices that schedule their digests.
#[derive(Default)]
pub struct Wanted {
    notifications: Vec<(Uuid, Uuid, Reason)>,
    choices: BTreeMap<Uuid, Choice>,
    messages: Vec<Uuid>,
}

impl Wanted {
    pub fn is_empty(&self) -> bool {
        self.notifications.is_empty()
    }
}

/// Reads who should hear about `message_ids` (those not deleted).
pub async fn wanted(state: &AppState, message_ids: Vec<Uuid>) -> AppResult<Wanted> {
    if message_ids.is_empty() {
        return Ok(Wanted::default());
    }
    let conn = &state.db.conn;
    let msgs = message::Entity::find()
        .filter(message::Column::Id.is_in(message_ids))
        .filter(message::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let channel_ids: HashSet<Uuid> = msgs.iter().map(|m| m.channel_id).collect();
    let channels: HashMap<Uuid, channel::Model> = channel::Entity::find()
        .filter(channel::Column::Id.is_in(channel_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let candidates = candidates::gather(conn, &msgs, &channels).await?;
    let people_ids: HashSet<Uuid> = candidates.values().flat_map(|c| c.keys().copied()).collect();
    if people_ids.is_empty() {
        return Ok(Wanted::default());
    }
    let members: HashMap<(Uuid, Uuid), member::Model> = member::Entity::find()
        .filter(member::Column::ChannelId.is_in(channels.keys().copied()))
        .filter(member::Column::UserId.is_in(people_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| ((m.channel_id, m.user_id), m))
        .collect();
    let people: HashMap<Uuid, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(people_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut wanted = Vec::new();
    // Sorted: two nodes scheduling the same people take their digest rows in one order.
    let mut choices: BTreeMap<Uuid, Choice> = BTreeMap::new();
    for msg in &msgs {
        for (user_id, reason) in candidates.get(&msg.id).into_iter().flatten() {
            let (Some(u), Some(m)) = (people.get(user_id), members.get(&(msg.channel_id, *user_id))) else { continue };
            let level_allows = match m.notify_level.as_str() {
                "none" => false,
                "mentions" => *reason != Reason::ChannelMention,
                _ => true,
            };
            let choice = Choice::of(u);
            let unwanted = m.muted || !level_allows || u.is_bot || u.deactivated_at.is_some();
            if unwanted || choice.delay_ms(&state.settings.email).is_none() || super::is_here(state, u.id) {
                continue;
            }
            wanted.push((msg.id, u.id, *reason));
            choices.insert(u.id, choice);
        }
    }
    Ok(Wanted { notifications: wanted, choices, messages: msgs.iter().map(|m| m.id).collect() })
}

/// Files what `wanted` read and schedules the digests, in one transaction.
pub async fn file(state: &AppState, wanted: &Wanted) -> AppResult<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let tx = state.db.write().await?;
    let rows = wanted.notifications.iter().map(|(message_id, user_id, reason)| pending::ActiveModel {
        user_id: Set(*user_id),
        message_id: Set(*message_id),
        reason: Set(reason.as_str().into()),
        created_at: Set(now),
    });
    // A job run again after a crash finds its rows there already: nothing to insert.
    pending::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([pending::Column::UserId, pending::Column::MessageId])
        .exec_without_returning(&*tx)
        .await?;
    // A message deleted since `wanted` read it withdrew its notifications before these
    // were written: withdraw them again. (On PostgreSQL a delete committing while this
    // transaction runs can still leave some behind; the digest skips deleted messages.)
    let deleted_since = Query::select()
        .column(message::Column::Id)
        .from(message::Entity)
        .and_where(message::Column::Id.is_in(wanted.messages.iter().copied()))
        .and_where(message::Column::DeletedAt.is_not_null())
        .to_owned();
    pending::Entity::delete_many().filter(pending::Column::MessageId.in_subquery(deleted_since)).exec(&*tx).await?;
    for (user_id, choice) in &wanted.choices {
        schedule(&*tx, &state.settings.email, *user_id, *choice, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A schedule this far past its time belongs to a digest job that failed for good; a
/// new notification then schedules afresh rather than waiting behind it forever.
const STALE_SCHEDULE_MS: i64 = 3_600_000;

/// Makes sure a digest is scheduled for `user_id`: when their delay has passed, and not
/// sooner than one window after their last mail. One already scheduled stays as it is;
/// the check and the write are one statement, so two nodes never schedule two.
pub async fn schedule(
    conn: &impl ConnectionTrait,
    settings: &EmailSettings,
    user_id: Uuid,
    choice: Choice,
    now: i64,
) -> AppResult<()> {
    let Some(delay) = choice.delay_ms(settings) else { return Ok(()) };
    let last = digest::Entity::find_by_id(user_id).one(conn).await?.and_then(|r| r.last_sent_at);
    let due = Ord::max(now + delay, last.map_or(0, |l| l + choice.window_ms(settings)));
    let due_at = || Expr::col((digest::Entity, digest::Column::DueAt));
    let unscheduled = due_at().is_null().or(due_at().lt(now - STALE_SCHEDULE_MS));
    let written = digest::Entity::insert(digest::ActiveModel {
        user_id: Set(user_id),
        due_at: Set(Some(due)),
        last_sent_at: Set(last),
    })
    .on_conflict(
        OnConflict::column(digest::Column::UserId)
            .update_column(digest::Column::DueAt)
            .action_and_where(unscheduled)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if written == 1 {
        queue::enqueue(conn, DIGEST_JOB, &serde_json::json!({ "user_id": user_id }), JOB_ATTEMPTS, due - now).await?;
    }
    Ok(())
}
