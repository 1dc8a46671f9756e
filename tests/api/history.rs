//! Reading history by cursor, and threads.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp};

async fn page(c: &Client, channel: Uuid, query: &str) -> (Vec<i64>, bool, bool) {
    let r = c.get(&format!("/api/v1/channels/{channel}/messages?{query}")).await.expect(200);
    let seqs =
        r.body["messages"].as_array().expect("messages").iter().map(|m| m["seq"].as_i64().expect("seq")).collect();
    (seqs, r.body["has_more_before"].as_bool().expect("flag"), r.body["has_more_after"].as_bool().expect("flag"))
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().and_then(|s| s.parse().ok()).expect("id")
}

#[tokio::test]
async fn history_pages_in_both_directions_oldest_first() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let mut ids = Vec::new();
    for i in 1..=30 {
        ids.push(id(&ada.say(general, &format!("message {i}")).await));
    }
    let range = |a: i64, b: i64| (a..=b).collect::<Vec<i64>>();

    assert_eq!(page(&ada, general, "limit=10").await, (range(21, 30), true, false), "newest page");
    assert_eq!(page(&ada, general, "before=21&limit=10").await, (range(11, 20), true, true));
    assert_eq!(page(&ada, general, "before=11&limit=10").await, (range(1, 10), false, true));
    assert_eq!(page(&ada, general, "before=1&limit=10").await, (vec![], false, true));
    assert_eq!(page(&ada, general, "after=0&limit=10").await, (range(1, 10), false, true));
    assert_eq!(page(&ada, general, "after=25&limit=10").await, (range(26, 30), true, false));
    assert_eq!(page(&ada, general, "after=30").await, (vec![], true, false));
    assert_eq!(page(&ada, general, "around=15&limit=10").await, (range(10, 19), true, true));
    assert_eq!(page(&ada, general, "around=2&limit=10").await, (range(1, 6), false, true));
    assert_eq!(page(&ada, general, "around=30&limit=10").await, (range(25, 30), true, false));
    assert_eq!(page(&ada, general, &format!("around_id={}&limit=10", ids[14])).await, (range(10, 19), true, true));
    assert_eq!(page(&ada, general, "").await.0, range(1, 30), "default limit covers all 30");

    let all = ada.history(general, "limit=200").await;
    assert_eq!(all[0]["text"], "message 1");
    assert_eq!(all[29]["text"], "message 30");
    assert_eq!(all[29]["author"]["username"], "ada");

    let other = ada.channel(ws, "other", false).await;
    let foreign = id(&ada.say(other, "elsewhere").await);
    ada.get(&format!("/api/v1/channels/{general}/messages?around_id={foreign}"))
        .await
        .expect_err(404, "message_not_found");
    for bad in ["before=5&after=3", "around=3&around_id=00000000-0000-0000-0000-000000000000", "limit=0", "limit=500"] {
        let r = ada.get(&format!("/api/v1/channels/{general}/messages?{bad}")).await.expect_err(422, "invalid_input");
        assert!(["cursor", "limit"].contains(&r.body["error"]["field"].as_str().unwrap_or("")), "{bad}: {:?}", r.body);
    }
}

#[tokio::test]
async fn threads_hang_off_their_root() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let root = ada.say(general, "shall we ship?").await;
    let root_id = id(&root);
    assert_eq!((root["reply_count"].as_i64(), root["last_reply_at"].is_null()), (Some(0), true));
    ada.say(general, "unrelated").await;

    let post = |who: &Client, text: &str, thread: Uuid| {
        let (c, text) = (who.clone(), text.to_owned());
        async move {
            c.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": text, "thread_root_id": thread}))
                .await
        }
    };
    let r1 = post(&bob, "yes", root_id).await.expect(201);
    assert_eq!(r1.body["thread_root_id"], root_id.to_string());
    // Replying to a reply attaches to the root.
    let r2 = post(&ada, "agreed", id(&r1.body)).await.expect(201);
    assert_eq!(r2.body["thread_root_id"], root_id.to_string());

    let root_now = ada.get(&format!("/api/v1/messages/{root_id}")).await.expect(200);
    assert_eq!(root_now.body["reply_count"], 2);
    assert_eq!(root_now.body["last_reply_at"], r2.body["created_at"]);

    for via in [root_id, id(&r1.body)] {
        let t = bob.get(&format!("/api/v1/messages/{via}/thread")).await.expect(200);
        assert_eq!(t.body["root"]["id"], root_id.to_string());
        let replies: Vec<&str> =
            t.body["replies"].as_array().expect("replies").iter().filter_map(|m| m["text"].as_str()).collect();
        assert_eq!(replies, ["yes", "agreed"], "oldest first");
        assert_eq!(t.body["has_more"], false);
    }
    let t = bob.get(&format!("/api/v1/messages/{root_id}/thread?limit=1")).await.expect(200);
    assert_eq!((t.body["replies"].as_array().map(Vec::len), t.body["has_more"].as_bool()), (Some(1), Some(true)));

    let top: Vec<String> =
        ada.history(general, "").await.iter().map(|m| m["text"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(top, ["shall we ship?", "unrelated"], "replies stay out of the channel's main history");
    let with_replies = ada.history(general, "include_replies=true").await;
    assert_eq!(with_replies.iter().map(|m| m["seq"].as_i64().unwrap_or(0)).collect::<Vec<_>>(), [1, 2, 3, 4]);

    // Replies are numbered in the channel like any message.
    let listed = ada.get(&format!("/api/v1/channels/{general}")).await.expect(200);
    assert_eq!(listed.body["last_seq"], 4);

    let other = ada.channel(ws, "other", false).await;
    let foreign = ada.say(other, "another channel").await;
    post(&ada, "cross-channel", id(&foreign)).await.expect_err(404, "thread_root_not_found");
    post(&ada, "nowhere", Uuid::now_v7()).await.expect_err(404, "thread_root_not_found");
    assert_eq!(ada.history(general, "include_replies=true").await.len(), 4, "nothing stored");
    assert_eq!(ada.get(&format!("/api/v1/messages/{root_id}")).await.body["reply_count"], 2);

    // Deleting a reply takes it out of the count.
    ada.delete(&format!("/api/v1/messages/{}", id(&r2.body))).await.expect(204);
    assert_eq!(ada.get(&format!("/api/v1/messages/{root_id}")).await.body["reply_count"], 1);
}
