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
