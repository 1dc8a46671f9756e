//! Ephemeral messages: shown to one person, now, on the sockets they have open in a
//! channel's workspace. Never stored, never in the log, gone on reload (Slack's
//! `chat.postEphemeral`, a slash command's private answer).
use serde_json::json;
use uuid::Uuid;

use super::bus::SharedBus;
use super::event::{Audience, Event};
use crate::clock::now_ms;
use crate::messages::cards::{AppView, CardView};

pub const KIND: &str = "message.ephemeral";

pub struct Ephemeral {
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub thread_root_id: Option<Uuid>,
    /// Who sees it.
    pub user_id: Uuid,
    /// Who it is from (a bot, a command's identity); None: Parley itself.
    pub author_id: Option<Uuid>,
    /// Markdown; rendered and sanitised here.
    pub text: String,
    pub app: Option<AppView>,
    pub cards: Vec<CardView>,
}

impl Ephemeral {
    /// What the client renders: the same shape on the socket and in an HTTP answer.
    pub fn view(&self) -> serde_json::Value {
        let now = now_ms();
        json!({
            "channel_id": self.channel_id,
            "thread_root_id": self.thread_root_id,
            "author_id": self.author_id,
            "text": self.text,
            "html": crate::messages::markdown::render(&self.text).html,
            "app": self.app,
            "attachments": self.cards,
            "ts": format!("{}.{:06}", now / 1000, (now % 1000) * 1000),
            "created_at": crate::clock::rfc3339(now),
        })
    }

    /// Sends it to the person's sockets (on every node); returns what was sent.
    pub fn send(self, bus: &SharedBus) -> serde_json::Value {
        let data = self.view();
        bus.publish(vec![Event {
            kind: KIND.into(),
            pos: None,
            at: now_ms(),
            audience: Audience::User,
            workspace_id: Some(self.workspace_id),
            channel_id: Some(self.channel_id),
            user_id: Some(self.user_id),
            data: data.clone(),
        }]);
        data
    }
}
