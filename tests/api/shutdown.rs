//! Graceful shutdown from the client's side: every request that was fully sent before
//! the stop gets an answer, and what was answered 201 is stored.
use futures_util::future::join_all;
use parley::messages::model::message;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::helpers::TestApp;

const CLIENTS: usize = 150;

fn post_request(host: &str, token: &str, channel: Uuid, text: &str) -> Vec<u8> {
    let body = json!({"text": text}).to_string();
    format!(
        "POST /api/v1/channels/{channel}/messages HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One HTTP/1.1 response read off the socket: its status, or None if the connection
/// ended without one.
async fn read_response(tcp: &mut TcpStream) -> Option<u16> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.ok()?);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let len: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    tcp.read_exact(&mut body).await.ok()?;
    Some(status)
}

/// Writes `CLIENTS` complete requests (on fresh connections, or as the second request
/// of kept-alive ones), stops the server right after, and checks every one is answered
/// and every 201 is stored.
async fn drained(keep_alive: bool) {
    // The suite stops its servers after 1 s; 150 posts of a debug build on a loaded
    // machine need more, so this test gets a stop budget nearer the default (20 s).
    let app = TestApp::spawn_with(|s| s.server.shutdown_timeout_s = 10, Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let token = ada.with_token().await.token.expect("token");
    let host = app.base.trim_start_matches("http://").to_owned();

    let mut sockets = join_all((0..CLIENTS).map(|i| {
        let (host, token) = (host.clone(), token.clone());
        async move {
            let mut tcp = TcpStream::connect(&host).await.expect("connect");
            if keep_alive {
                tcp.write_all(&post_request(&host, &token, general, &format!("warm-up {i}"))).await.expect("write");
                assert_eq!(read_response(&mut tcp).await, Some(201));
            }
            tcp
        }
    }))
    .await;
    for (i, tcp) in sockets.iter_mut().enumerate() {
        tcp.write_all(&post_request(&host, &token, general, &format!("last {i}"))).await.expect("request sent");
    }
    app.shutdown().await;

    let answers = join_all(sockets.iter_mut().map(read_response)).await;
    let unanswered = answers.iter().filter(|a| a.is_none()).count();
    let created = answers.iter().filter(|a| **a == Some(201)).count();
    eprintln!("keep-alive {keep_alive}: {created} created, {unanswered} unanswered of {CLIENTS}");
    assert_eq!(unanswered, 0, "every request sent before the stop is answered: {answers:?}");

    // A connection of our own: pooled ones opened on the stopped server's worker
    // runtimes cannot be used once those runtimes are gone (PostgreSQL).
    let conn = sea_orm::Database::connect(app.state.settings.database_url()).await.expect("connect");
    let stored = <message::Entity as sea_orm::EntityTrait>::find()
        .all(&conn)
        .await
        .expect("messages")
        .iter()
        .filter(|m| m.body.starts_with("last "))
        .count();
    assert_eq!(stored, created, "each 201 is a stored message, nothing else is");
}

#[tokio::test]
async fn requests_sent_on_new_connections_before_a_stop_are_all_answered() {
    drained(false).await;
}

#[tokio::test]
async fn requests_sent_on_kept_alive_connections_before_a_stop_are_all_answered() {
    drained(true).await;
}
