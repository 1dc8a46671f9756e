//! Parley's channels, messages and people in the shapes Slack's Web API returns.
use serde_json::{json, Value};

use super::ids;
use crate::accounts::model::user;
use crate::channels::model::channel;
use crate::clock::parse_rfc3339;
use crate::messages::view::MessageView;

pub fn channel(c: &channel::Model, is_member: bool, num_members: Option<u64>) -> Value {
    let kind = c.kind.as_str();
    let name = c.name.clone().unwrap_or_else(|| ids::channel(c.id).to_lowercase());
    let mut v = json!({
        "id": ids::channel(c.id),
        "name": name,
        "name_normalized": name,
        "is_channel": kind == "public",
        "is_group": kind == "private",
        "is_im": kind == "direct",
        "is_mpim": kind == "group",
        "is_private": kind != "public",
        "is_archived": c.archived_at.is_some(),
        "is_general": c.name.as_deref() == Some("general"),
        "is_member": is_member,
        "created": c.created_at / 1000,
        "creator": ids::user(c.created_by),
        "context_team_id": ids::team(c.workspace_id),
        "topic": {"value": c.topic, "creator": "", "last_set": 0},
        "purpose": {"value": c.purpose, "creator": "", "last_set": 0},
    });
    if let Some(n) = num_members {
        v["num_members"] = json!(n);
    }
    v
}

/// A message's `ts`; its thread's `ts` comes from `root` when it is a reply.
pub fn message(m: &MessageView, root_ts: Option<&str>) -> Value {
    let created = parse_rfc3339(&m.created_at).unwrap_or_default();
    let ts = ids::ts(created, m.seq);
    let mut v = json!({
        "type": "message",
        "user": m.author.as_ref().map(|a| ids::user(a.id)),
        "text": m.text,
        "ts": ts,
    });
    if let Some(a) = m.author.as_ref().filter(|a| a.is_bot) {
        v["bot_id"] = json!(ids::encode('B', a.id));
        v["subtype"] = json!("bot_message");
    }
    if let Some(app) = &m.app {
        v["username"] = json!(app.name);
        if let Some(icon) = &app.icon_url {
            v["icons"] = json!({"image_48": icon});
        }
    }
    if m.reply_count > 0 {
        v["thread_ts"] = json!(ts);
        v["reply_count"] = json!(m.reply_count);
    } else if let Some(root) = root_ts.filter(|_| m.thread_root_id.is_some()) {
        v["thread_ts"] = json!(root);
    }
    if let Some(edited) = m.edited_at.as_deref().and_then(parse_rfc3339) {
        v["edited"] = json!({"user": v["user"], "ts": format!("{}.000000", edited / 1000)});
    }
    if !m.reactions.is_empty() {
        v["reactions"] = m
            .reactions
            .iter()
            .map(|r| json!({"name": r.emoji, "count": r.count, "users": r.user_ids.iter().map(|u| ids::user(*u)).collect::<Vec<_>>()}))
            .collect();
    }
    if !m.attachments.is_empty() {
        v["attachments"] = m
            .attachments
            .iter()
            .map(|c| {
                json!({"color": c.color.as_deref().map(|h| h.trim_start_matches('#')), "title": c.title,
                "title_link": c.title_link, "footer": c.footer,
                "fields": c.fields.iter().map(|f| json!({"title": f.title, "short": f.short})).collect::<Vec<_>>()})
            })
            .collect();
    }
    v
}

pub fn user(u: &user::Model, team: Option<uuid::Uuid>) -> Value {
    json!({
        "id": ids::user(u.id),
        "team_id": team.map(ids::team),
        "name": u.username,
        "real_name": u.display_name,
        "deleted": u.deactivated_at.is_some(),
        "is_bot": u.is_bot,
        "is_app_user": false,
        "is_admin": u.is_admin,
        "profile": {
            "display_name": u.display_name,
            "real_name": u.display_name,
            "image_72": u.avatar_url.clone().unwrap_or_default(),
            "status_text": u.status_text.clone().unwrap_or_default(),
            "status_emoji": u.status_emoji.clone().unwrap_or_default(),
        },
    })
}
