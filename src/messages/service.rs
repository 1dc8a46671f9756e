//! Posting, editing and deleting messages.
//!
//! A post takes the channel's row lock by bumping `last_seq` as the transaction's
//! first statement, so seqs are gapless and commit-ordered on both databases. A
//! repeated `client_msg_id` is caught by a unique index, not a prior lookup alone.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::cards::AppPost;
use super::markdown::{self, Rendered};
use super::model::{mention, message, pin, reaction};
use super::view::{self, MessageView};
use crate::access::{self, ChannelAccess};
use crate::accounts::model::user;
use crate::channels::model::{channel, member as channel_member};
use crate::clock::{now_ms, opt_rfc3339};
use crate::db::{is_unique_violation, Db, WriteTx};
use crate::error::{AppError, AppResult};
use crate::files;
use crate::jobs::queue;
use crate::realtime::event::{kind, NewEvent};
use crate::search;

pub const CLIENT_MSG_ID_MAX: usize = 64;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Markdown, at most 16,000 characters.
    pub text: String,
    /// Any string up to 64 characters, unique per author: resending it returns the
    /// message already created instead of a second one.
    pub client_msg_id: Option<String>,
    /// Reply in this message's thread.
    pub thread_root_id: Option<Uuid>,
    /// Up to 10 files uploaded to this channel by the author and not attached yet.
    /// With files, `text` may be empty.
    #[serde(default)]
    pub file_ids: Vec<Uuid>,
    /// Cards and app identity, from integrations only (never from a request body).
    #[serde(skip)]
    #[schema(ignore)]
    pub app: Option<AppPost>,
}

