//! The SSRF guard against a corpus of spellings, and against real listeners: a canary
//! on loopback must never see a connection unless the allowlist opens it.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

fn outbound(allow: &[&str], ports: &[u16]) -> Outbound {
    let allow: Vec<String> = allow.iter().map(|s| (*s).to_owned()).collect();
    Outbound::new(Policy::new(&allow, ports)).expect("client")
}

fn get(url: &str) -> OutboundRequest {
    OutboundRequest { method: Method::GET, url: url.to_owned(), headers: Vec::new(), body: None }
}

fn is_refused(r: &Result<OutboundResponse, OutboundError>) -> bool {
    matches!(r, Err(OutboundError::Refused(_)))
}

#[test]
fn every_spelling_of_an_inside_address_is_refused() {
    let o = outbound(&[], &[80, 443]);
    let refused = [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://127.0.0.1./",
        "http://%31%32%37.0.0.1/",
        "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
        "http://0.0.0.0/",
        "http://0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://172.31.255.255/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://100.100.100.200/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.0.0.192/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://198.18.0.1/",
        "http://[::1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        "http://[fec0::1]/",
        "http://[ff02::1]/",
        "http://[2002:7f00:1::]/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[64:ff9b:1::1]/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        "http://[2001:db8::1]/",
        "http://[100::1]/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com:70/",
        "javascript:alert(1)",
        "http://example.com:22/",
        "https://example.com:6379/",
    ];
    for url in refused {
        match o.check_url(url) {
            Err(OutboundError::Refused(_)) => {}
            other => panic!("{url} was not refused: {other:?}"),
        }
    }
    for url in ["http://93.184.216.34/", "https://example.com/hook", "http://[2606:4700::1111]/", "http://8.8.8.8/"] {
        assert!(o.check_url(url).is_ok(), "{url} is public");
    }
}

#[test]
fn the_allowlist_opens_exactly_what_it_names() {
    let o = outbound(&["10.20.0.0/16", "192.168.1.7", "hooks.internal."], &[443]);
    assert!(o.check_url("http://10.20.3.4:9000/").is_ok(), "in the network, any port");
    assert!(o.check_url("http://10.21.0.1/").is_err(), "next network");
    assert!(o.check_url("http://192.168.1.7:8080/x").is_ok());
    assert!(o.check_url("http://192.168.1.8/").is_err());
    assert!(o.check_url("http://HOOKS.internal:8080/").is_ok(), "named host, any port");
    assert!(o.check_url("http://example.com/").is_err(), "public hosts keep the port rule");
}

/// A listener that counts connections and answers each with `response`.
async fn listener(ip: &str, response: Arc<dyn Fn(u16) -> String + Send + Sync>) -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind((ip, 0)).await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = response(port);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (port, seen)
}

fn ok_body(body: &str) -> Arc<dyn Fn(u16) -> String + Send + Sync> {
    let body = body.to_owned();
    Arc::new(move |_| format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()))
}

#[tokio::test]
async fn a_canary_on_loopback_is_never_contacted() {
    let (port, seen) = listener("127.0.0.1", ok_body("secret")).await;
    let o = outbound(&[], &[port]);
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://LOCALHOST.:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
    ] {
        let r = o.send(get(&url)).await;
        assert!(is_refused(&r), "{url}: {r:?}");
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the canary saw a connection");
}

#[tokio::test]
async fn redirects_are_checked_at_every_hop() {
    let (canary, seen) = listener("127.0.0.2", ok_body("inside")).await;
    let to_canary: Arc<dyn Fn(u16) -> String + Send + Sync> = Arc::new(move |_| {
        format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:{canary}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    });
    let (redirector, _) = listener("127.0.0.1", to_canary).await;
    let o = outbound(&["127.0.0.1/32"], &[80, 443]);
    let r = o.send(get(&format!("http://127.0.0.1:{redirector}/"))).await;
    assert!(is_refused(&r), "{r:?}");
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the redirect target was contacted");

    // A loop of redirects ends after three hops.
    let self_loop: Arc<dyn Fn(u16) -> String + Send + Sync> = Arc::new(|port| {
        format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{port}/again\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    });
    let (looping, hops) = listener("127.0.0.1", self_loop).await;
    let r = o.send(get(&format!("http://127.0.0.1:{looping}/"))).await;
    assert!(matches!(r, Err(OutboundError::Refused(Refusal::TooManyRedirects(3)))), "{r:?}");
    assert_eq!(hops.load(Ordering::SeqCst), 4, "the first request and three hops");
}

#[tokio::test]
async fn an_allowlisted_target_is_reached_and_its_answer_capped() {
    let big = "x".repeat(200 * 1024);
    let (port, seen) = listener("127.0.0.1", ok_body(&big)).await;
    let o = outbound(&["127.0.0.1"], &[]);
    let r = o.send(get(&format!("http://127.0.0.1:{port}/"))).await.expect("reached");
    assert_eq!((r.status, r.body.len(), r.truncated), (200, MAX_BODY_BYTES, true));
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    // The allowlist names 127.0.0.1 only: another loopback address stays closed.
    let (other, other_seen) = listener("127.0.0.2", ok_body("no")).await;
    assert!(is_refused(&o.send(get(&format!("http://127.0.0.2:{other}/"))).await));
    assert_eq!(other_seen.load(Ordering::SeqCst), 0);
}
