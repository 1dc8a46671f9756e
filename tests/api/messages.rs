//! Messages: post, edit, delete (tombstones), reactions, pins, mentions, safe Markdown.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Client, TestApp};

fn id(v: &Value) -> Uuid {
    v["id"].as_str().and_then(|s| s.parse().ok()).expect("id")
}

async fn counts(c: &Client, channel: Uuid) -> (i64, i64) {
    let m = c.get(&format!("/api/v1/channels/{channel}")).await.expect(200).body["membership"].clone();
    (m["unread_count"].as_i64().expect("unread"), m["mention_count"].as_i64().expect("mentions"))
}

#[tokio::test]
async fn post_edit_and_delete_leave_a_tombstone() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let dave = app.join(&ada, ws, "dave", "member").await;
    let proj = carol.channel(ws, "proj", false).await;
    bob.post_empty(&format!("/api/v1/channels/{proj}/join")).await.expect(204);
    dave.post_empty(&format!("/api/v1/channels/{proj}/join")).await.expect(204);

    let posted = bob.say(proj, "first *draft*").await;
    let mid = id(&posted);
    assert_eq!((posted["seq"].as_i64(), posted["author"]["username"].as_str()), (Some(1), Some("bob")));
    assert_eq!((posted["edited_at"].is_null(), posted["deleted"].as_bool()), (true, Some(false)));
    assert!(posted["html"].as_str().expect("html").contains("<em>draft</em>"));
    let path = format!("/api/v1/messages/{mid}");
    assert_eq!(dave.get(&path).await.expect(200).body["text"], "first *draft*");

    carol.patch(&path, json!({"text": "carol was here"})).await.expect_err(403, "not_allowed");
    let r = bob.patch(&path, json!({"text": "  "})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "text");
    assert_eq!(dave.get(&path).await.body["text"], "first *draft*", "refused edits change nothing");
    let edited = bob.patch(&path, json!({"text": "final **copy**"})).await.expect(200);
    assert_eq!((edited.body["text"].as_str(), edited.body["seq"].as_i64()), (Some("final **copy**"), Some(1)));
    assert!(edited.body["edited_at"].is_string());
    assert!(edited.body["html"].as_str().expect("html").contains("<strong>copy</strong>"));

    // A plain member may not delete someone else's message; the channel's admin may.
    dave.delete(&path).await.expect_err(403, "not_allowed");
    bob.post(&format!("{path}/reactions"), json!({"emoji": "eyes"})).await.expect(200);
    carol.delete(&path).await.expect(204);
    let gone = dave.get(&path).await.expect(200);
    assert_eq!((gone.body["seq"].as_i64(), gone.body["deleted"].as_bool()), (Some(1), Some(true)));
    assert_eq!((gone.body["text"].as_str(), gone.body["html"].as_str()), (Some(""), Some("")));
    assert!(gone.body["reactions"].as_array().expect("reactions").is_empty());
    let history = dave.history(proj, "").await;
    assert_eq!((history.len(), history[0]["deleted"].as_bool()), (1, Some(true)), "the seq stays as a tombstone");

    bob.patch(&path, json!({"text": "resurrect"})).await.expect_err(404, "message_not_found");
    carol.delete(&path).await.expect_err(404, "message_not_found");
    bob.post(&format!("{path}/reactions"), json!({"emoji": "eyes"})).await.expect_err(404, "message_not_found");
    assert_eq!(bob.say(proj, "next").await["seq"], 2);

    // Authors delete their own.
    let own = id(&dave.say(proj, "oops").await);
    dave.delete(&format!("/api/v1/messages/{own}")).await.expect(204);
    ada.get(&format!("/api/v1/messages/{}", Uuid::now_v7())).await.expect_err(404, "message_not_found");
}

#[tokio::test]
async fn reactions_are_idempotent_per_person_and_emoji() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let mid = id(&ada.say(general, "lunch?").await);
    let path = format!("/api/v1/messages/{mid}/reactions");

    ada.post(&path, json!({"emoji": "thumbsup"})).await.expect(200);
    let r = ada.post(&path, json!({"emoji": ":ThumbsUp:"})).await.expect(200);
    let reactions = r.body["reactions"].as_array().expect("reactions").clone();
    assert_eq!(reactions.len(), 1);
    assert_eq!((reactions[0]["emoji"].as_str(), reactions[0]["count"].as_i64()), (Some("thumbsup"), Some(1)));
    assert_eq!(reactions[0]["user_ids"], json!([ada.user_id]));

    bob.post(&path, json!({"emoji": "thumbsup"})).await.expect(200);
    let r = bob.post(&path, json!({"emoji": "🎉"})).await.expect(200);
    let reactions = r.body["reactions"].as_array().expect("reactions").clone();
    assert_eq!(reactions.len(), 2);
    assert_eq!(
        (reactions[0]["count"].as_i64(), &reactions[0]["user_ids"]),
        (Some(2), &json!([ada.user_id, bob.user_id]))
    );
    assert_eq!((reactions[1]["emoji"].as_str(), reactions[1]["count"].as_i64()), (Some("🎉"), Some(1)));

    bob.delete(&format!("{path}/thumbsup")).await.expect(204);
    bob.delete(&format!("{path}/thumbsup")).await.expect_err(404, "reaction_not_found");
    bob.delete(&format!("{path}/🎉")).await.expect(204);
    for bad in ["<b>", "a b", "", "日本"] {
        let r = bob.post(&path, json!({"emoji": bad})).await.expect_err(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "emoji", "{bad:?}");
    }
    let now = ada.get(&format!("/api/v1/messages/{mid}")).await.expect(200);
    assert_eq!(now.body["reactions"], json!([{"emoji": "thumbsup", "count": 1, "user_ids": [ada.user_id]}]));

    let secret = ada.channel(ws, "secret", true).await;
    let hidden = id(&ada.say(secret, "private").await);
    bob.post(&format!("/api/v1/messages/{hidden}/reactions"), json!({"emoji": "eyes"}))
        .await
        .expect_err(404, "message_not_found");
}

