//! Hostile clients on a raw TCP socket: what an attacker can do without a well-behaved
//! HTTP or WebSocket library in the way.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;
use crate::ws_client::DEADLINE;

const CHUNK: usize = 64 * 1024;
/// The most an attacker pushes after an oversized header. A server that closes the
/// socket cuts it off long before (after at most its one-second linger).
const FLOOD: usize = 1 << 30;

/// A WebSocket handshake on a plain socket (no Origin, no cookie: not signed in).
async fn upgraded(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET /api/v1/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.expect("handshake");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.expect("handshake response"));
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    tcp
}

/// A masked client frame header (the mask is zero, so the payload goes as is).
fn header(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
    let mut h = vec![(u8::from(fin) << 7) | opcode, 0x80 | 127];
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 0]);
    h
}

/// Reads server frames until a close frame; its status code (None if the socket just ends).
async fn close_code(read: &mut tokio::net::tcp::OwnedReadHalf) -> Option<u16> {
    loop {
        let mut two = [0u8; 2];
        read.read_exact(&mut two).await.ok()?;
        let len = match two[1] & 0x7f {
            126 => u64::from(read.read_u16().await.ok()?),
            127 => read.read_u64().await.ok()?,
            n => u64::from(n),
        };
        let mut payload = vec![0u8; usize::try_from(len).ok()?];
        read.read_exact(&mut payload).await.ok()?;
        if two[0] & 0x0f == 0x8 {
            return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        }
    }
}

/// Sends `prefix`, then filler until told to stop, the server stops taking it, or FLOOD
/// bytes are out; the bytes sent after the prefix.
async fn flood(mut write: tokio::net::tcp::OwnedWriteHalf, prefix: Vec<u8>, stop: Arc<AtomicBool>) -> usize {
    if write.write_all(&prefix).await.is_err() {
        return 0;
    }
    let chunk = vec![b'x'; CHUNK];
    let mut sent = 0;
    while sent < FLOOD && !stop.load(Ordering::Relaxed) {
        if write.write_all(&chunk).await.is_err() {
            break;
        }
        sent += CHUNK;
    }
    // Keep the write side open: the server, not this client, must end the connection.
    std::mem::forget(write);
    sent
}

/// Resident memory of this process (the server runs in it), in bytes.
pub fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Floods an upgraded, unauthenticated socket after `prefix`; checks that the server
/// answers 1009, cuts the sender off, and holds none of what was sent.
async fn attack(app: &TestApp, prefix: Vec<u8>) {
    let (mut read, write) = upgraded(app).await.into_split();
    let (started, rss_before) = (Instant::now(), rss());
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(flood(write, prefix, stop.clone()));
    let code = tokio::time::timeout(DEADLINE, close_code(&mut read)).await.expect("the server answers");
    stop.store(true, Ordering::Relaxed);
    let closed_after = started.elapsed();
    let sent = tokio::time::timeout(DEADLINE, writer).await.expect("flood ends").expect("writer");
    let grew = rss().saturating_sub(rss_before);
    let mut rest = Vec::new();
    let eof = tokio::time::timeout(DEADLINE, read.read_to_end(&mut rest)).await;
    eprintln!(
        "close {code:?} after {closed_after:?} and {} MiB; connection ended after {:?}; RSS grew {} MiB",
        sent >> 20,
        started.elapsed(),
        grew >> 20
    );
    assert_eq!(code, Some(1009), "message too big");
    assert!(eof.is_ok(), "the server ends the connection itself");
    assert!(grew < (64 << 20) + sent / 4, "RSS grew by {} MiB while {} MiB were sent", grew >> 20, sent >> 20);
}

#[tokio::test]
async fn a_frame_declaring_more_than_the_limit_closes_the_socket_before_its_payload_is_read() {
    let app = TestApp::spawn().await;
    attack(&app, header(true, 0x1, 1 << 62)).await;
}

#[tokio::test]
async fn continuation_frames_are_bounded_in_total_as_they_arrive() {
    let app = TestApp::spawn().await;
    // Fragments of 60 KiB each are within the frame limit; together they pass the
    // message limit after a few, and the next header is refused.
    let mut prefix = Vec::new();
    let part = vec![b' '; 60 * 1024];
    prefix.extend(header(false, 0x1, part.len() as u64));
    prefix.extend(&part);
    for _ in 0..4 {
        prefix.extend(header(false, 0x0, part.len() as u64));
        prefix.extend(&part);
    }
    prefix.extend(header(false, 0x0, 1 << 40));
    attack(&app, prefix).await;
}

