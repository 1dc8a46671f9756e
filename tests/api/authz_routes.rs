//! Authorization over every operation of the OpenAPI document, for ten kinds of caller.
//!
//! The callers: nobody signed in; an account of another workspace; a guest, a member, the
//! channel's creator, an admin of the workspace; an instance administrator who is not in
//! it; a deactivated member; a bot in the channel whose token has every scope but the one
//! the route needs; one with every scope. Each row holds one letter per caller —
//! `A` answered (let through: anything but 401, 403 or 404, and never a 5xx), `U` 401,
//! `F` 403, `H` 404 byte-identical to the 404 the same caller gets for a missing target
//! (or, where the path names nothing, for a route that does not exist). An operation
//! without a row, or a row without an operation, fails the test: no route added later
//! escapes it. Set PARLEY_AUTHZ_PRINT=1 to print the rows as observed.
//!
//! Reads run on one fixture. Every other operation runs on a fresh one (a workspace with
//! its channel, message, file, hooks, command, bots and invitation): the callers expected
//! to be refused first, together — a refusal changes nothing — then each caller expected
//! to be let through on a fixture of its own, so one caller's change (a removal, an
//! archive) never decides another's answer.
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp, PASSWORD};

const CALLERS: [&str; 10] = [
    "anonymous",
    "outsider",
    "guest",
    "member",
    "channel_admin",
    "workspace_admin",
    "instance_admin",
    "deactivated",
    "bot_without",
    "bot_with",
];

