//! PostgreSQL out of reach while clients keep working: requests answer 503
//! `database_unavailable` within seconds (no long hang), nothing refused is stored, and
//! everything recovers without restarting Parley. The outage is made by a TCP relay of
//! the test's own between Parley and the real server: cut, every connection through it
//! breaks and new ones are refused at once; restored, it relays again.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::TestApp;
use crate::ws_client::Ws;

struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    /// Bumped at every cut: each relayed connection ends when it changes.
    cuts: Arc<watch::Sender<u64>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let cuts = Arc::new(watch::channel(0u64).0);
        let (flag, cutter) = (up.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is reset at once
                }
                // Subscribed now: only a cut made after this connection ends it.
                let (target, mut cut) = (target.clone(), cutter.subscribe());
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else { return };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { port, up, cuts }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `postgres://u@host:port/db?x` with host:port replaced by the relay's.
fn through(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_once('/').expect("a database");
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    (format!("{scheme}://{user}127.0.0.1:{port}/{path}"), hostport.to_owned())
}

#[tokio::test]
async fn postgresql_out_of_reach_answers_503_quickly_and_everything_recovers() {
    let probe = TestApp::spawn().await;
    if !probe.is_postgres() {
        eprintln!("skipped: needs PARLEY_TEST_DATABASE_URL (a PostgreSQL server to cut off)");
        return;
    }
    let real_url = probe.state.settings.database_url();
    probe.shutdown().await;
    let (_, target) = through(&real_url, 0);
    let relay = Relay::start(target).await;
    let (relayed, _) = through(&real_url, relay.port);
    // The probe made and migrated the database; this node reaches it through the relay.
    let app = TestApp::spawn_with(|s| s.database.url = relayed.into(), Default::default()).await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        acknowledged.push(ada.say(general, &format!("before the outage {i}")).await["id"].clone());
    }
    let mut bob_ws = Ws::connect(&bob).await;

    relay.cut();
    let started = Instant::now();
    let refused = ada.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "during the outage"})).await;
    let post_took = started.elapsed();
    assert_eq!((refused.status, refused.code()), (503, "database_unavailable"), "{:?}", refused.body);
    assert!(refused.headers.contains_key("retry-after"));
    let started = Instant::now();
    let read = ada.get(&format!("/api/v1/channels/{general}/messages")).await;
    let read_took = started.elapsed();
    assert_eq!((read.status, read.code()), (503, "database_unavailable"), "{:?}", read.body);
    let ready = app.anon().get("/readyz").await;
    assert_eq!((ready.status, ready.code()), (503, "database_unavailable"));
    eprintln!("database cut off: a post answered 503 in {post_took:?}, a read in {read_took:?}");
    // Generous: the point is "seconds, not a 30 s hang or forever".
    assert!(post_took < Duration::from_secs(20) && read_took < Duration::from_secs(20));

    relay.restore();
    let restored = Instant::now();
    let deadline = restored + Duration::from_secs(30);
    loop {
        let r = ada.get(&format!("/api/v1/channels/{general}/messages")).await;
        if r.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery within 30 s: {} {:?}", r.status, r.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("reads answered again {:?} after the database came back", restored.elapsed());
    app.anon().get("/readyz").await.expect(200);
    let after = ada.say(general, "after the outage").await;
    let pushed = bob_ws.next_message().await;
    assert_eq!(pushed["data"]["text"], "after the outage", "the open socket delivers again");
    let texts: Vec<String> =
        ada.history(general, "limit=100").await.iter().filter_map(|m| m["text"].as_str().map(str::to_owned)).collect();
    for i in 0..5 {
        assert_eq!(texts.iter().filter(|t| **t == format!("before the outage {i}")).count(), 1, "{texts:?}");
    }
    assert!(!texts.iter().any(|t| t == "during the outage"), "a refused post is not stored: {texts:?}");
    assert_eq!(texts.iter().filter(|t| *t == "after the outage").count(), 1);
    assert!(acknowledged.iter().all(|id| id.is_string()) && after["id"].is_string());
    app.shutdown().await;
}
