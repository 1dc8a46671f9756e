//! The event envelope every client receives, and who may receive it.
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who an event is for. The hub routes on this alone; services decide it when they
/// record the event, from the same rules the REST API applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Members of `channel_id`.
    Channel,
    /// The sessions of `user_id` (read markers, being removed, deactivation).
    User,
    /// Active members of `workspace_id`.
    Workspace,
    /// Sockets in `workspace_id` that subscribed to `user_id`'s presence, and the
    /// user's own sockets (presence goes to who is looking, not to everyone).
    Watchers,
    /// Other nodes' presence services only; never a socket (periodic re-announcements).
    Nodes,
}

/// An event not yet recorded: it gets its position when its transaction commits.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: &'static str,
    pub audience: Audience,
    pub workspace_id: Option<Uuid>,
    pub channel_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn channel(kind: &'static str, workspace_id: Uuid, channel_id: Uuid, data: serde_json::Value) -> Self {
        Self {
            kind,
            audience: Audience::Channel,
            workspace_id: Some(workspace_id),
            channel_id: Some(channel_id),
            user_id: None,
            data,
        }
    }
    pub fn user(kind: &'static str, user_id: Uuid, data: serde_json::Value) -> Self {
        Self { kind, audience: Audience::User, workspace_id: None, channel_id: None, user_id: Some(user_id), data }
    }
    pub fn workspace(kind: &'static str, workspace_id: Uuid, data: serde_json::Value) -> Self {
        Self {
            kind,
            audience: Audience::Workspace,
            workspace_id: Some(workspace_id),
            channel_id: None,
            user_id: None,
            data,
        }
    }
    pub fn member_joined(workspace_id: Uuid, channel_id: Uuid, user_id: Uuid) -> Self {
        let data = serde_json::json!({"channel_id": channel_id, "user_id": user_id});
        Self::channel(kind::MEMBER_JOINED, workspace_id, channel_id, data).about(user_id)
    }
    pub fn member_left(workspace_id: Uuid, channel_id: Uuid, user_id: Uuid) -> Self {
        let data = serde_json::json!({"channel_id": channel_id, "user_id": user_id});
        Self::channel(kind::MEMBER_LEFT, workspace_id, channel_id, data).about(user_id)
    }
    /// Names the user a channel event is about (e.g. who joined).
    pub fn about(mut self, user_id: Uuid) -> Self {
        self.user_id = Some(user_id);
        self
    }
}

/// A delivered event. Durable events have `pos`; typing and presence do not.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pos: Option<i64>,
    /// Unix milliseconds when the event was recorded.
    pub at: i64,
    pub audience: Audience,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub workspace_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub channel_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_id: Option<Uuid>,
    pub data: serde_json::Value,
}

/// An event with its JSON rendered once, shared by every socket it goes to.
#[derive(Debug)]
pub struct Outgoing {
    pub event: Event,
    /// Reference-counted: handing it to 10,000 sockets copies no bytes.
    pub json: bytestring::ByteString,
}

pub type Shared = Arc<Outgoing>;

impl Outgoing {
    pub fn new(event: Event) -> Shared {
        let json = serde_json::to_string(&event).unwrap_or_default().into();
        Arc::new(Self { event, json })
    }

    /// A durable event at position `pos`, for tests of the delivery path.
    #[cfg(test)]
    pub fn at_pos(pos: i64) -> Shared {
        Self::new(Event {
            kind: "test".into(),
            pos: Some(pos),
            at: 0,
            audience: Audience::User,
            workspace_id: None,
            channel_id: None,
            user_id: None,
            data: serde_json::json!({ "n": pos }),
        })
    }
}

/// Event kinds; docs/realtime.md describes each.
pub mod kind {
    pub const MESSAGE_CREATED: &str = "message.created";
    pub const MESSAGE_EDITED: &str = "message.edited";
    pub const MESSAGE_DELETED: &str = "message.deleted";
    pub const THREAD_UPDATED: &str = "thread.updated";
    pub const REACTION_ADDED: &str = "reaction.added";
    pub const REACTION_REMOVED: &str = "reaction.removed";
    pub const PIN_ADDED: &str = "pin.added";
    pub const PIN_REMOVED: &str = "pin.removed";
    pub const FILE_CREATED: &str = "file.created";
    pub const FILE_UPDATED: &str = "file.updated";
    pub const FILE_DELETED: &str = "file.deleted";
    pub const CHANNEL_CREATED: &str = "channel.created";
    pub const CHANNEL_UPDATED: &str = "channel.updated";
    pub const CHANNEL_ARCHIVED: &str = "channel.archived";
    pub const CHANNEL_UNARCHIVED: &str = "channel.unarchived";
    pub const MEMBER_JOINED: &str = "member.joined";
    pub const MEMBER_LEFT: &str = "member.left";
    pub const READ_UPDATED: &str = "read.updated";
    pub const USER_UPDATED: &str = "user.updated";
    /// Renamed, archived or unarchived, or its settings changed.
    pub const WORKSPACE_UPDATED: &str = "workspace.updated";
    pub const WORKSPACE_MEMBER_ADDED: &str = "workspace.member_added";
    pub const WORKSPACE_MEMBER_REMOVED: &str = "workspace.member_removed";
    /// A member's role changed.
    pub const WORKSPACE_MEMBER_UPDATED: &str = "workspace.member_updated";
    pub const USER_DEACTIVATED: &str = "user.deactivated";
    pub const SESSIONS_REVOKED: &str = "user.sessions_revoked";
    pub const TYPING: &str = "typing";
    pub const PRESENCE_CHANGED: &str = "presence.changed";
}
