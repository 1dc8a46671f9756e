//! The world authz_routes.rs calls into: the people (one of each kind of caller), a fresh
//! workspace with everything a path can name, and the paths and bodies of an operation
//! filled from it.
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp, PASSWORD};

pub struct People {
    pub callers: HashMap<&'static str, Client>,
    /// Owns every fixture's workspace; calls nothing under test.
    pub owner: Client,
    /// The instance administrator (also a caller), for set-up.
    pub ada: Client,
    /// A member each fixture's member routes aim at.
    pub vic: Uuid,
    /// A compliance export the instance administrator asked for.
    pub task: Uuid,
}

/// One workspace with everything a path can name.
pub struct Fixture {
    pub ids: HashMap<&'static str, String>,
    pub bot_with: Client,
    pub bot_without: Client,
}

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", UNIQUE.fetch_add(1, Ordering::SeqCst))
}

pub async fn people(app: &TestApp) -> People {
    let (ada, first_ws) = app.setup_admin().await;
    let (owner, _) = app.outsider(&ada, "owner").await;
    let mut callers = HashMap::new();
    callers.insert("anonymous", app.anon());
    for name in ["outsider", "guest", "member", "channel_admin", "workspace_admin", "vic"] {
        let (c, _) = app.outsider(&ada, &name.replace('_', "")).await;
        callers.insert(name, c);
    }
    let gone = app.join(&ada, first_ws, "gone", "member").await;
    ada.post_empty(&format!("/api/v1/admin/users/{}/deactivate", gone.user_id)).await.expect(204);
    callers.insert("deactivated", gone);
    callers.insert("instance_admin", ada.clone());
    let vic = callers.remove("vic").expect("vic").user_id;
    let general = ada.general(first_ws).await;
    let task = ada.post("/api/v1/admin/exports", json!({"scope": "channel", "id": general})).await.expect(202).id();
    People { callers, owner, ada, vic, task }
}

