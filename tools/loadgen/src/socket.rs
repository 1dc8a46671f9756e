//! One person's WebSocket: connect with the token in the hello frame, then count what
//! arrives — every message.created by channel and seq (to find losses and duplicates)
//! and its post→deliver latency.
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api::histogram;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub type Sink = SplitSink<Socket, Message>;

/// Counters shared by every socket of a run.
pub struct Tally {
    /// client_msg_id → when its POST started.
    pub sent: Mutex<HashMap<String, Instant>>,
    pub latency: Mutex<Histogram<u64>>,
    pub deliveries: AtomicU64,
    pub ready: AtomicU64,
}

impl Tally {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            sent: Mutex::default(),
            latency: Mutex::new(histogram()),
            deliveries: AtomicU64::new(0),
            ready: AtomicU64::new(0),
        })
    }

    pub fn mark_sent(&self, client_msg_id: &str) {
        if let Ok(mut s) = self.sent.lock() {
            s.insert(client_msg_id.to_owned(), Instant::now());
        }
    }

    pub fn latency(&self) -> Histogram<u64> {
        self.latency.lock().map(|h| h.clone()).unwrap_or_else(|_| histogram())
    }
}

/// What one person's sockets received.
#[derive(Default)]
pub struct Seen {
    /// channel → seq → how many times it arrived (index 0 unused).
    pub seqs: HashMap<String, Vec<u32>>,
    pub channels: HashSet<String>,
    pub pos: i64,
    pub last_message: HashMap<String, String>,
    /// When the current socket got its "ready" frame.
    pub ready_at: Option<Instant>,
}

impl Seen {
    pub fn count(&self, channel: &str, seq: i64) -> u32 {
        let i = usize::try_from(seq).unwrap_or(0);
        self.seqs.get(channel).and_then(|v| v.get(i)).copied().unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    pos: Option<i64>,
    #[serde(borrow)]
    channel_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    seq: Option<i64>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client_msg_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_id: Option<Cow<'a, str>>,
}

/// Small buffers: the load generator holds thousands of these.
fn config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0)
}

pub async fn connect(url: &str, token: &str, resume_from: Option<i64>) -> anyhow::Result<Socket> {
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config()), true).await?;
    ws.send(Message::text(json!({"type": "hello", "token": token, "resume_from": resume_from}).to_string())).await?;
    Ok(ws)
}

/// Reads one socket until it closes, recording into `seen` and `tally`.
pub async fn read(mut stream: SplitStream<Socket>, seen: Arc<Mutex<Seen>>, tally: Arc<Tally>, me: Arc<str>) {
    let mut live = false;
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(t) = msg else { continue };
        let Ok(f) = serde_json::from_str::<Frame>(t.as_str()) else { continue };
        let Ok(mut s) = seen.lock() else { return };
        if let Some(p) = f.pos {
            s.pos = s.pos.max(p);
        }
        match f.kind.as_ref() {
            "ready" => {
                live = true;
                s.ready_at = Some(Instant::now());
                tally.ready.fetch_add(1, Ordering::Relaxed);
            }
            "message.created" => {
                let (Some(ch), Some(d)) = (f.channel_id, f.data) else { continue };
                let seq = usize::try_from(d.seq.unwrap_or(0)).unwrap_or(0);
                let counts = match s.seqs.get_mut(ch.as_ref()) {
                    Some(v) => v,
                    None => s.seqs.entry(ch.to_string()).or_default(),
                };
                if counts.len() <= seq {
                    counts.resize(seq + 1, 0);
                }
                counts[seq] += 1;
                let first = counts[seq] == 1;
                if let Some(id) = d.id {
                    s.last_message.insert(ch.into_owned(), id.into_owned());
                }
                drop(s);
                tally.deliveries.fetch_add(1, Ordering::Relaxed);
                if let (true, true, Some(cmid)) = (live, first, d.client_msg_id) {
                    let sent = tally.sent.lock().ok().and_then(|m| m.get(cmid.as_ref()).copied());
                    if let Some(at) = sent {
                        let micros = u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
                        if let Ok(mut h) = tally.latency.lock() {
                            let _ = h.record(micros);
                        }
                    }
                }
            }
            "member.joined" if d_user(&f.data) == Some(me.as_ref()) => {
                if let Some(ch) = f.channel_id {
                    s.channels.insert(ch.into_owned());
                }
            }
            _ => {}
        }
    }
}

fn d_user<'a>(d: &'a Option<Data<'_>>) -> Option<&'a str> {
    d.as_ref().and_then(|d| d.user_id.as_deref())
}

/// A connected socket whose frames are being read into `seen`.
pub struct Live {
    pub sink: Sink,
    pub reader: tokio::task::JoinHandle<()>,
}

pub async fn open(
    url: &str,
    token: &str,
    resume_from: Option<i64>,
    seen: &Arc<Mutex<Seen>>,
    tally: &Arc<Tally>,
    me: &Arc<str>,
) -> anyhow::Result<Live> {
    let ws = connect(url, token, resume_from).await?;
    let (sink, stream) = ws.split();
    let reader = tokio::spawn(read(stream, seen.clone(), tally.clone(), me.clone()));
    Ok(Live { sink, reader })
}

impl Live {
    /// Closes the socket and waits until the server has closed its side.
    pub async fn close(mut self) {
        let _ = self.sink.close().await;
        let _ = self.reader.await;
    }
}
