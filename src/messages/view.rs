//! How messages are shown: author, reactions and pin state loaded per page.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::cards::{self, AppView, CardView};
use super::model::{message, pin, reaction};
use crate::accounts::model::user;
use crate::clock::{opt_rfc3339, rfc3339};
use crate::db::ReadSource;
use crate::error::AppResult;
use crate::files::view::{self as file_view, FileView};

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct AuthorView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    /// A bot or an incoming webhook: shown as an app.
    pub is_bot: bool,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct ReactionView {
    pub emoji: String,
    pub count: usize,
    pub user_ids: Vec<Uuid>,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub channel_id: Uuid,
    /// Position in the channel: 1, 2, 3 … with no gaps.
    pub seq: i64,
    pub thread_root_id: Option<Uuid>,
    pub author: Option<AuthorView>,
    pub client_msg_id: Option<String>,
    /// The Markdown source as written (empty once deleted).
    pub text: String,
    /// Rendered and sanitised HTML: safe to insert as HTML.
    pub html: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    pub reply_count: i32,
    pub last_reply_at: Option<String>,
    pub reactions: Vec<ReactionView>,
    pub pinned: bool,
    /// Attached files, in upload order.
    pub files: Vec<FileView>,
    /// Cards an integration attached.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<CardView>,
    /// The app name and picture an integration posted with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppView>,
}

/// Builds views for a page of messages with four queries, whatever its size.
pub async fn views(conn: &impl ReadSource, msgs: &[message::Model]) -> AppResult<Vec<MessageView>> {
    let ids: Vec<Uuid> = msgs.iter().map(|m| m.id).collect();
    let mut author_ids: Vec<Uuid> = msgs.iter().map(|m| m.author_id).collect();
    author_ids.sort();
    author_ids.dedup();
    let authors: HashMap<Uuid, user::Model> = conn
        .find_all(user::Entity::find().filter(user::Column::Id.is_in(author_ids)))
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let reactions = conn
        .find_all(
            reaction::Entity::find()
                .filter(reaction::Column::MessageId.is_in(ids.clone()))
                .order_by_asc(reaction::Column::CreatedAt),
        )
        .await?;
    let mut files = file_view::by_message(conn, ids.clone()).await?;
    let pinned: Vec<Uuid> = conn
        .find_all(pin::Entity::find().filter(pin::Column::MessageId.is_in(ids)))
        .await?
        .into_iter()
        .map(|p| p.message_id)
        .collect();
    Ok(msgs
        .iter()
        .map(|m| {
            let mut grouped: Vec<ReactionView> = Vec::new();
            for r in reactions.iter().filter(|r| r.message_id == m.id) {
                match grouped.iter_mut().find(|g| g.emoji == r.emoji) {
                    Some(g) => {
                        g.count += 1;
                        g.user_ids.push(r.user_id);
                    }
                    None => grouped.push(ReactionView { emoji: r.emoji.clone(), count: 1, user_ids: vec![r.user_id] }),
                }
            }
            let attached = files.remove(&m.id).unwrap_or_default();
            build(m, authors.get(&m.author_id), grouped, pinned.contains(&m.id), attached)
        })
        .collect())
}

/// The view of a message just posted: no reactions or pin yet, author and files known.
pub fn fresh(m: &message::Model, author: &user::Model, files: Vec<FileView>) -> MessageView {
    build(m, Some(author), Vec::new(), false, files)
}

fn build(
    m: &message::Model,
    author: Option<&user::Model>,
    reactions: Vec<ReactionView>,
    pinned: bool,
    files: Vec<FileView>,
) -> MessageView {
    MessageView {
        id: m.id,
        channel_id: m.channel_id,
        seq: m.seq,
        thread_root_id: m.thread_root_id,
        author: author.map(|u| AuthorView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            is_bot: u.is_bot,
        }),
        client_msg_id: m.client_msg_id.clone(),
        text: m.body.clone(),
        html: m.body_html.clone(),
        created_at: rfc3339(m.created_at),
        edited_at: opt_rfc3339(m.edited_at),
        deleted: m.deleted_at.is_some(),
        reply_count: m.reply_count,
        last_reply_at: opt_rfc3339(m.last_reply_at),
        reactions,
        pinned,
        files,
        attachments: cards::cards_of(m.attachments.as_deref()),
        app: cards::app_of(m.app.as_deref()),
    }
}

pub async fn view(conn: &impl ConnectionTrait, m: &message::Model) -> AppResult<MessageView> {
    let mut v = views(conn, std::slice::from_ref(m)).await?;
    v.pop().ok_or_else(|| anyhow::anyhow!("view of one message was empty").into())
}
