//! Everyone who might hear of each message of a batch, each with their strongest
//! reason: the others in a direct or group conversation, people @named or reached by
//! @channel, and the followers of a thread (its starter, everyone who replied, everyone
//! mentioned in it). One query per kind of reason for the whole batch, not per message.
use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::decide::Reason;
use crate::access::ChannelKind;
use crate::channels::model::{channel, member};
use crate::error::AppResult;
use crate::messages::model::{mention, message};

/// Message id → person → reason.
pub type Candidates = HashMap<Uuid, HashMap<Uuid, Reason>>;

fn add(out: &mut Candidates, msg: &message::Model, user: Uuid, reason: Reason) {
    if user != msg.author_id {
        let r = out.entry(msg.id).or_default().entry(user).or_insert(reason);
        *r = (*r).min(reason);
    }
}

pub async fn gather(
    conn: &impl ConnectionTrait,
    msgs: &[message::Model],
    channels: &HashMap<Uuid, channel::Model>,
) -> AppResult<Candidates> {
    let mut out = Candidates::new();
    conversations(conn, msgs, channels, &mut out).await?;
    mentions(conn, msgs, &mut out).await?;
    threads(conn, msgs, &mut out).await?;
    Ok(out)
}

async fn conversations(
    conn: &impl ConnectionTrait,
    msgs: &[message::Model],
    channels: &HashMap<Uuid, channel::Model>,
    out: &mut Candidates,
) -> AppResult<()> {
    let conversations: Vec<Uuid> = channels
        .values()
        .filter(|c| matches!(ChannelKind::parse(&c.kind), ChannelKind::Direct | ChannelKind::Group))
        .map(|c| c.id)
        .collect();
    if conversations.is_empty() {
        return Ok(());
    }
    let rows: Vec<(Uuid, Uuid)> = member::Entity::find()
        .select_only()
        .column(member::Column::ChannelId)
        .column(member::Column::UserId)
        .filter(member::Column::ChannelId.is_in(conversations))
        .into_tuple()
        .all(conn)
        .await?;
    let mut by_channel: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (channel_id, user_id) in rows {
        by_channel.entry(channel_id).or_default().push(user_id);
    }
    for msg in msgs {
        for &user in by_channel.get(&msg.channel_id).into_iter().flatten() {
            add(out, msg, user, Reason::Dm);
        }
    }
    Ok(())
}

async fn mentions(conn: &impl ConnectionTrait, msgs: &[message::Model], out: &mut Candidates) -> AppResult<()> {
    let by_id: HashMap<Uuid, &message::Model> = msgs.iter().map(|m| (m.id, m)).collect();
    let rows =
        mention::Entity::find().filter(mention::Column::MessageId.is_in(by_id.keys().copied())).all(conn).await?;
    for m in rows {
        let Some(msg) = by_id.get(&m.message_id) else { continue };
        match (m.user_id, m.kind.as_str()) {
            (Some(u), "user") => add(out, msg, u, Reason::Mention),
            (Some(u), "channel") => add(out, msg, u, Reason::ChannelMention),
            _ => {}
        }
    }
    Ok(())
}

async fn threads(conn: &impl ConnectionTrait, msgs: &[message::Model], out: &mut Candidates) -> AppResult<()> {
    let roots: HashSet<Uuid> = msgs.iter().filter_map(|m| m.thread_root_id).collect();
    if roots.is_empty() {
        return Ok(());
    }
    let thread: Vec<(Uuid, Uuid, Option<Uuid>)> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .column(message::Column::AuthorId)
        .column(message::Column::ThreadRootId)
        .filter(
            Condition::any()
                .add(message::Column::Id.is_in(roots.iter().copied()))
                .add(message::Column::ThreadRootId.is_in(roots.iter().copied())),
        )
        .filter(message::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let root_of: HashMap<Uuid, Uuid> = thread.iter().map(|(id, _, root)| (*id, root.unwrap_or(*id))).collect();
    let mut followers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (id, author, root) in &thread {
        followers.entry(root.unwrap_or(*id)).or_default().push(*author);
    }
    let mentioned: Vec<(Uuid, Option<Uuid>)> = mention::Entity::find()
        .select_only()
        .column(mention::Column::MessageId)
        .column(mention::Column::UserId)
        .filter(mention::Column::MessageId.is_in(root_of.keys().copied()))
        .filter(mention::Column::Kind.eq("user"))
        .into_tuple()
        .all(conn)
        .await?;
    for (message_id, user) in mentioned {
        if let (Some(user), Some(root)) = (user, root_of.get(&message_id)) {
            followers.entry(*root).or_default().push(user);
        }
    }
    for msg in msgs {
        let Some(root) = msg.thread_root_id else { continue };
        for &user in followers.get(&root).into_iter().flatten() {
            add(out, msg, user, Reason::Thread);
        }
    }
    Ok(())
}
