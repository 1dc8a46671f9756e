//! Two Parley nodes over a real NATS and one PostgreSQL database: a client on one node
//! receives what is posted through the other, and resumes on either.
use crate::helpers::TestApp;
use crate::ws_client::Ws;

fn text_of(v: &serde_json::Value) -> &str {
    v["data"]["text"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_deliver_each_others_messages_and_resume_across_nodes() {
    let Some((a, b)) = TestApp::spawn_pair().await else {
        eprintln!("skipped: set PARLEY_TEST_DATABASE_URL and PARLEY_TEST_NATS_URL to run the two-node test");
        return;
    };
    let (ada, ws) = a.setup_admin().await;
    let bob = a.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;

    // Bob is connected to node B; Ada posts through node A.
    let mut bob_on_b = Ws::connect(&bob.on(&b)).await;
    let mut ada_on_a = Ws::connect(&ada).await;
    ada.say(general, "from A").await;
    assert_eq!(text_of(&bob_on_b.next_message().await), "from A");
    // And the other way round.
    bob.on(&b).say(general, "from B").await;
    assert_eq!(text_of(&ada_on_a.next_message().await), "from A");
    assert_eq!(text_of(&ada_on_a.next_message().await), "from B");
    assert_eq!(text_of(&bob_on_b.next_message().await), "from B");

    // Bob's node goes away; he resumes on node A and misses nothing.
    let pos = bob_on_b.pos;
    b.shutdown().await;
    assert_eq!(bob_on_b.close_code().await, Some(1012), "service restart");
    for i in 0..20 {
        ada.say(general, &format!("while away {i}")).await;
    }
    let mut bob_on_a = Ws::resume(&bob, pos).await;
    let replayed: Vec<&str> =
        bob_on_a.replayed.iter().filter(|e| e["type"] == "message.created").map(text_of).collect();
    assert_eq!(replayed, (0..20).map(|i| format!("while away {i}")).collect::<Vec<_>>());
    ada.say(general, "live again").await;
    assert_eq!(text_of(&bob_on_a.next_message().await), "live again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_nodes_admin_pages_list_both_nodes_with_their_sockets() {
    let Some((a, b)) = TestApp::spawn_pair().await else {
        eprintln!("skipped: set PARLEY_TEST_DATABASE_URL and PARLEY_TEST_NATS_URL to run the two-node test");
        return;
    };
    let (ada, _) = a.setup_admin().await;
    for node in [&a, &b] {
        let mut seen = 0;
        for _ in 0..100 {
            let cluster = ada.on(node).get("/api/v1/admin/system").await.expect(200).body["cluster"].clone();
            seen = cluster.as_array().map_or(0, Vec::len);
            if seen == 2 {
                assert_eq!(cluster.as_array().map(|n| n.iter().filter(|n| n["this_node"] == true).count()), Some(1));
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(seen, 2, "both nodes, from {}", node.base);
    }
}

/// A NATS server of the test's own (so it can be stopped), on a fixed free port.
fn own_nats(port: u16) -> std::process::Child {
    std::process::Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nats-server on PATH")
}

async fn connected(bus: &parley::realtime::bus::NatsBus, up: bool) {
    use parley::realtime::bus::Bus;
    for _ in 0..300 {
        if bus.health().is_some_and(|h| h.is_ok() == up) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the bus never became {}", if up { "connected" } else { "disconnected" });
}

fn event(kind: &str) -> parley::realtime::event::Event {
    parley::realtime::event::Event {
        kind: kind.into(),
        pos: None,
        at: 0,
        audience: parley::realtime::event::Audience::Workspace,
        workspace_id: None,
        channel_id: None,
        user_id: None,
        data: serde_json::json!({}),
    }
}

/// Publishes `kind` every 200 ms until the other node hears it (its subscription may
/// reach the server after a publish, or be renewed after a reconnect).
async fn hears(
    publisher: &parley::realtime::bus::NatsBus,
    heard: &mut tokio::sync::broadcast::Receiver<parley::realtime::event::Shared>,
    kind: &str,
) {
    use parley::realtime::bus::Bus;
    for _ in 0..150 {
        publisher.publish(vec![event(kind)]);
        let wait = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
        while let Ok(got) = tokio::time::timeout_at(wait, heard.recv()).await {
            match got {
                Ok(e) if e.event.kind == kind => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
    panic!("the other node never heard {kind:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nats_outbox_stays_bounded_while_nats_is_down_and_publishing_resumes_when_it_returns() {
    use parley::realtime::bus::{Bus, NatsBus};
    if std::env::var("PARLEY_TEST_NATS_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("skipped: set PARLEY_TEST_NATS_URL (and have nats-server on PATH) to run the NATS outage test");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let url = format!("nats://127.0.0.1:{port}");
    let mut server = own_nats(port);
    let mut publisher = None;
    for _ in 0..100 {
        if let Ok(bus) = NatsBus::connect_bounded(&url, 100).await {
            publisher = Some(bus);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let publisher = publisher.expect("connect to our NATS");
    let listener = NatsBus::connect(&url).await.expect("second node");
    let mut heard = listener.subscribe();
    hears(&publisher, &mut heard, "before").await;

    server.kill().expect("stop our NATS");
    server.wait().expect("reaped");
    connected(&publisher, false).await;
    // The NATS client buffers 2,048 publishes of its own while it reconnects; past
    // those and the outbox's 100 events, batches are dropped.
    for _ in 0..5_000 {
        publisher.publish((0..10).map(|_| event("during")).collect());
        assert!(publisher.waiting() <= 100, "the outbox holds at most its capacity: {}", publisher.waiting());
    }
    assert!(publisher.dropped() >= 20_000, "what did not fit was dropped: {}", publisher.dropped());

    let mut server = own_nats(port);
    connected(&publisher, true).await;
    connected(&listener, true).await;
    hears(&publisher, &mut heard, "after").await;
    server.kill().expect("stop our NATS");
    let _ = server.wait();
}
