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
use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::model::{digest, pending};
use super::prefs::Choice;
use crate::access::ChannelKind;
use crate::accounts::model::user;
use crate::channels::model::{channel, member};
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::jobs::{queue, JobFuture, JobHandler, JobRegistry};
use crate::mail::settings::EmailSettings;
use crate::messages::model::{mention, message};
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
        Box::pin(async move {
            match crate::jobs::uuid_in(&payload, "message_id") {
                Some(id) => decide(&state, id).await.map_err(anyhow::Error::from),
                None => Ok(()),
            }
        })
    }
}

pub fn register(registry: &mut JobRegistry) {
    registry.register(DECIDE_JOB, Arc::new(Decide));
    registry.register(DIGEST_JOB, Arc::new(super::digest::Digest));
}

async fn decide(state: &AppState, message_id: Uuid) -> AppResult<()> {
    let conn = &state.db.conn;
    let Some(msg) = message::Entity::find_by_id(message_id).one(conn).await? else { return Ok(()) };
    if msg.deleted_at.is_some() {
        return Ok(());
    }
    let Some(ch) = channel::Entity::find_by_id(msg.channel_id).one(conn).await? else { return Ok(()) };
    let candidates = candidates(conn, &ch, &msg).await?;
    if candidates.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = candidates.keys().copied().collect();
    let members: HashMap<Uuid, member::Model> = member::Entity::find()
        .filter(member::Column::ChannelId.eq(ch.id))
        .filter(member::Column::UserId.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m))
        .collect();
    let people = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(conn).await?;
    let mut wanted = Vec::new();
    for u in people {
        let (Some(reason), Some(m)) = (candidates.get(&u.id), members.get(&u.id)) else { continue };
        let level_allows = match m.notify_level.as_str() {
            "none" => false,
            "mentions" => *reason != Reason::ChannelMention,
            _ => true,
        };
        let choice = Choice::of(&u);
        let unwanted = m.muted || !level_allows || u.is_bot || u.deactivated_at.is_some();
        if unwanted || choice.delay_ms(&state.settings.email).is_none() || super::is_here(state, u.id) {
            continue;
        }
        wanted.push((u.id, *reason, choice));
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let tx = state.db.write().await?;
    let rows = wanted.iter().map(|(user_id, reason, _)| pending::ActiveModel {
        user_id: Set(*user_id),
        message_id: Set(msg.id),
        reason: Set(reason.as_str().into()),
        created_at: Set(now),
    });
    pending::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([pending::Column::UserId, pending::Column::MessageId])
        .exec(&*tx)
        .await?;
    for (user_id, _, choice) in &wanted {
        schedule(&*tx, &state.settings.email, *user_id, *choice, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Everyone who might hear of `msg`, each with the strongest reason.
async fn candidates(
    conn: &impl ConnectionTrait,
    ch: &channel::Model,
    msg: &message::Model,
) -> AppResult<HashMap<Uuid, Reason>> {
    let mut out: HashMap<Uuid, Reason> = HashMap::new();
    let mut add = |user: Uuid, reason: Reason| {
        if user != msg.author_id {
            let r = out.entry(user).or_insert(reason);
            *r = (*r).min(reason);
        }
    };
    if matches!(ChannelKind::parse(&ch.kind), ChannelKind::Direct | ChannelKind::Group) {
        let others: Vec<Uuid> = member::Entity::find()
            .select_only()
            .column(member::Column::UserId)
            .filter(member::Column::ChannelId.eq(ch.id))
            .into_tuple()
            .all(conn)
            .await?;
        for u in others {
            add(u, Reason::Dm);
        }
    }
    let mentions = mention::Entity::find().filter(mention::Column::MessageId.eq(msg.id)).all(conn).await?;
    for m in mentions {
        match (m.user_id, m.kind.as_str()) {
            (Some(u), "user") => add(u, Reason::Mention),
            (Some(u), "channel") => add(u, Reason::ChannelMention),
            _ => {}
        }
    }
    if let Some(root_id) = msg.thread_root_id {
        let thread: Vec<(Uuid, Uuid)> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::AuthorId)
            .filter(
                Condition::any().add(message::Column::Id.eq(root_id)).add(message::Column::ThreadRootId.eq(root_id)),
            )
            .filter(message::Column::DeletedAt.is_null())
            .into_tuple()
            .all(conn)
            .await?;
        let mentioned: Vec<Option<Uuid>> = mention::Entity::find()
            .select_only()
            .column(mention::Column::UserId)
            .filter(mention::Column::MessageId.is_in(thread.iter().map(|(id, _)| *id)))
            .filter(mention::Column::Kind.eq("user"))
            .into_tuple()
            .all(conn)
            .await?;
        for u in thread.iter().map(|(_, author)| *author).chain(mentioned.into_iter().flatten()) {
            add(u, Reason::Thread);
        }
    }
    Ok(out)
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