/// `METHOD path` → one letter per caller (see the module's comment), in `CALLERS` order:
///   anonymous, outsider, guest, member, channel_admin, workspace_admin, instance_admin,
///   deactivated, bot_without, bot_with.
/// Where an instance administrator's letter is H on an admin route, the path names a job,
/// mail, session or token that does not exist: the gate let them through to the 404 a
/// missing one gets.
const EXPECTED: &[(&str, &str)] = &[
    ("GET /api/v1/admin/audit", "HHHHHAAHHH"),
    ("GET /api/v1/admin/audit/export", "HHHHHAAHHH"),
    ("GET /api/v1/admin/exports", "HHHHHAAHHH"),
    ("GET /api/v1/admin/exports/{task_id}/download", "HHHHHHAHHH"),
    ("GET /api/v1/admin/integrations", "HHHHHHAHHH"),
    ("GET /api/v1/admin/integrations/outgoing_hook/{hook_id}/deliveries", "HHHHHHAHHH"),
    ("GET /api/v1/admin/jobs", "HHHHHHAHHH"),
    ("GET /api/v1/admin/mail", "HHHHHHAHHH"),
    ("GET /api/v1/admin/overview", "HHHHHHAHHH"),
    ("GET /api/v1/admin/retention", "HHHHHHAHHH"),
    ("GET /api/v1/admin/search", "HHHHHHAHHH"),
    ("GET /api/v1/admin/sso", "HHHHHHAHHH"),
    ("GET /api/v1/admin/system", "HHHHHHAHHH"),
    ("GET /api/v1/admin/tasks/{task_id}", "HHHHHHAHHH"),
    ("GET /api/v1/admin/users", "HHHHHHAHHH"),
    ("GET /api/v1/admin/users/{user_id}", "HHHHHHAHHH"),
    ("GET /api/v1/admin/workspaces", "HHHHHAAHHH"),
    ("GET /api/v1/admin/workspaces/{workspace_id}", "HHHHHAAHHH"),
    ("GET /api/v1/auth/sso/providers", "AAAAAAAAAA"),
    ("GET /api/v1/bots/{bot_id}/tokens", "UHHHHAHUFF"),
    ("GET /api/v1/channels/{channel_id}", "UHHAAAHUFA"),
    ("GET /api/v1/channels/{channel_id}/files", "UHHAAAHUFA"),
    ("GET /api/v1/channels/{channel_id}/members", "UHHAAAHUFA"),
    ("GET /api/v1/channels/{channel_id}/messages", "UHHAAAHUFA"),
    ("GET /api/v1/channels/{channel_id}/pins", "UHHAAAHUFA"),
    ("GET /api/v1/files/{file_id}", "UHHAHHHUFH"),
    ("GET /api/v1/files/{file_id}/content", "UHHAHHHUFH"),
    ("GET /api/v1/files/{file_id}/thumbnail", "UHHAHHHUFH"),
    ("GET /api/v1/invites/{token}", "AAAAAAAAAA"),
    ("GET /api/v1/me", "UAAAAAAUAA"),
    ("GET /api/v1/me/email-notifications", "UAAAAAAUFF"),
    ("GET /api/v1/me/sso-identities", "UAAAAAAUFF"),
    ("GET /api/v1/me/tokens", "UAAAAAAUFF"),
    ("GET /api/v1/messages/{message_id}", "UHHAAAHUFA"),
    ("GET /api/v1/messages/{message_id}/thread", "UHHAAAHUFA"),
    ("GET /api/v1/outgoing-hooks/{hook_id}/deliveries", "UHHHHAHUFF"),
    ("GET /api/v1/presence", "UAAAAAAUFA"),
    ("GET /api/v1/search", "UAAAAAAUFA"),
    ("GET /api/v1/users/{user_id}", "UHAAAAAUFA"),
    ("GET /api/v1/workspaces", "UAAAAAAUAA"),
    ("GET /api/v1/workspaces/{workspace_id}", "UHAAAAHUAA"),
    ("GET /api/v1/workspaces/{workspace_id}/bots", "UHAAAAHUFF"),
    ("GET /api/v1/workspaces/{workspace_id}/channels", "UHAAAAHUFA"),
    ("GET /api/v1/workspaces/{workspace_id}/channels/browse", "UHFAAAHUFA"),
    ("GET /api/v1/workspaces/{workspace_id}/commands", "UHAAAAHUFF"),
    ("GET /api/v1/workspaces/{workspace_id}/hooks", "UHAAAAHUFF"),
    ("GET /api/v1/workspaces/{workspace_id}/members", "UHAAAAHUFA"),
    ("GET /api/v1/workspaces/{workspace_id}/outgoing-hooks", "UHAAAAHUFF"),
    ("GET /api/v1/workspaces/{workspace_id}/slash-commands", "UHFFFAHUFF"),
    ("GET /api/v1/workspaces/{workspace_id}/storage", "UHAAAAHUFF"),
    ("GET /api/v1/ws", "UAAAAAAUUA"),
    ("GET /healthz", "AAAAAAAAAA"),
    ("GET /readyz", "AAAAAAAAAA"),
    ("GET /slack/api/{method}", "UUUUUUUUFA"),
    ("PATCH /api/v1/admin/channels/{channel_id}", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/channels/{channel_id}/retention", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/channels/{channel_id}/state", "HHHHHAAHHH"),
    ("POST /api/v1/admin/exports", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/integrations/{kind}/{id}", "HHHHHHAHHH"),
    ("DELETE /api/v1/admin/jobs/{job_id}", "HHHHHHHHHH"),
    ("POST /api/v1/admin/jobs/{job_id}/retry", "HHHHHHHHHH"),
    ("DELETE /api/v1/admin/mail/{mail_id}", "HHHHHHHHHH"),
    ("POST /api/v1/admin/mail/{mail_id}/retry", "HHHHHHHHHH"),
    ("POST /api/v1/admin/retention/run", "HHHHHHAHHH"),
    ("POST /api/v1/admin/search/rebuild", "HHHHHHAHHH"),
    ("POST /api/v1/admin/users/{user_id}/deactivate", "HHHHHHAHHH"),
    ("PUT /api/v1/admin/users/{user_id}/legal-hold", "HHHHHHAHHH"),
    ("POST /api/v1/admin/users/{user_id}/password-reset", "HHHHHHAHHH"),
    ("POST /api/v1/admin/users/{user_id}/reactivate", "HHHHHHAHHH"),
    ("PUT /api/v1/admin/users/{user_id}/role", "HHHHHHAHHH"),
    ("DELETE /api/v1/admin/users/{user_id}/sessions/{session_id}", "HHHHHHHHHH"),
    ("DELETE /api/v1/admin/users/{user_id}/tokens/{token_id}", "HHHHHHHHHH"),
    ("POST /api/v1/admin/workspaces", "HHHHHHAHHH"),
    ("POST /api/v1/admin/workspaces/{workspace_id}/invites", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/workspaces/{workspace_id}/limits", "HHHHHHAHHH"),
    ("POST /api/v1/admin/workspaces/{workspace_id}/members", "HHHHHHAHHH"),
    ("DELETE /api/v1/admin/workspaces/{workspace_id}/members/{user_id}", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/workspaces/{workspace_id}/members/{user_id}", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/workspaces/{workspace_id}/name", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/workspaces/{workspace_id}/retention", "HHHHHAAHHH"),
    ("PATCH /api/v1/admin/workspaces/{workspace_id}/settings", "HHHHHAAHHH"),
    ("PUT /api/v1/admin/workspaces/{workspace_id}/state", "HHHHHFAHHH"),
    ("POST /api/v1/auth/login", "AAAAAAAAAA"),
    ("POST /api/v1/auth/logout", "UAAAAAAUFF"),
    ("POST /api/v1/auth/logout-all", "UAAAAAAUFF"),
    ("POST /api/v1/auth/password-reset", "AAAAAAAAAA"),
    ("POST /api/v1/auth/password-reset/complete", "AAAAAAAAAA"),
    ("POST /api/v1/auth/signup", "AAAAAAAAAA"),
    ("PATCH /api/v1/bots/{bot_id}", "UHHHHAHUFF"),
    ("POST /api/v1/bots/{bot_id}/deactivate", "UHHHHAHUFF"),
    ("POST /api/v1/bots/{bot_id}/reactivate", "UHHHHAHUFF"),
    ("POST /api/v1/bots/{bot_id}/tokens", "UHHHHAHUFF"),
    ("DELETE /api/v1/bots/{bot_id}/tokens/{token_id}", "UHHHHAHUFF"),
    ("PATCH /api/v1/channels/{channel_id}", "UHHAAAHUFA"),
    ("POST /api/v1/channels/{channel_id}/archive", "UHHFAAHUFF"),
    ("POST /api/v1/channels/{channel_id}/commands", "UHHAAFHUFF"),
    ("POST /api/v1/channels/{channel_id}/files", "UHHAAFHUFA"),
    ("POST /api/v1/channels/{channel_id}/hooks", "UHHAAFHUFF"),
    ("POST /api/v1/channels/{channel_id}/join", "UHHAAAHUFA"),
    ("POST /api/v1/channels/{channel_id}/leave", "UHHAAFHUFA"),
    ("POST /api/v1/channels/{channel_id}/members", "UHHAAAHUFA"),
    ("DELETE /api/v1/channels/{channel_id}/members/{user_id}", "UHHFAAHUFF"),
    ("POST /api/v1/channels/{channel_id}/messages", "UHHAAFHUFA"),
    ("PATCH /api/v1/channels/{channel_id}/notifications", "UHHAAFHUFF"),
    ("POST /api/v1/channels/{channel_id}/read", "UHHAAFHUFA"),
    ("POST /api/v1/channels/{channel_id}/unarchive", "UHHFAAHUFF"),
    ("POST /api/v1/channels/{channel_id}/unread", "UHHAAFHUFA"),
    ("DELETE /api/v1/files/{file_id}", "UHHAHHHUFH"),
    ("DELETE /api/v1/hooks/{hook_id}", "UHHHAAHUFF"),
    ("PATCH /api/v1/hooks/{hook_id}", "UHHHAAHUFF"),
    ("POST /api/v1/hooks/{hook_id}/rotate", "UHHHAAHUFF"),
    ("POST /api/v1/invites/{token}/accept", "UAAAAAAUFF"),
    ("PATCH /api/v1/me", "UAAAAAAUFF"),
    ("POST /api/v1/me/email", "UAAAAAAUFF"),
    ("PUT /api/v1/me/email-notifications", "UAAAAAAUFF"),
    ("POST /api/v1/me/password", "UAAAAAAUFF"),
    ("PUT /api/v1/me/presence", "UAAAAAAUFF"),
    ("POST /api/v1/me/sso-identities", "UAAAAAAUFF"),
    ("DELETE /api/v1/me/sso-identities/{identity_id}", "UHHHHHHUFF"),
    ("POST /api/v1/me/tokens", "UAAAAAAUFF"),
    ("DELETE /api/v1/me/tokens/{token_id}", "UHHAHHHUFF"),
    ("DELETE /api/v1/messages/{message_id}", "UHHAAAHUFF"),
    ("PATCH /api/v1/messages/{message_id}", "UHHAFFHUFF"),
    ("DELETE /api/v1/messages/{message_id}/pin", "UHHAAFHUFA"),
    ("POST /api/v1/messages/{message_id}/pin", "UHHAAFHUFA"),
    ("POST /api/v1/messages/{message_id}/reactions", "UHHAAFHUFA"),
    ("DELETE /api/v1/messages/{message_id}/reactions/{emoji}", "UHHAAFHUFA"),
    ("DELETE /api/v1/outgoing-hooks/{hook_id}", "UHHHHAHUFF"),
    ("PATCH /api/v1/outgoing-hooks/{hook_id}", "UHHHHAHUFF"),
    ("POST /api/v1/outgoing-hooks/{hook_id}/deliveries/{delivery_id}/redeliver", "UHHHHAHUFF"),
    ("POST /api/v1/outgoing-hooks/{hook_id}/rotate", "UHHHHAHUFF"),
    ("POST /api/v1/outgoing-hooks/{hook_id}/test", "UHHHHAHUFF"),
    ("POST /api/v1/setup", "AAAAAAAAAA"),
    ("DELETE /api/v1/slash-commands/{command_id}", "UHHHHAHUFF"),
    ("PATCH /api/v1/slash-commands/{command_id}", "UHHHHAHUFF"),
    ("POST /api/v1/workspaces", "UAAAAAAUFF"),
    ("POST /api/v1/workspaces/{workspace_id}/bots", "UHFFFAHUFF"),
    ("POST /api/v1/workspaces/{workspace_id}/channels", "UHFAAAHUFF"),
    ("POST /api/v1/workspaces/{workspace_id}/conversations", "UHAAAAHUFA"),
    ("POST /api/v1/workspaces/{workspace_id}/invites", "UHFFFAHUFF"),
    ("DELETE /api/v1/workspaces/{workspace_id}/invites/{invite_id}", "UHFFFAHUFF"),
    ("DELETE /api/v1/workspaces/{workspace_id}/members/{user_id}", "UHFFFAHUFF"),
    ("PATCH /api/v1/workspaces/{workspace_id}/members/{user_id}", "UHFFFAHUFF"),
    ("POST /api/v1/workspaces/{workspace_id}/outgoing-hooks", "UHFFFAHUFF"),
    ("POST /api/v1/workspaces/{workspace_id}/read", "UHAAAAHUFA"),
    ("PATCH /api/v1/workspaces/{workspace_id}/settings", "UHFFFAHUFF"),
    ("POST /api/v1/workspaces/{workspace_id}/slash-commands", "UHFFFAHUFF"),
    ("POST /commands/respond/{token}", "HHHHHHHHHH"),
    ("POST /hooks/{token}", "AAAAAAAAAA"),
    ("POST /hooks/{token}/{format}", "AAAAAAAAAA"),
    ("POST /slack/api/{method}", "UUUUUUUUFA"),
    ("POST /slack/upload/{token}", "HHHHHHHHHH"),
    ("POST /sso/{provider}/backchannel-logout", "AAAAAAAAAA"),
];

struct People {
    callers: HashMap<&'static str, Client>,
    /// Owns every fixture's workspace; calls nothing under test.
    owner: Client,
    /// The instance administrator (also a caller), for set-up.
    ada: Client,
    /// A member each fixture's member routes aim at.
    vic: Uuid,
    /// A compliance export the instance administrator asked for.
    task: Uuid,
}

/// One workspace with everything a path can name.
struct Fixture {
    ids: HashMap<&'static str, String>,
    bot_with: Client,
    bot_without: Client,
}

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", UNIQUE.fetch_add(1, Ordering::SeqCst))
}

async fn people(app: &TestApp) -> People {
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

async fn fixture(app: &TestApp, p: &People) -> Fixture {
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

/// The path with its parameters filled (and the query parameters it requires): from the
/// fixture, or all new ids (`missing`).
fn concrete(path: &str, f: &Fixture, missing: bool) -> String {
    let mut out = fill(path, f, missing);
    let mut query = Vec::new();
    for param in QUERY.with(|q| q.borrow().clone()) {
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
    if path == "/slack/api/{method}" && path_reads(path) {
        let channel = if missing { Uuid::now_v7().to_string() } else { f.ids["channel_id"].clone() };
        out.push_str(&format!("?channel={channel}"));
    }
    out
}

fn fill(path: &str, f: &Fixture, missing: bool) -> String {
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
                out.push_str(if path_reads(path) { "conversations.history" } else { "chat.postMessage" });
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
fn body_of(doc: &Value, method: &str, path: &str, op: &Value, f: &Fixture, p: &People) -> Option<Value> {
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

/// The Slack API's GET operation stands for its reads, its POST for its writes.
fn path_reads(path: &str) -> bool {
    !path.contains("{method}") || READ_METHOD.with(|r| r.get())
}

thread_local! {
    static READ_METHOD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The required query parameters of the operation under test.
    static QUERY: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The WebSocket: a real handshake and hello; `ready` lets the caller in, a close code
/// says why not.
async fn ws_letter(c: &Client) -> (char, String) {
    use crate::ws_client::{Options, Ws};
    let hello = json!({"type": "hello", "token": c.token});
    let origin = Options { origin: Some(c.base.clone()), ..Default::default() };
    let mut stream = match Ws::raw(c, origin, hello).await {
        Ok(s) => s,
        Err(e) if e.contains("401") => return ('U', e),
        Err(e) if e.contains("403") => return ('F', e),
        Err(e) => return ('E', e),
    };
    use futures_util::StreamExt;
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await;
    let text = match first {
        Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => t.to_string(),
        Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame))))) => {
            let code = u16::from(frame.code);
            let letter = match code {
                4001 | 4010 => 'U',
                4003 => 'F',
                _ => 'E',
            };
            return (letter, format!("closed {code} {}", frame.reason));
        }
        other => return ('E', format!("{other:?}")),
    };
    if text.contains("\"ready\"") {
        ('A', text)
    } else {
        ('E', text)
    }
}

/// What an answer says about the caller's reach. A 404 counts as hidden only when it is
/// the one a missing target gets; another (a pin that is not there) got past the check.
fn letter(r: &crate::client::Resp, missing: Option<&Value>) -> char {
    if r.status == 200 && r.body["ok"] == false {
        // The Slack API answers 200 with its own error names.
        return match r.body["error"].as_str().unwrap_or_default() {
            "not_authed" | "invalid_auth" | "account_inactive" => 'U',
            "missing_scope" | "restricted_action" | "not_in_channel" => 'F',
            "channel_not_found" | "message_not_found" | "user_not_found" => 'H',
            _ => 'A',
        };
    }
    match r.status {
        401 => 'U',
        403 => 'F',
        404 if missing.is_none_or(|m| *m == r.body) => 'H',
        s if s >= 500 => 'E',
        _ => 'A',
    }
}

async fn call(c: &Client, method: &str, path: &str, body: &Option<Value>) -> crate::client::Resp {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    c.send(m, path, body.clone()).await
}

/// The caller; "bot_without" gets a token with every scope but the one the route needs
/// (and the path that revokes it after: a bot holds only so many).
async fn caller(who: &str, p: &People, f: &Fixture, method: &str, path: &str) -> (Client, Option<String>) {
    use parley::bots::scopes::{required, BotAccess, Scope, ALL};
    match who {
        "bot_with" => (f.bot_with.clone(), None),
        "bot_without" => {
            let m = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let lacking = match required(&m, path) {
                BotAccess::Needs(scope) => Some(scope),
                _ if path.starts_with("/slack/api/") && path_reads(path) => Some(Scope::ChannelsHistory),
                _ if path.starts_with("/slack/api/") => Some(Scope::ChatWrite),
                _ => None,
            };
            let scopes: Vec<&str> = ALL.iter().filter(|s| Some(**s) != lacking).map(|s| s.as_str()).collect();
            let wsadmin = &p.callers["workspace_admin"];
            let tokens = format!("/api/v1/bots/{}/tokens", f.bot_without.user_id);
            let t = wsadmin.post(&tokens, json!({"name": unique("t"), "scopes": scopes})).await.expect(201);
            let mut b = f.bot_without.clone();
            b.token = t.body["token"].as_str().map(str::to_owned);
            (b, Some(format!("{tokens}/{}", t.body["id"].as_str().expect("token id"))))
        }
        other => (p.callers[other].clone(), None),
    }
}

/// Signs a caller in again when an operation ended their session (logout, a password).
async fn keep_signed_in(app: &TestApp, p: &mut People, who: &'static str) {
    if matches!(who, "anonymous" | "deactivated" | "bot_with" | "bot_without") {
        return;
    }
    let c = &p.callers[who];
    if c.get("/api/v1/me").await.status == 401 {
        let mut fresh = app.login_as(&c.email, PASSWORD).await;
        fresh.user_id = c.user_id;
        fresh.username = c.username.clone();
        fresh.email = c.email.clone();
        if who == "instance_admin" {
            p.ada = fresh.clone();
        }
        p.callers.insert(who, fresh);
    }
}

#[tokio::test]
async fn every_operation_answers_each_kind_of_caller_as_the_table_says() {
    let app = TestApp::spawn_with(
        |s| {
            s.integrations.allow_hosts = vec!["127.0.0.1".into()];
            s.server.requests_per_minute_per_credential = 0;
            s.server.requests_per_minute_per_address = 0;
            s.auth.login_attempts_per_ip_per_minute = 100_000;
            s.auth.login_attempts_per_account_per_minute = 100_000;
        },
        Default::default(),
    )
    .await;
    let mut p = people(&app).await;
    let doc = p.ada.get("/api/v1/openapi.json").await.expect(200).body;
    let route_missing = app.anon().get("/api/v1/no/such/route").await.expect(404).body;
    let expected: BTreeMap<&str, &str> = EXPECTED.iter().copied().collect();
    let print = std::env::var("PARLEY_AUTHZ_PRINT").is_ok();

    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            operations.push((method.clone(), path.clone(), op.clone()));
        }
    }
    // Reads first, on one fixture; then each change on fixtures of its own.
    operations.sort_by_key(|(m, path, _)| (m != "get", path.clone()));
    let mut failures = Vec::new();
    let mut observed = Vec::new();
    let mut seen = Vec::new();
    let shared = fixture(&app, &p).await;
    for (method, path, op) in &operations {
        let key = format!("{} {path}", method.to_uppercase());
        seen.push(key.clone());
        let want: Vec<char> = match expected.get(key.as_str()) {
            Some(row) => row.chars().collect(),
            None if print => vec!['?'; CALLERS.len()],
            None => {
                failures.push(format!("{key}: no row in EXPECTED"));
                continue;
            }
        };
        let read = method == "get";
        READ_METHOD.with(|r| r.set(read));
        let required: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        QUERY.with(|q| *q.borrow_mut() = required);
        let mut got = vec!['?'; CALLERS.len()];
        // The refused (all of them, on one fixture), then each let-through on its own.
        let mut order: Vec<usize> = (0..CALLERS.len()).collect();
        order.sort_by_key(|i| want[*i] == 'A');
        let refused_fixture = if read { None } else { Some(fixture(&app, &p).await) };
        for i in order {
            let who = CALLERS[i];
            let own;
            let f = match (&refused_fixture, want[i]) {
                _ if read => &shared,
                (Some(f), c) if c != 'A' && c != '?' => f,
                _ => {
                    own = fixture(&app, &p).await;
                    &own
                }
            };
            let body = body_of(&doc, method, path, op, f, &p);
            let (c, revoke) = caller(who, &p, f, method, path).await;
            if path == "/api/v1/ws" {
                let (l, said) = ws_letter(&c).await;
                got[i] = l;
                if print {
                    eprintln!("cell {key} {who} {said}");
                }
                if got[i] != want[i] && want[i] != '?' || l == 'E' {
                    failures.push(format!("{key} as {who}: expected {}, got {said}", want[i]));
                }
                if let Some(revoke) = revoke {
                    p.callers["workspace_admin"].delete(&revoke).await;
                }
                continue;
            }
            let r = call(&c, method, &concrete(path, f, false), &body).await;
            let slack_refusal = r.status == 200 && r.body["ok"] == false;
            let missing = if r.status != 404 && !slack_refusal {
                None
            } else if path.contains('{') {
                let body = if path.starts_with("/slack/") {
                    Some(json!({"channel": Uuid::now_v7(), "text": "hi"}))
                } else {
                    body.clone()
                };
                Some(call(&c, method, &concrete(path, f, true), &body).await.body)
            } else {
                Some(route_missing.clone())
            };
            got[i] = letter(&r, missing.as_ref());
            if print {
                eprintln!("cell {key} {who} {} {}", r.status, r.body.to_string().chars().take(160).collect::<String>());
            }
            if got[i] != want[i] && want[i] != '?' {
                failures.push(format!("{key} as {who}: expected {}, got {} {}", want[i], r.status, r.body));
            }
            if got[i] == 'E' {
                failures.push(format!("{key} as {who}: {} {}", r.status, r.body));
            }
            if let Some(revoke) = revoke {
                p.callers["workspace_admin"].delete(&revoke).await;
            }
            keep_signed_in(&app, &mut p, who).await;
        }
        observed.push(format!("    (\"{key}\", \"{}\"),", got.iter().collect::<String>()));
    }
    for (key, _) in EXPECTED {
        if !seen.iter().any(|s| s == key) {
            failures.push(format!("{key}: in EXPECTED but not in the OpenAPI document"));
        }
    }
    if print {
        println!("{}", observed.join("\n"));
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
