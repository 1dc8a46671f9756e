//! How a channel is shown over the API.
use serde::Serialize;
use uuid::Uuid;

use super::model::{channel, member};
use crate::clock::{opt_rfc3339, rfc3339};

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct MembershipView {
    pub role: String,
    pub last_read_seq: i64,
    pub muted: bool,
    /// `default`, `all`, `mentions` or `none`.
    pub notify_level: String,
    pub unread_count: i64,
    pub mention_count: i64,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct ChannelView {
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// `public`, `private`, `direct` or `group`.
    pub kind: String,
    /// None for direct and group conversations.
    pub name: Option<String>,
    pub topic: String,
    pub purpose: String,
    pub created_by: Uuid,
    pub created_at: String,
    pub archived: bool,
    /// Seq of the newest message; messages are numbered 1, 2, 3 … with no gaps.
    pub last_seq: i64,
    pub last_message_at: Option<String>,
    /// Present when the caller is a member.
    pub membership: Option<MembershipView>,
    /// Members of a direct or group conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_members: Option<Vec<Uuid>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
}

impl ChannelView {
    pub fn new(c: &channel::Model, membership: Option<MembershipView>) -> Self {
        Self {
            id: c.id,
            workspace_id: c.workspace_id,
            kind: c.kind.clone(),
            name: c.name.clone(),
            topic: c.topic.clone(),
            purpose: c.purpose.clone(),
            created_by: c.created_by,
            created_at: rfc3339(c.created_at),
            archived: c.archived_at.is_some(),
            last_seq: c.last_seq,
            last_message_at: opt_rfc3339(c.last_message_at),
            membership,
            conversation_members: None,
            member_count: None,
        }
    }
}

impl MembershipView {
    pub fn new(m: &member::Model, unread_count: i64, mention_count: i64) -> Self {
        Self {
            role: m.role.clone(),
            last_read_seq: m.last_read_seq,
            muted: m.muted,
            notify_level: m.notify_level.clone(),
            unread_count,
            mention_count,
        }
    }
}
