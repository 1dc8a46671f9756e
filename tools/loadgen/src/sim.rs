//! One simulated person: a WebSocket that counts what arrives, and a loop of actions
//! with the mix of Mattermost's load-test "simulative" controller.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use rand::Rng;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::api::Api;
use crate::seed::SimUser;
use crate::socket::{self, Seen, Tally};

pub struct Shared {
    /// One client per node; person i talks to node i mod n.
    pub apis: Vec<Api>,
    pub workspace: String,
    pub idle: (f64, f64),
    pub usernames: Vec<String>,
    pub user_ids: Vec<String>,
    pub stop: AtomicBool,
    pub tally: Arc<Tally>,
    pub actions: AtomicU64,
    pub posts: AtomicU64,
    pub reconnects: AtomicU64,
}

const WORDS: &[&str] = &[
    "deploy", "release", "review", "meeting", "customer", "invoice", "ticket", "build", "server", "design", "today",
    "tomorrow", "please", "thanks", "update", "the", "a", "is", "we", "should", "check", "after", "lunch", "budget",
    "roadmap", "feature", "bug", "fixed", "shipping", "draft", "numbers", "looks", "good",
];

/// About 35 words, optionally starting with an @mention.
pub fn sentence(rng: &mut impl Rng, mention: Option<&str>) -> String {
    let n = rng.random_range(25..45);
    let mut words: Vec<String> = (0..n).map(|_| WORDS[rng.random_range(0..WORDS.len())].to_owned()).collect();
    if let Some(m) = mention {
        words.insert(0, format!("@{m}"));
    }
    words.join(" ")
}

/// Runs one person until `shared.stop`; returns what their sockets received.
pub async fn run(shared: Arc<Shared>, user: SimUser, node: usize) -> anyhow::Result<Arc<Mutex<Seen>>> {
    let seen = Arc::new(Mutex::new(Seen { channels: user.channels.iter().cloned().collect(), ..Default::default() }));
    let api = &shared.apis[node % shared.apis.len()];
    let me: Arc<str> = user.id.as_str().into();
    let mut live = socket::open(&api.ws_url(), &user.token, None, &seen, &shared.tally, &me).await?;
    let mut last_ping = Instant::now();
    let ws_id = shared.workspace.clone();
    while !shared.stop.load(Ordering::Relaxed) {
        let idle = rand::rng().random_range(shared.idle.0..shared.idle.1);
        tokio::time::sleep(Duration::from_secs_f64(idle)).await;
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if last_ping.elapsed() > Duration::from_secs(15) {
            let _ = live.sink.send(Message::text(r#"{"type":"activity"}"#)).await;
            last_ping = Instant::now();
        }
        shared.actions.fetch_add(1, Ordering::Relaxed);
        let (channel, root) = {
            let s = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            let list: Vec<&String> = s.channels.iter().collect();
            let ch = list[rand::rng().random_range(0..list.len())].clone();
            let root = s.last_message.get(&ch).cloned();
            (ch, root)
        };
        let roll = rand::rng().random_range(0..100);
        let t = user.token.as_str();
        match roll {
            0..48 => {
                api.get("history", &format!("/api/v1/channels/{channel}/messages?limit=50"), t).await?;
            }
            48..63 => {
                let page = api.get("history", &format!("/api/v1/channels/{channel}/messages?limit=50"), t).await?;
                if let Some(first) = page["messages"][0]["seq"].as_i64() {
                    api.get("scroll_back", &format!("/api/v1/channels/{channel}/messages?before={first}&limit=50"), t)
                        .await?;
                }
            }
            63..70 | 96..100 => {
                let reply = roll >= 96;
                let mention = if rand::rng().random_bool(0.02) {
                    Some(shared.usernames[rand::rng().random_range(0..shared.usernames.len())].clone())
                } else {
                    None
                };
                let cmid = uuid::Uuid::new_v4().to_string();
                let text = sentence(&mut rand::rng(), mention.as_deref());
                let mut body = json!({"text": text, "client_msg_id": cmid});
                if reply {
                    body["thread_root_id"] = json!(root);
                }
                shared.tally.mark_sent(&cmid);
                let label = if reply { "thread_reply" } else { "post" };
                api.post(label, &format!("/api/v1/channels/{channel}/messages"), t, body).await?;
                shared.posts.fetch_add(1, Ordering::Relaxed);
            }
            70..77 => {
                api.get("unread_check", &format!("/api/v1/workspaces/{ws_id}/channels"), t).await?;
            }
            77..84 => {
                let other = shared.user_ids[rand::rng().random_range(0..shared.user_ids.len())].clone();
                api.post(
                    "open_dm",
                    &format!("/api/v1/workspaces/{ws_id}/conversations"),
                    t,
                    json!({"user_ids": [other]}),
                )
                .await?;
            }
            84..85 => {
                if let Some(id) = root {
                    api.post("reaction", &format!("/api/v1/messages/{id}/reactions"), t, json!({"emoji": "thumbsup"}))
                        .await?;
                }
            }
            85..86 => {
                // Drop the socket and resume from the last position seen.
                live.close().await;
                let pos = seen.lock().map(|s| s.pos).unwrap_or(0);
                live = socket::open(&api.ws_url(), t, Some(pos), &seen, &shared.tally, &me).await?;
                shared.reconnects.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                api.get("unread_check", &format!("/api/v1/workspaces/{ws_id}/channels"), t).await?;
            }
        }
    }
    // Keep listening while the others finish; the caller verifies and then drops us.
    tokio::spawn(async move {
        let _keep = live.sink;
        let _ = live.reader.await;
    });
    Ok(seen)
}

pub fn new_shared(apis: Vec<Api>, workspace: String, idle: (f64, f64), users: &[SimUser]) -> Arc<Shared> {
    Arc::new(Shared {
        apis,
        workspace,
        idle,
        usernames: users.iter().map(|u| u.username.clone()).collect(),
        user_ids: users.iter().map(|u| u.id.clone()).collect(),
        stop: AtomicBool::new(false),
        tally: Tally::new(),
        actions: AtomicU64::new(0),
        posts: AtomicU64::new(0),
        reconnects: AtomicU64::new(0),
    })
}