/// Reads one response head off a raw socket: the status and the head's text.
async fn response_head(tcp: &mut TcpStream) -> Option<(u16, String)> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.ok()?);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    Some((head.split(' ').nth(1)?.parse().ok()?, head))
}

/// Whether the server ends the connection (rather than holding it open).
async fn ends(tcp: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    tokio::time::timeout(DEADLINE, tcp.read_to_end(&mut rest)).await.is_ok()
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off_with_408_and_the_connection_closed() {
    let app = TestApp::spawn_with(
        |s| {
            s.server.body_idle_timeout_s = 1;
            s.files.upload_idle_timeout_s = 2;
        },
        Default::default(),
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Unauthenticated sign-in requests promising more than they send.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut tcp = TcpStream::connect(&addr).await.expect("connect");
        let req = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 1000\r\n\r\n{{\"email\":"
        );
        tcp.write_all(req.as_bytes()).await.expect("write");
        slow.push(tcp);
    }
    for tcp in &mut slow {
        let (status, head) = tokio::time::timeout(DEADLINE, response_head(tcp)).await.expect("answered").expect("head");
        assert_eq!(status, 408, "{head}");
        assert!(ends(tcp).await, "the connection is closed after the 408");
    }
    // An upload that stalls gets its longer idle timeout, then the same answer.
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let token = ada.with_token().await.token.expect("token");
    let mut tcp = TcpStream::connect(&addr).await.expect("connect");
    let started = Instant::now();
    let req = format!(
        "POST /api/v1/channels/{general}/files HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n--XX\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nsome bytes"
    );
    tcp.write_all(req.as_bytes()).await.expect("write");
    let (status, head) =
        tokio::time::timeout(DEADLINE, response_head(&mut tcp)).await.expect("answered").expect("head");
    assert_eq!(status, 408, "{head}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "uploads wait their own, longer idle timeout");
    let files = ada.get(&format!("/api/v1/channels/{general}/files")).await;
    assert_eq!(files.body.as_array().map(Vec::len), Some(0), "nothing stored: {:?}", files.body);
}

#[tokio::test]
async fn one_address_may_hold_only_so_many_connections() {
    let app = TestApp::spawn_with(|s| s.server.max_connections_per_ip = 4, Default::default()).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let get = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut tcp = TcpStream::connect(&addr).await.expect("connect");
        tcp.write_all(get.as_bytes()).await.expect("write");
        let (status, _) = response_head(&mut tcp).await.expect("head");
        assert_eq!(status, 200);
        held.push(tcp);
    }
    let mut fifth = TcpStream::connect(&addr).await.expect("connect");
    fifth.write_all(get.as_bytes()).await.expect("write");
    let (status, head) = response_head(&mut fifth).await.expect("head");
    assert_eq!(status, 429, "{head}");
    assert!(ends(&mut fifth).await, "the connection over the cap is closed after its answer");
    drop(held.pop());
    // The freed slot is usable once the server has seen the close.
    let mut status = 0;
    for _ in 0..100 {
        let mut again = TcpStream::connect(&addr).await.expect("connect");
        again.write_all(get.as_bytes()).await.expect("write");
        status = response_head(&mut again).await.map_or(0, |(s, _)| s);
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200, "a closed connection frees its slot");
}

#[tokio::test]
async fn one_account_cannot_hold_more_sockets_than_its_allowance_and_a_closed_one_frees_a_place() {
    use crate::ws_client::{close_code_of, Options, Ws};
    let app = TestApp::spawn_with(|s| s.realtime.max_sockets_per_person = 3, Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Ws::connect(&ada).await);
    }
    let hello = serde_json::json!({"type": "hello", "token": ada.token});
    let mut fourth = Ws::raw(&ada, Options::default(), hello.clone()).await.expect("handshake");
    assert_eq!(close_code_of(&mut fourth).await, Some(4029), "the fourth is closed");
    Ws::connect(&bob).await; // someone else is counted apart
    held.pop().expect("one").close().await;
    for _ in 0..100 {
        let mut again = Ws::raw(&ada, Options::default(), hello.clone()).await.expect("handshake");
        let first =
            tokio::time::timeout(std::time::Duration::from_secs(5), futures_util::StreamExt::next(&mut again)).await;
        // Admitted: frames follow (`ready`); refused: the close frame comes first.
        if let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_)))) = first {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the place of the closed socket was not given back");
}
