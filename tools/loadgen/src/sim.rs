//! One simulated person: a WebSocket that counts what arrives, and a loop of actions
//! with the mix of Mattermost's load-test "simulative" controller.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rand::Rng;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api::{histogram, Api};
use crate::seed::SimUser;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Shared {
    pub api: Api,
    pub workspace: String,
    pub idle: (f64, f64),
    pub usernames: Vec<String>,
    pub user_ids: Vec<String>,
    pub stop: AtomicBool,
    pub sent: Mutex<HashMap<String, Instant>>,
    pub latency: Mutex<Histogram<u64>>,
    pub actions: AtomicU64,
    pub posts: AtomicU64,
    pub deliveries: AtomicU64,
    pub reconnects: AtomicU64,
}

#[derive(Default)]
pub struct Seen {
    /// channel → seq → how many times it arrived.
    pub seqs: HashMap<String, HashMap<i64, u32>>,
    pub channels: HashSet<String>,
    pub pos: i64,
    last_message: HashMap<String, String>,
}

const WORDS: &[&str] = &[
    "deploy", "release", "review", "meeting", "customer", "invoice", "ticket", "build", "server", "design", "today",
    "tomorrow", "please", "thanks", "update", "the", "a", "is", "we", "should", "check", "after", "lunch", "budget",
    "roadmap", "feature", "bug", "fixed", "shipping", "draft", "numbers", "looks", "good",
];

fn sentence(rng: &mut impl Rng, mention: Option<&str>) -> String {
    let n = rng.random_range(25..45);
    let mut words: Vec<String> = (0..n).map(|_| WORDS[rng.random_range(0..WORDS.len())].to_owned()).collect();
    if let Some(m) = mention {
        words.insert(0, format!("@{m}"));
    }
    words.join(" ")
}

async fn connect(shared: &Shared, token: &str, resume_from: Option<i64>) -> anyhow::Result<Socket> {
    let url = format!("{}/api/v1/ws", shared.api.base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    ws.send(Message::text(json!({"type": "hello", "token": token, "resume_from": resume_from}).to_string())).await?;
    Ok(ws)
}

async fn read(mut stream: SplitStream<Socket>, seen: Arc<Mutex<Seen>>, shared: Arc<Shared>, me: String) {
    let mut live = false;
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(t) = msg else { continue };
        let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
        let Ok(mut s) = seen.lock() else { return };
        if let Some(p) = v["pos"].as_i64() {
            s.pos = s.pos.max(p);
        }
        match v["type"].as_str() {
            Some("ready") => live = true,
            Some("message.created") => {
                let ch = v["channel_id"].as_str().unwrap_or_default().to_owned();
                let seq = v["data"]["seq"].as_i64().unwrap_or(-1);
                let n = s.seqs.entry(ch.clone()).or_default().entry(seq).or_insert(0);
                *n += 1;
                let first = *n == 1;
                if let Some(id) = v["data"]["id"].as_str() {
                    s.last_message.insert(ch, id.to_owned());
                }
                drop(s);
                shared.deliveries.fetch_add(1, Ordering::Relaxed);
                let cmid = v["data"]["client_msg_id"].as_str().unwrap_or_default();
                let sent = shared.sent.lock().ok().and_then(|m| m.get(cmid).copied());
                if let (true, true, Some(at)) = (live, first, sent) {
                    let micros = u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
                    if let Ok(mut h) = shared.latency.lock() {
                        let _ = h.record(micros);
                    }
                }
            }
            Some("member.joined") if v["data"]["user_id"] == me.as_str() => {
                if let Some(ch) = v["channel_id"].as_str() {
                    s.channels.insert(ch.to_owned());
                }
            }
            _ => {}
        }
    }
}

/// Runs one person until `shared.stop`; returns what their sockets received.
pub async fn run(shared: Arc<Shared>, user: SimUser) -> anyhow::Result<Arc<Mutex<Seen>>> {
    let seen = Arc::new(Mutex::new(Seen { channels: user.channels.iter().cloned().collect(), ..Default::default() }));
    let ws = connect(&shared, &user.token, None).await?;
    let (mut sink, stream) = ws.split();
    let mut reader = tokio::spawn(read(stream, seen.clone(), shared.clone(), user.id.clone()));
    let mut last_ping = Instant::now();
    let ws_id = shared.workspace.clone();
    while !shared.stop.load(Ordering::Relaxed) {
        let idle = rand::rng().random_range(shared.idle.0..shared.idle.1);
        tokio::time::sleep(Duration::from_secs_f64(idle)).await;
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if last_ping.elapsed() > Duration::from_secs(15) {
            let _ = sink.send(Message::text(r#"{"type":"activity"}"#)).await;
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
        let api = &shared.api;
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
                if let Ok(mut sent) = shared.sent.lock() {
                    sent.insert(cmid, Instant::now());
                }
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
                let _ = sink.close().await;
                let _ = (&mut reader).await;
                let pos = seen.lock().map(|s| s.pos).unwrap_or(0);
                let ws = connect(&shared, t, Some(pos)).await?;
                let (new_sink, stream) = ws.split();
                sink = new_sink;
                reader = tokio::spawn(read(stream, seen.clone(), shared.clone(), user.id.clone()));
                shared.reconnects.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                api.get("unread_check", &format!("/api/v1/workspaces/{ws_id}/channels"), t).await?;
            }
        }
    }
    // Keep listening while the others finish; the caller verifies and then drops us.
    tokio::spawn(async move {
        let _keep = sink;
        let _ = reader.await;
    });
    Ok(seen)
}

pub fn new_shared(api: Api, workspace: String, idle: (f64, f64), users: &[SimUser]) -> Arc<Shared> {
    Arc::new(Shared {
        api,
        workspace,
        idle,
        usernames: users.iter().map(|u| u.username.clone()).collect(),
        user_ids: users.iter().map(|u| u.id.clone()).collect(),
        stop: AtomicBool::new(false),
        sent: Mutex::default(),
        latency: Mutex::new(histogram()),
        actions: AtomicU64::new(0),
        posts: AtomicU64::new(0),
        deliveries: AtomicU64::new(0),
        reconnects: AtomicU64::new(0),
    })
}
