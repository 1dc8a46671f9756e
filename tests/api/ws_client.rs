//! A real WebSocket client for the realtime protocol (docs/realtime.md).
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::helpers::Client;

pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Ws {
    stream: WebSocketStream<TcpStream>,
    /// The `ready` frame: `pos` is where this connection's live stream starts.
    pub ready: Value,
    /// Events replayed before `ready` (resume).
    pub replayed: Vec<Value>,
    /// Highest durable position seen.
    pub pos: i64,
}

#[derive(Default)]
pub struct Options {
    pub resume_from: Option<i64>,
    pub recv_buffer: Option<u32>,
    pub origin: Option<String>,
}

async fn open(c: &Client, opts: &Options) -> Result<WebSocketStream<TcpStream>, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/api/v1/ws", c.base.replacen("http://", "ws://", 1));
    let mut req = url.as_str().into_client_request()?;
    if let Some(cookie) = &c.cookie {
        req.headers_mut().insert("cookie", cookie.parse().expect("cookie header"));
        let origin = opts.origin.clone().or_else(|| c.origin.clone()).expect("origin");
        req.headers_mut().insert("origin", origin.parse().expect("origin header"));
    } else if let Some(origin) = &opts.origin {
        req.headers_mut().insert("origin", origin.parse().expect("origin header"));
    }
    let addr: std::net::SocketAddr = c.base.trim_start_matches("http://").parse().expect("addr");
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = opts.recv_buffer {
        socket.set_recv_buffer_size(size).expect("recv buffer");
    }
    let tcp = socket.connect(addr).await.expect("tcp connect");
    let (stream, _) = tokio_tungstenite::client_async(req, tcp).await?;
    Ok(stream)
}

impl Ws {
    pub async fn connect(c: &Client) -> Ws {
        Self::connect_with(c, Options::default()).await
    }

    pub async fn resume(c: &Client, from: i64) -> Ws {
        Self::connect_with(c, Options { resume_from: Some(from), ..Default::default() }).await
    }

    /// Connects, says hello (with the token if the client has one), and reads until `ready`.
    pub async fn connect_with(c: &Client, opts: Options) -> Ws {
        let mut stream = open(c, &opts).await.expect("websocket handshake");
        let hello = json!({"type": "hello", "token": c.token, "resume_from": opts.resume_from});
        stream.send(Message::text(hello.to_string())).await.expect("send hello");
        let mut ws = Ws { stream, ready: Value::Null, replayed: Vec::new(), pos: opts.resume_from.unwrap_or(0) };
        loop {
            let frame = ws.next_json().await.expect("a frame before ready");
            match frame["type"].as_str() {
                Some("ready") => {
                    ws.ready = frame.clone();
                    ws.pos = ws.pos.max(frame["pos"].as_i64().expect("ready.pos"));
                    return ws;
                }
                _ => ws.replayed.push(frame),
            }
        }
    }

    /// Opens the socket and sends `hello` without waiting (for refusal tests).
    pub async fn raw(c: &Client, opts: Options, hello: Value) -> Result<WebSocketStream<TcpStream>, String> {
        let mut stream = open(c, &opts).await.map_err(|e| e.to_string())?;
        stream.send(Message::text(hello.to_string())).await.map_err(|e| e.to_string())?;
        Ok(stream)
    }

    /// The next JSON frame within the deadline (pings are answered by the library).
    pub async fn next_json(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(DEADLINE, self.stream.next()).await.ok()??.ok()?;
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
                    if let Some(p) = v["pos"].as_i64() {
                        if v["type"] == "resync_required" {
                            self.pos = p;
                        } else if v["type"] != "ready" {
                            assert!(p > self.pos || self.pos == 0, "positions only grow: {p} after {}", self.pos);
                            self.pos = p;
                        }
                    }
                    return Some(v);
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Waits for an event matching `pred`, skipping others; panics at the deadline.
    pub async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            match self.next_json().await {
                Some(v) if pred(&v) => return v,
                Some(_) => {}
                None => panic!("socket ended while waiting for {what}"),
            }
        }
    }

    /// The next `message.created` event.
    pub async fn next_message(&mut self) -> Value {
        self.expect("a message", |v| v["type"] == "message.created").await
    }

    pub async fn send(&mut self, v: Value) {
        self.stream.send(Message::text(v.to_string())).await.expect("send");
    }

    /// Reads until the server closes; returns the close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        close_code_of(&mut self.stream).await
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

pub async fn close_code_of(stream: &mut WebSocketStream<TcpStream>) -> Option<u16> {
    loop {
        match tokio::time::timeout(DEADLINE, stream.next()).await.ok()? {
            Some(Ok(Message::Close(Some(frame)))) => return Some(u16::from(frame.code)),
            Some(Ok(Message::Close(None))) => return Some(u16::from(CloseCode::Status)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
}