#[tokio::test]
async fn pins_can_be_listed_and_removed() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let first = id(&ada.say(general, "the rules").await);
    let second = id(&bob.say(general, "the wifi password").await);
    let pins = format!("/api/v1/channels/{general}/pins");

    bob.post_empty(&format!("/api/v1/messages/{first}/pin")).await.expect(204);
    bob.post_empty(&format!("/api/v1/messages/{first}/pin")).await.expect(204);
    ada.post_empty(&format!("/api/v1/messages/{second}/pin")).await.expect(204);
    let list = ada.get(&pins).await.expect(200);
    let texts: Vec<&str> = list.body.as_array().expect("pins").iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts.len(), 2, "pinning twice pins once");
    assert!(texts.contains(&"the rules") && texts.contains(&"the wifi password"));
    assert_eq!(ada.get(&format!("/api/v1/messages/{first}")).await.body["pinned"], true);

    ada.delete(&format!("/api/v1/messages/{first}/pin")).await.expect(204);
    ada.delete(&format!("/api/v1/messages/{first}/pin")).await.expect_err(404, "pin_not_found");
    assert_eq!(ada.get(&format!("/api/v1/messages/{first}")).await.body["pinned"], false);
    // Deleting a pinned message unpins it.
    bob.delete(&format!("/api/v1/messages/{second}")).await.expect(204);
    assert!(ada.get(&pins).await.expect(200).body.as_array().expect("pins").is_empty());
}

#[tokio::test]
async fn mentions_count_for_channel_members_only() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let dave = app.join(&ada, ws, "dave", "member").await;
    let proj = ada.channel(ws, "proj", false).await;
    for who in [&bob, &carol] {
        who.post_empty(&format!("/api/v1/channels/{proj}/join")).await.expect(204);
    }

    let m = ada.say(proj, "@bob please review; cc @dave, and `@carol` in code is not a mention").await;
    assert!(m["html"].as_str().expect("html").contains("data-mention=\"bob\""));
    assert_eq!(counts(&bob, proj).await, (1, 1));
    assert_eq!(counts(&carol, proj).await, (1, 0));
    assert_eq!(counts(&ada, proj).await, (0, 0));
    dave.post_empty(&format!("/api/v1/channels/{proj}/join")).await.expect(204);
    assert_eq!(counts(&dave, proj).await.1, 0, "dave was not a member when mentioned");

    ada.say(proj, "@channel standup in 5").await;
    assert_eq!(counts(&bob, proj).await, (2, 2));
    assert_eq!(counts(&carol, proj).await, (2, 1));
    assert_eq!(counts(&dave, proj).await.1, 1);
    assert_eq!(counts(&ada, proj).await, (0, 0), "never the author");

    // Editing the mention away takes it back.
    ada.patch(&format!("/api/v1/messages/{}", id(&m)), json!({"text": "please review, anyone"})).await.expect(200);
    assert_eq!(counts(&bob, proj).await, (2, 1));
}

#[tokio::test]
async fn markdown_is_rendered_safely_and_the_source_kept() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let general = ada.general(ws).await;
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("<img src=x onerror=alert(1)>", &["&lt;img"], &["<img"]),
        ("[x](javascript:alert(1))", &[], &["javascript:"]),
        ("<script>alert(1)</script>", &["&lt;script&gt;"], &["<script"]),
        (
            "see [docs](https://example.com/a?b=1)",
            &["rel=\"noopener nofollow ugc\"", "href=\"https://example.com/a?b=1\""],
            &[],
        ),
        ("<a href=\"https://evil.test\" onclick=\"x()\">hi</a>", &["&lt;a href="], &["<a href=\"https://evil.test"]),
    ];
    for (text, must, must_not) in cases {
        let m = ada.say(general, text).await;
        let stored = ada.get(&format!("/api/v1/messages/{}", id(&m))).await.expect(200);
        assert_eq!(stored.body["text"], text, "the source comes back unchanged");
        let html = stored.body["html"].as_str().expect("html");
        for s in must {
            assert!(html.contains(s), "{text}: expected {s} in {html}");
        }
        for s in must_not {
            assert!(!html.contains(s), "{text}: unexpected {s} in {html}");
        }
    }
    let edited = ada.say(general, "fine").await;
    let r =
        ada.patch(&format!("/api/v1/messages/{}", id(&edited)), json!({"text": "<img src=x onerror=alert(1)>"})).await;
    assert!(!r.expect(200).body["html"].as_str().expect("html").contains("<img"), "edits are sanitised too");
}