fn validate_text(text: &str, max_chars: usize, has_files: bool) -> AppResult<()> {
    if text.trim().is_empty() && !has_files {
        return Err(AppError::invalid("text", "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(AppError::invalid("text", format!("must be at most {max_chars} characters")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::invalid("text", "must not contain control characters"));
    }
    Ok(())
}

async fn find_by_client_id(conn: &impl ConnectionTrait, author: Uuid, cmid: &str) -> AppResult<Option<message::Model>> {
    Ok(message::Entity::find()
        .filter(message::Column::AuthorId.eq(author))
        .filter(message::Column::ClientMsgId.eq(cmid))
        .one(conn)
        .await?)
}

fn same_channel_or_conflict(existing: message::Model, channel_id: Uuid) -> AppResult<message::Model> {
    if existing.channel_id == channel_id {
        Ok(existing)
    } else {
        Err(AppError::conflict("client_msg_id_reused", "this client_msg_id was already used in another channel"))
    }
}

/// Users who get a mention row: named members of the channel, or every member for
/// @channel / @here — never the author. A message without mentions reads nothing (the
/// member list of a 5,000-person channel cost ≈20 ms per post).
async fn mentioned_users(
    conn: &impl ConnectionTrait,
    channel_id: Uuid,
    author: Uuid,
    r: &Rendered,
) -> AppResult<Vec<(Uuid, &'static str)>> {
    let mut out: Vec<(Uuid, &'static str)> = Vec::new();
    if !r.users.is_empty() {
        let in_channel = channel_member::Entity::find()
            .select_only()
            .column(channel_member::Column::UserId)
            .filter(channel_member::Column::ChannelId.eq(channel_id))
            .into_query();
        let named = user::Entity::find()
            .filter(user::Column::Username.is_in(r.users.clone()))
            .filter(user::Column::Id.in_subquery(in_channel))
            .filter(user::Column::Id.ne(author))
            .all(conn)
            .await?;
        out.extend(named.into_iter().map(|u| (u.id, "user")));
    }
    if r.channel || r.here {
        let kind = if r.channel { "channel" } else { "here" };
        let members = channel_member::Entity::find()
            .filter(channel_member::Column::ChannelId.eq(channel_id))
            .filter(channel_member::Column::UserId.ne(author))
            .all(conn)
            .await?;
        let named: std::collections::HashSet<Uuid> = out.iter().map(|(u, _)| *u).collect();
        out.extend(members.into_iter().filter(|m| !named.contains(&m.user_id)).map(|m| (m.user_id, kind)));
    }
    Ok(out)
}

async fn insert_mentions(
    conn: &impl ConnectionTrait,
    msg: &message::Model,
    users: &[(Uuid, &'static str)],
) -> AppResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let rows = users.iter().map(|(u, kind)| mention::ActiveModel {
        message_id: Set(msg.id),
        channel_id: Set(msg.channel_id),
        seq: Set(msg.seq),
        user_id: Set(Some(*u)),
        kind: Set((*kind).into()),
        ..Default::default()
    });
    mention::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// The root a reply attaches to: same channel, not deleted; replies to replies
/// attach to the original root.
async fn thread_root(conn: &impl ConnectionTrait, channel_id: Uuid, root_id: Uuid) -> AppResult<Uuid> {
    let root = message::Entity::find_by_id(root_id)
        .one(conn)
        .await?
        .filter(|m| m.channel_id == channel_id && m.deleted_at.is_none())
        .ok_or(AppError::NotFound("thread_root"))?;
    Ok(root.thread_root_id.unwrap_or(root.id))
}

/// Posts a message; returns it and whether it was newly created (false when the
/// `client_msg_id` had been seen before).
pub async fn post(
    db: &Db,
    access: &ChannelAccess,
    author: &user::Model,
    new: NewMessage,
    max_chars: usize,
) -> AppResult<(MessageView, bool)> {
    let me = author.id;
    let file_ids = files::service::validate_ids(&new.file_ids)?;
    let has_cards = new.app.as_ref().is_some_and(|a| !a.cards.is_empty());
    validate_text(&new.text, max_chars, !file_ids.is_empty() || has_cards)?;
    let channel_id = access.channel.id;
    if let Some(cmid) = &new.client_msg_id {
        if cmid.is_empty() || cmid.chars().count() > CLIENT_MSG_ID_MAX || cmid.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "client_msg_id",
                format!("must be 1 to {CLIENT_MSG_ID_MAX} printable characters"),
            ));
        }
        // A retry is found by the unique index when its insert fails (below): looking
        // first would cost every post a statement to spare the rare retry a rollback.
    }
    let root = match new.thread_root_id {
        Some(r) => Some(thread_root(&db.conn, channel_id, r).await?),
        None => None,
    };
    let rendered = markdown::render(&new.text);
    let mentions = mentioned_users(&db.conn, channel_id, me, &rendered).await?;
    let now = now_ms();

    let tx = db.write().await?;
    let bumped = channel::Entity::update_many()
        .col_expr(channel::Column::LastSeq, Expr::col(channel::Column::LastSeq).add(1))
        .col_expr(channel::Column::LastMessageAt, Some(now).into())
        .filter(channel::Column::Id.eq(channel_id))
        .filter(channel::Column::ArchivedAt.is_null())
        .exec_with_returning(&*tx)
        .await?;
    let seq = bumped
        .first()
        .map(|c| c.last_seq)
        .ok_or_else(|| AppError::conflict("channel_archived", "the channel is archived"))?;
    let row = message::ActiveModel {
        id: Set(Uuid::now_v7()),
        channel_id: Set(channel_id),
        seq: Set(seq),
        thread_root_id: Set(root),
        author_id: Set(me),
        client_msg_id: Set(new.client_msg_id.clone()),
        body: Set(new.text),
        body_html: Set(rendered.html),
        created_at: Set(now),
        edited_at: Set(None),
        deleted_at: Set(None),
        reply_count: Set(0),
        last_reply_at: Set(None),
        attachments: Set(new.app.as_ref().and_then(|a| a.cards_json())),
        app: Set(new.app.as_ref().and_then(|a| a.identity_json())),
    };
    let msg = match row.insert(&*tx).await {
        Ok(m) => m,
        Err(e) if is_unique_violation(&e) && new.client_msg_id.is_some() => {
            // A retry, or a concurrent request with the same client_msg_id that won: ours
            // rolls back (the seq bump with it) and answers the message already stored,
            // once that is durable: it may be in the group commit ours would have joined.
            tx.abandon().await?;
            let cmid = new.client_msg_id.as_deref().unwrap_or_default();
            let existing =
                find_by_client_id(&db.conn, me, cmid).await?.ok_or_else(|| anyhow::anyhow!("duplicate vanished"))?;
            let existing = same_channel_or_conflict(existing, channel_id)?;
            return Ok((view::view(&db.conn, &existing).await?, false));
        }
        Err(e) => return Err(e.into()),
    };
    insert_mentions(&*tx, &msg, &mentions).await?;
    let attached = files::service::attach(&*tx, &file_ids, msg.id, channel_id, me).await?;
    let decide = crate::notify::decide::job_for_message(access.kind, &msg, &mentions);
    queue::enqueue_all(&*tx, std::iter::once(search::jobs::job(msg.id)).chain(decide)).await?;
    let ws = access.channel.workspace_id;
    let view = view::fresh(&msg, author, attached);
    tx.emit(NewEvent::channel(
        kind::MESSAGE_CREATED,
        ws,
        channel_id,
        serde_json::to_value(&view).map_err(anyhow::Error::from)?,
    ));
    if let Some(root) = root {
        let updated = message::Entity::update_many()
            .col_expr(message::Column::ReplyCount, Expr::col(message::Column::ReplyCount).add(1))
            .col_expr(message::Column::LastReplyAt, Some(now).into())
            .filter(message::Column::Id.eq(root))
            .exec_with_returning(&*tx)
            .await?;
        // A root becomes a thread with its first reply (`is:thread`).
        if let Some(r) = updated.first().filter(|r| r.reply_count == 1) {
            search::jobs::enqueue(&*tx, r.id).await?;
        }
        emit_thread_updated(&tx, ws, updated.first());
    }
    // Your own message is read by you.
    channel_member::Entity::update_many()
        .col_expr(channel_member::Column::LastReadSeq, seq.into())
        .filter(channel_member::Column::ChannelId.eq(channel_id))
        .filter(channel_member::Column::UserId.eq(me))
        .filter(channel_member::Column::LastReadSeq.lt(seq))
        .exec(&*tx)
        .await?;
    tx.commit().await?;
    Ok((view, true))
}

fn emit_thread_updated(tx: &WriteTx, workspace_id: Uuid, root: Option<&message::Model>) {
    if let Some(root) = root {
        tx.emit(NewEvent::channel(
            kind::THREAD_UPDATED,
            workspace_id,
            root.channel_id,
            json!({"root_id": root.id, "reply_count": root.reply_count, "last_reply_at": opt_rfc3339(root.last_reply_at)}),
        ));
    }
}

/// Only the author edits; the text is re-rendered and its mentions replaced.
pub async fn edit(db: &Db, me: Uuid, message_id: Uuid, text: String, max_chars: usize) -> AppResult<MessageView> {
    let (msg, access) = access::message(db, me, message_id, access::Need::Post).await?;
    if msg.deleted_at.is_some() {
        return Err(AppError::NotFound("message"));
    }
    if msg.author_id != me {
        return Err(access::not_allowed("only the author may edit a message"));
    }
    let has_files = !files::view::by_message(&db.conn, vec![msg.id]).await?.is_empty();
    validate_text(&text, max_chars, has_files)?;
    let rendered = markdown::render(&text);
    let mentions = mentioned_users(&db.conn, access.channel.id, me, &rendered).await?;
    let tx = db.write().await?;
    let now = now_ms();
    super::revisions::keep_current(&*tx, msg.id, now).await?;
    // Only while not deleted: a delete that won the race keeps its tombstone.
    let updated = message::Entity::update_many()
        .col_expr(message::Column::Body, text.into())
        .col_expr(message::Column::BodyHtml, rendered.html.into())
        .col_expr(message::Column::EditedAt, Some(now).into())
        .filter(message::Column::Id.eq(msg.id))
        .filter(message::Column::DeletedAt.is_null())
        .exec_with_returning(&*tx)
        .await?
        .pop()
        .ok_or(AppError::NotFound("message"))?;
    mention::Entity::delete_many().filter(mention::Column::MessageId.eq(updated.id)).exec(&*tx).await?;
    insert_mentions(&*tx, &updated, &mentions).await?;
    search::jobs::enqueue(&*tx, updated.id).await?;
    let view = view::view(&*tx, &updated).await?;
    let data = serde_json::to_value(&view).map_err(anyhow::Error::from)?;
    tx.emit(NewEvent::channel(kind::MESSAGE_EDITED, access.channel.workspace_id, access.channel.id, data));
    tx.commit().await?;
    Ok(view)
}

/// The author or a channel manager deletes; the message stays as a tombstone so
/// seqs keep no gaps, and its text, reactions, mentions, pin and waiting mail
/// notifications are removed.
pub async fn delete(db: &Db, me: Uuid, message_id: Uuid) -> AppResult<()> {
    let (msg, access) = access::message(db, me, message_id, access::Need::Read).await?;
    if msg.deleted_at.is_some() {
        return Err(AppError::NotFound("message"));
    }
    if msg.author_id != me && !access.can_manage() {
        return Err(access::not_allowed("only the author or a channel admin may delete a message"));
    }
    let tx = db.write().await?;
    if !tombstone(&tx, &msg, access.channel.workspace_id).await? {
        // A concurrent delete won: its events and counts stand, ours would double them.
        return Err(AppError::NotFound("message"));
    }
    tx.commit().await?;
    Ok(())
}

/// Empties a message into a tombstone on `tx`: text, earlier texts, cards, reactions, mentions, pin,
/// waiting mail notifications and files go, its search document is dropped, a thread
/// root counts one reply less, and the channel hears of it. Answers false when it was
/// deleted already (nothing done).
pub async fn tombstone(tx: &crate::db::WriteTx, msg: &message::Model, ws: Uuid) -> AppResult<bool> {
    let deleted = message::Entity::update_many()
        .col_expr(message::Column::Body, "".into())
        .col_expr(message::Column::BodyHtml, "".into())
        .col_expr(message::Column::Attachments, Option::<String>::None.into())
        .col_expr(message::Column::DeletedAt, Some(now_ms()).into())
        .filter(message::Column::Id.eq(msg.id))
        .filter(message::Column::DeletedAt.is_null())
        .exec(&**tx)
        .await?;
    if deleted.rows_affected == 0 {
        return Ok(false);
    }
    reaction::Entity::delete_many().filter(reaction::Column::MessageId.eq(msg.id)).exec(&**tx).await?;
    super::revisions::forget(&**tx, msg.id).await?;
    mention::Entity::delete_many().filter(mention::Column::MessageId.eq(msg.id)).exec(&**tx).await?;
    pin::Entity::delete_many().filter(pin::Column::MessageId.eq(msg.id)).exec(&**tx).await?;
    crate::notify::withdraw(&**tx, msg.id).await?;
    files::service::delete_for_message(tx, msg.id).await?;
    search::jobs::enqueue(&**tx, msg.id).await?;
    tx.emit(NewEvent::channel(
        kind::MESSAGE_DELETED,
        ws,
        msg.channel_id,
        json!({"id": msg.id, "channel_id": msg.channel_id, "seq": msg.seq, "thread_root_id": msg.thread_root_id}),
    ));
    if let Some(root) = msg.thread_root_id {
        let updated = message::Entity::update_many()
            .col_expr(message::Column::ReplyCount, Expr::col(message::Column::ReplyCount).sub(1))
            .filter(message::Column::Id.eq(root))
            .filter(message::Column::ReplyCount.gt(0))
            .exec_with_returning(&**tx)
            .await?;
        emit_thread_updated(tx, ws, updated.first());
    }
    Ok(true)
}