pub async fn fixture(app: &TestApp, p: &People) -> Fixture {
    let ok = |r: crate::client::Resp, what: &str| {
        assert!(r.status < 300, "fixture: {what}: {} {:?}", r.status, r.body);
        r
    };
    let owner = &p.owner;
    // An operation may have deactivated the person member routes aim at.
    p.ada.post_empty(&format!("/api/v1/admin/users/{}/reactivate", p.vic)).await;
    let ws = ok(owner.post("/api/v1/workspaces", json!({"name": unique("W")})).await, "workspace").id();
    let members = format!("/api/v1/admin/workspaces/{ws}/members");
    let add = |user: Uuid, role: &str| p.ada.post(&members, json!({"user_id": user, "role": role}));
    let c = |name: &str| p.callers[name].clone();
    for (name, role) in
        [("guest", "guest"), ("member", "member"), ("channel_admin", "member"), ("workspace_admin", "admin")]
    {
        ok(add(c(name).user_id, role).await, name);
    }
    ok(add(p.vic, "member").await, "vic");
    let chadmin = c("channel_admin");
    let channel = ok(
        chadmin.post(&format!("/api/v1/workspaces/{ws}/channels"), json!({"name": unique("town")})).await,
        "channel",
    )
    .id();
    let member = c("member");
    for who in [member.user_id, p.vic] {
        ok(
            chadmin.post(&format!("/api/v1/channels/{channel}/members"), json!({"user_id": who})).await,
            "channel member",
        );
    }
    let wsadmin = c("workspace_admin");
    let bot = |scopes: Vec<&'static str>| {
        let wsadmin = wsadmin.clone();
        async move {
            let name = unique("bot");
            let made = wsadmin
                .post(&format!("/api/v1/workspaces/{ws}/bots"), json!({"username": name, "display_name": name}))
                .await;
            let id = made.id();
            let t = wsadmin.post(&format!("/api/v1/bots/{id}/tokens"), json!({"name": "t", "scopes": scopes})).await;
            (id, t.body["token"].as_str().expect("bot token").to_owned(), t.body["id"].as_str().map(str::to_owned))
        }
    };
    let all_scopes = vec![
        "channels:read",
        "channels:history",
        "chat:write",
        "reactions:write",
        "files:write",
        "channels:manage",
        "users:read",
    ];
    let (with_id, with_token, _) = bot(all_scopes).await;
    let (without_id, without_token, _) = bot(vec!["users:read"]).await;
    let (target_bot, _, target_bot_token) = bot(vec!["chat:write"]).await;
    for id in [with_id, without_id] {
        ok(
            chadmin.post(&format!("/api/v1/channels/{channel}/members"), json!({"user_id": id})).await,
            "bot in channel",
        );
    }
    let as_bot = |id: Uuid, token: String| {
        let mut b = app.anon();
        b.token = Some(token);
        b.user_id = id;
        b
    };
    let said = member.post(&format!("/api/v1/channels/{channel}/messages"), json!({"text": "a message"})).await;
    let message = ok(said, "message");
    let file = ok(crate::files_support::upload(&member, channel, "a.txt", b"some bytes".to_vec()).await, "file").id();
    let open_hooks = json!({"members_create_hooks": true});
    ok(owner.patch(&format!("/api/v1/workspaces/{ws}/settings"), open_hooks).await, "settings");
    let hook = ok(chadmin.post(&format!("/api/v1/channels/{channel}/hooks"), json!({"name": "Alerts"})).await, "hook");
    let cmd = json!({"command": format!("/{}", unique("cmd")), "url": "http://127.0.0.1:9/cmd"});
    let command = ok(wsadmin.post(&format!("/api/v1/workspaces/{ws}/slash-commands"), cmd).await, "command");
    let message_id = message.body["id"].as_str().expect("message id").to_owned();
    ok(member.post_empty(&format!("/api/v1/messages/{message_id}/pin")).await, "pin");
    ok(member.post(&format!("/api/v1/messages/{message_id}/reactions"), json!({"emoji": "eyes"})).await, "reaction");
    // After the message: nothing of the fixture's own fires it (its deliveries are refused).
    let out = json!({"name": "Out", "url": "http://127.0.0.1:9/out", "events": ["message.created"]});
    let outgoing = ok(wsadmin.post(&format!("/api/v1/workspaces/{ws}/outgoing-hooks"), out).await, "outgoing hook");
    let invite =
        ok(wsadmin.post(&format!("/api/v1/workspaces/{ws}/invites"), json!({"role": "member"})).await, "invite");
    // A person holds only so many tokens: the last fixture's goes first.
    for old in member.get("/api/v1/me/tokens").await.body.as_array().cloned().unwrap_or_default() {
        member.delete(&format!("/api/v1/me/tokens/{}", old["id"].as_str().unwrap_or_default())).await;
    }
    let member_token = ok(member.post("/api/v1/me/tokens", json!({"name": unique("t")})).await, "token");
    let mut ids = HashMap::new();
    let s = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    ids.insert("workspace_id", ws.to_string());
    ids.insert("channel_id", channel.to_string());
    ids.insert("message_id", s(&message.body["id"]));
    ids.insert("file_id", file.to_string());
    ids.insert("user_id", p.vic.to_string());
    ids.insert("hook_id", s(&hook.body["id"]));
    ids.insert("hook_token", s(&hook.body["url"]).rsplit('/').next().unwrap_or_default().to_owned());
    ids.insert("outgoing_hook_id", s(&outgoing.body["id"]));
    ids.insert("command_id", s(&command.body["id"]));
    ids.insert("command_name", s(&command.body["command"]));
    ids.insert("bot_id", target_bot.to_string());
    ids.insert("bot_token_id", target_bot_token.unwrap_or_default());
    ids.insert("invite_id", s(&invite.body["id"]));
    ids.insert("invite_token", s(&invite.body["token"]));
    ids.insert("member_token_id", s(&member_token.body["id"]));
    ids.insert("task_id", p.task.to_string());
    Fixture { ids, bot_with: as_bot(with_id, with_token), bot_without: as_bot(without_id, without_token) }
}

/// An operation as the test calls it.
pub struct Target<'a> {
    pub path: &'a str,
    /// A GET: for the Slack API, which stands for its reads (its POST for its writes).
    pub read: bool,
    /// The query parameters it requires.
    pub query: &'a [String],
}

/// The path with its parameters filled (and the query parameters it requires): from the
/// fixture, or all new ids (`missing`).
pub fn concrete(t: &Target, f: &Fixture, missing: bool) -> String {
    let path = t.path;
    let mut out = fill(t, f, missing);
    let mut query = Vec::new();
    for param in t.query {
        let value = match param.as_str() {
            "user_ids" => f.ids["user_id"].clone(),
            "q" => "message".to_owned(),
            other => f.ids.get(other).cloned().unwrap_or_else(|| "1".to_owned()),
        };
        query.push(format!("{param}={value}"));
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    if path == "/slack/api/{method}" && t.read {
        let channel = if missing { Uuid::now_v7().to_string() } else { f.ids["channel_id"].clone() };
        out.push_str(&format!("?channel={channel}"));
    }
    out
}

fn fill(t: &Target, f: &Fixture, missing: bool) -> String {
    let path = t.path;
    let mut out = String::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        out.push('/');
        if !seg.starts_with('{') {
            out.push_str(seg);
            continue;
        }
        let name = seg.trim_matches(|c| c == '{' || c == '}');
        let before = if i > 0 { segments[i - 1] } else { "" };
        let key = match (name, before) {
            ("hook_id", "outgoing-hooks" | "outgoing_hook") => "outgoing_hook_id",
            ("token_id", _) if path.starts_with("/api/v1/bots/") => "bot_token_id",
            ("token_id", _) if path.starts_with("/api/v1/me/") => "member_token_id",
            ("token", "invites") => "invite_token",
            ("token", "hooks") => "hook_token",
            ("emoji", _) => {
                out.push_str("eyes");
                continue;
            }
            ("format", _) => {
                out.push_str("slack");
                continue;
            }
            ("method", "api") => {
                out.push_str(if t.read { "conversations.history" } else { "chat.postMessage" });
                continue;
            }
            ("kind", _) => {
                out.push_str("incoming_hook");
                continue;
            }
            ("id", _) => "hook_id",
            (other, _) => other,
        };
        match f.ids.get(key).filter(|_| !missing) {
            Some(v) => out.push_str(v),
            None if key.ends_with("token") => out.push_str(&unique("tok_missing")),
            None => out.push_str(&Uuid::now_v7().to_string()),
        }
    }
    out
}

/// A value for one schema, good enough to pass deserialisation.
fn sample(doc: &Value, schema: &Value, name: &str, f: &Fixture) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let key = r.rsplit('/').next().unwrap_or_default();
        return sample(doc, &doc["components"]["schemas"][key], name, f);
    }
    for combo in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[combo].as_array().and_then(|a| a.iter().find(|s| s["type"] != "null")) {
            return sample(doc, first, name, f);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|a| a.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str().unwrap_or("object") {
        "object" => {
            let mut obj = Map::new();
            for field in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                obj.insert(field.to_owned(), sample(doc, &schema["properties"][field], field, f));
            }
            Value::Object(obj)
        }
        "array" => json!([sample(doc, &schema["items"], name.trim_end_matches('s'), f)]),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ if schema["format"] == "uuid" => {
            json!(f.ids.get(name).cloned().unwrap_or_else(|| Uuid::now_v7().to_string()))
        }
        _ => json!(match name {
            "email" => format!("{}@acme.test", unique("x")),
            "password" | "current_password" | "new_password" => PASSWORD.to_owned(),
            "url" => "http://127.0.0.1:9/x".to_owned(),
            "emoji" => "eyes".to_owned(),
            "invite_token" => f.ids["invite_token"].clone(),
            "command" => format!("/{}", unique("c")),
            "username" | "name" | "slug" => unique("n"),
            _ => "some text".to_owned(),
        }),
    }
}

/// The request body an operation is sent with.
pub fn body_of(doc: &Value, method: &str, path: &str, op: &Value, f: &Fixture, p: &People) -> Option<Value> {
    let special = match (method, path) {
        ("post", "/api/v1/auth/login") => Some(json!({"email": "member@acme.test", "password": PASSWORD})),
        ("post", "/api/v1/me/password") => Some(json!({"current_password": PASSWORD, "new_password": PASSWORD})),
        ("post", "/api/v1/admin/exports") => Some(json!({"scope": "channel", "id": f.ids["channel_id"]})),
        ("post", "/api/v1/admin/workspaces/{workspace_id}/members") => {
            Some(json!({"user_id": p.vic, "role": "member"}))
        }
        ("post", "/api/v1/channels/{channel_id}/members") => Some(json!({"user_id": p.vic})),
        ("post", "/api/v1/channels/{channel_id}/commands") => {
            Some(json!({"command": f.ids["command_name"], "text": "x"}))
        }
        ("post", "/slack/api/{method}") => Some(json!({"channel": f.ids["channel_id"], "text": "hi"})),
        _ => None,
    };
    if special.is_some() {
        return special;
    }
    let content = &op["requestBody"]["content"];
    let schema = content["application/json"]["schema"].clone();
    if schema.is_null() {
        return None;
    }
    Some(sample(doc, &schema, "", f))
}
