//! Channels: create, list with unread counts, browse, membership, archive, rename,
//! direct and group conversations, notification preferences.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{create_workspace, Client, TestApp};
use crate::ws_client::Ws;

async fn listed(c: &Client, ws: Uuid, channel: Uuid) -> Option<Value> {
    let r = c.get(&format!("/api/v1/workspaces/{ws}/channels")).await.expect(200);
    r.body.as_array().expect("list").iter().find(|x| x["id"] == channel.to_string()).cloned()
}

async fn browse(c: &Client, ws: Uuid, query: &str) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/workspaces/{ws}/channels/browse{query}")).await.expect(200);
    r.body.as_array().expect("list").clone()
}

fn names(list: &[Value]) -> Vec<&str> {
    list.iter().filter_map(|c| c["name"].as_str()).collect()
}

#[tokio::test]
async fn creating_channels_validates_and_refuses_duplicates() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let guest = app.join(&ada, ws, "guest", "guest").await;
    let path = format!("/api/v1/workspaces/{ws}/channels");

    let r = ada.post(&path, json!({"name": "#Design", "topic": "pixels"})).await.expect(201);
    assert_eq!((r.body["name"].as_str(), r.body["kind"].as_str()), (Some("design"), Some("public")));
    assert_eq!((r.body["membership"]["role"].as_str(), r.body["member_count"].as_u64()), (Some("admin"), Some(1)));
    assert_eq!(r.body["topic"], "pixels");
    let r = ada.post(&path, json!({"name": "hush", "private": true})).await.expect(201);
    assert_eq!(r.body["kind"], "private");

    ada.post(&path, json!({"name": "DESIGN"})).await.expect_err(409, "already_exists");
    ada.post(&path, json!({"name": "hush"})).await.expect_err(409, "already_exists");
    for bad in ["has space", "", "dot.name", "a/b", &"x".repeat(81)] {
        let r = ada.post(&path, json!({"name": bad})).await.expect_err(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "name", "{bad:?}");
    }
    let r = ada.post(&path, json!({"name": "ok", "topic": "two\nlines"})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "topic");
    guest.post(&path, json!({"name": "guesthouse"})).await.expect_err(403, "not_allowed");

    let list = ada.get(&path).await.expect(200);
    let list = list.body.as_array().expect("list");
    assert_eq!(names(list), ["design", "general", "hush"], "nothing from the refused requests");
}

#[tokio::test]
async fn unread_and_mention_counts_follow_the_read_marker() {
    let app = TestApp::spawn().await;
    let (alice, ws) = app.setup_admin().await;
    let bob = app.join(&alice, ws, "bob", "member").await;
    let general = alice.general(ws).await;

    alice.say(general, "my own message is not unread").await;
    bob.say(general, "one").await;
    bob.say(general, "two, right @ada?").await;
    bob.say(general, "three").await;
    let m = listed(&alice, ws, general).await.expect("general")["membership"].clone();
    assert_eq!((m["unread_count"].as_i64(), m["mention_count"].as_i64()), (Some(3), Some(1)), "{m}");
    // Posting marks the channel read for the poster.
    let b = listed(&bob, ws, general).await.expect("general")["membership"].clone();
    assert_eq!((b["unread_count"].as_i64(), b["last_read_seq"].as_i64()), (Some(0), Some(4)), "{b}");

    let read = |seq: i64| {
        let c = alice.clone();
        async move { c.post(&format!("/api/v1/channels/{general}/read"), json!({"seq": seq})).await }
    };
    assert_eq!(read(3).await.expect(200).body["last_read_seq"], 3);
    let m = listed(&alice, ws, general).await.expect("general")["membership"].clone();
    assert_eq!((m["unread_count"].as_i64(), m["mention_count"].as_i64()), (Some(1), Some(0)), "{m}");
    assert_eq!(read(4).await.expect(200).body["last_read_seq"], 4);
    let m = listed(&alice, ws, general).await.expect("general")["membership"].clone();
    assert_eq!(
        (m["unread_count"].as_i64(), m["mention_count"].as_i64(), m["last_read_seq"].as_i64()),
        (Some(0), Some(0), Some(4))
    );

    // Never backwards; never past the end.
    assert_eq!(read(1).await.expect(200).body["last_read_seq"], 4);
    bob.say(general, "five").await;
    assert_eq!(read(999).await.expect(200).body["last_read_seq"], 5);
    let r = alice.get(&format!("/api/v1/channels/{general}")).await.expect(200);
    assert_eq!((r.body["last_seq"].as_i64(), r.body["membership"]["last_read_seq"].as_i64()), (Some(5), Some(5)));
    let r = read(-1).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "seq");
    assert_eq!(listed(&alice, ws, general).await.expect("general")["membership"]["last_read_seq"], 5);
}

#[tokio::test]
async fn marking_unread_and_marking_everything_read() {
    let app = TestApp::spawn().await;
    let (alice, ws) = app.setup_admin().await;
    let bob = app.join(&alice, ws, "bob", "member").await;
    let general = alice.general(ws).await;
    let town = alice.channel(ws, "town", false).await;
    bob.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect(204);
    let mut socket = Ws::connect(&alice).await;
    for text in ["one", "two @ada", "three"] {
        bob.say(general, text).await;
    }
    bob.say(town, "over here").await;
    alice.post(&format!("/api/v1/channels/{general}/read"), json!({"seq": 3})).await.expect(200);

    // "Mark as unread" on message 2: it and what follows are unread again.
    let unread = alice.post(&format!("/api/v1/channels/{general}/unread"), json!({"from_seq": 2})).await.expect(200);
    assert_eq!(unread.body["last_read_seq"], 1);
    let m = listed(&alice, ws, general).await.expect("general")["membership"].clone();
    assert_eq!((m["unread_count"].as_i64(), m["mention_count"].as_i64()), (Some(2), Some(1)), "{m}");
    let ev = socket
        .expect("read marker moved back", |e| e["type"] == "read.updated" && e["data"]["last_read_seq"] == 1)
        .await;
    assert_eq!(
        (ev["data"]["channel_id"].as_str(), ev["data"]["last_read_seq"].as_i64()),
        (Some(&*general.to_string()), Some(1))
    );
    // Never forward, and only messages that exist.
    let same = alice.post(&format!("/api/v1/channels/{general}/unread"), json!({"from_seq": 3})).await.expect(200);
    assert_eq!(same.body["last_read_seq"], 1);
    for bad in [0, 99] {
        alice
            .post(&format!("/api/v1/channels/{general}/unread"), json!({"from_seq": bad}))
            .await
            .expect_err(422, "invalid_input");
    }

    // "Mark all as read": every channel of the workspace, at once.
    let all = alice.post_empty(&format!("/api/v1/workspaces/{ws}/read")).await.expect(200);
    assert_eq!(all.body["channels"], 2);
    for c in [general, town] {
        let m = listed(&alice, ws, c).await.expect("channel")["membership"].clone();
        assert_eq!((m["unread_count"].as_i64(), m["mention_count"].as_i64()), (Some(0), Some(0)), "{m}");
    }
    let again = alice.post_empty(&format!("/api/v1/workspaces/{ws}/read")).await.expect(200);
    assert_eq!(again.body["channels"], 0, "nothing left to mark");
    let (other, _) = create_workspace(&bob, "Elsewhere").await;
    alice.post_empty(&format!("/api/v1/workspaces/{other}/read")).await.expect_err(404, "workspace_not_found");
}

#[tokio::test]
async fn browsing_joining_and_leaving() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let guest = app.join(&ada, ws, "guest", "guest").await;
    let town = ada.channel(ws, "town", false).await;
    let hush = ada.channel(ws, "hush", true).await;
    let old = ada.channel(ws, "old", false).await;
    ada.post_empty(&format!("/api/v1/channels/{old}/archive")).await.expect(204);

    let list = browse(&bob, ws, "").await;
    assert_eq!(names(&list), ["general", "town"], "public and unarchived only");
    let town_row = list.iter().find(|c| c["name"] == "town").expect("town");
    assert_eq!((town_row["member_count"].as_u64(), town_row["membership"].is_null()), (Some(1), true));
    assert_eq!(names(&browse(&bob, ws, "?include_archived=true").await), ["general", "old", "town"]);
    guest.get(&format!("/api/v1/workspaces/{ws}/channels/browse")).await.expect_err(403, "not_allowed");

    bob.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect(204);
    bob.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect(204);
    let row = browse(&bob, ws, "").await.into_iter().find(|c| c["name"] == "town").expect("town");
    assert_eq!((row["member_count"].as_u64(), row["membership"]["role"].as_str()), (Some(2), Some("member")));
    assert!(listed(&bob, ws, town).await.is_some());
    bob.say(town, "joined").await;

    bob.post_empty(&format!("/api/v1/channels/{hush}/join")).await.expect_err(404, "channel_not_found");
    bob.post_empty(&format!("/api/v1/channels/{old}/join")).await.expect_err(409, "channel_archived");
    guest.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect_err(404, "channel_not_found");
    let members = ada.get(&format!("/api/v1/channels/{hush}/members")).await.expect(200);
    assert_eq!(members.body.as_array().expect("members").len(), 1, "no one joined #hush");

    bob.post_empty(&format!("/api/v1/channels/{town}/leave")).await.expect(204);
    assert!(listed(&bob, ws, town).await.is_none());
    bob.post(&format!("/api/v1/channels/{town}/messages"), json!({"text": "x"}))
        .await
        .expect_err(403, "not_channel_member");
    bob.post_empty(&format!("/api/v1/channels/{town}/leave")).await.expect_err(403, "not_channel_member");
}

#[tokio::test]
async fn adding_and_removing_members() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let (outsider, _) = app.outsider(&ada, "outsider").await;
    let hush = ada.channel(ws, "hush", true).await;
    let members = format!("/api/v1/channels/{hush}/members");

    assert_eq!(ada.post(&members, json!({"user_id": bob.user_id})).await.expect(200).body["added"], true);
    assert_eq!(ada.post(&members, json!({"user_id": bob.user_id})).await.expect(200).body["added"], false);
    bob.get(&format!("/api/v1/channels/{hush}")).await.expect(200);
    ada.post(&members, json!({"user_id": outsider.user_id})).await.expect_err(404, "user_not_found");
    ada.post(&members, json!({"user_id": Uuid::now_v7()})).await.expect_err(404, "user_not_found");
    outsider.get(&format!("/api/v1/channels/{hush}")).await.expect_err(404, "channel_not_found");
    carol.post(&members, json!({"user_id": carol.user_id})).await.expect_err(404, "channel_not_found");

    // Any member may add people; only channel admins may remove others.
    bob.post(&members, json!({"user_id": carol.user_id})).await.expect(200);
    bob.delete(&format!("{members}/{}", carol.user_id)).await.expect_err(403, "not_allowed");
    carol.get(&format!("/api/v1/channels/{hush}")).await.expect(200);
    ada.delete(&format!("{members}/{}", carol.user_id)).await.expect(204);
    carol.get(&format!("/api/v1/channels/{hush}")).await.expect_err(404, "channel_not_found");
    ada.delete(&format!("{members}/{}", carol.user_id)).await.expect_err(404, "member_not_found");
    bob.delete(&format!("{members}/{}", bob.user_id)).await.expect(204);
    bob.get(&format!("/api/v1/channels/{hush}")).await.expect_err(404, "channel_not_found");
    let left = ada.get(&members).await.expect(200);
    assert_eq!(left.body.as_array().expect("members").len(), 1);
}

#[tokio::test]
async fn archiving_makes_a_channel_read_only_until_unarchived() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let town = ada.channel(ws, "town", false).await;
    bob.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect(204);
    bob.say(town, "before").await;

    bob.post_empty(&format!("/api/v1/channels/{town}/archive")).await.expect_err(403, "not_allowed");
    ada.post_empty(&format!("/api/v1/channels/{town}/archive")).await.expect(204);
    assert_eq!(bob.get(&format!("/api/v1/channels/{town}")).await.expect(200).body["archived"], true);
    bob.post(&format!("/api/v1/channels/{town}/messages"), json!({"text": "during"}))
        .await
        .expect_err(409, "channel_archived");
    bob.patch(&format!("/api/v1/channels/{town}"), json!({"topic": "t"})).await.expect_err(409, "channel_archived");
    let history = bob.history(town, "").await;
    assert_eq!(history.len(), 1, "still readable, nothing new stored");

    ada.post_empty(&format!("/api/v1/channels/{town}/unarchive")).await.expect(204);
    assert_eq!(bob.say(town, "after").await["seq"], 2, "no seq was burnt while archived");

    let general = ada.general(ws).await;
    ada.post_empty(&format!("/api/v1/channels/{general}/archive")).await.expect_err(409, "general_channel");
    ada.patch(&format!("/api/v1/channels/{general}"), json!({"name": "lobby"}))
        .await
        .expect_err(409, "general_channel");
    assert_eq!(ada.get(&format!("/api/v1/channels/{general}")).await.body["name"], "general");
}

#[tokio::test]
async fn any_member_sets_the_topic_but_only_admins_rename() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let town = ada.channel(ws, "town", false).await;
    ada.channel(ws, "taken", false).await;
    let path = format!("/api/v1/channels/{town}");

    bob.patch(&path, json!({"topic": "outsiders too?"})).await.expect_err(403, "not_channel_member");
    bob.post_empty(&format!("{path}/join")).await.expect(204);
    let r = bob.patch(&path, json!({"topic": "Roadmap Q3", "purpose": "plans"})).await.expect(200);
    assert_eq!((r.body["topic"].as_str(), r.body["purpose"].as_str()), (Some("Roadmap Q3"), Some("plans")));
    bob.patch(&path, json!({"name": "bobs-town"})).await.expect_err(403, "not_allowed");
    bob.patch(&path, json!({"name": "bobs-town", "topic": "sneaky"})).await.expect_err(403, "not_allowed");
    let r = bob.get(&path).await.expect(200);
    assert_eq!((r.body["name"].as_str(), r.body["topic"].as_str()), (Some("town"), Some("Roadmap Q3")));

    ada.patch(&path, json!({"name": "taken"})).await.expect_err(409, "already_exists");
    let r = ada.patch(&path, json!({"name": "bad name"})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");
    let r = ada.patch(&path, json!({"name": "City"})).await.expect(200);
    assert_eq!(r.body["name"], "city");
    assert_eq!(bob.get(&path).await.body["name"], "city");
}

#[tokio::test]
async fn conversations_are_found_by_their_exact_member_set() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let dave = app.join(&ada, ws, "dave", "member").await;
    let (outsider, _) = app.outsider(&ada, "outsider").await;
    let path = format!("/api/v1/workspaces/{ws}/conversations");

    let dm = ada.post(&path, json!({"user_ids": [bob.user_id]})).await.expect(201);
    assert_eq!((dm.body["kind"].as_str(), dm.body["name"].as_str()), (Some("direct"), None));
    let again = bob.post(&path, json!({"user_ids": [ada.user_id]})).await.expect(200);
    assert_eq!(again.id(), dm.id(), "the same two people share one conversation");

    let group = ada.post(&path, json!({"user_ids": [bob.user_id, carol.user_id]})).await.expect(201);
    assert_eq!(group.body["kind"], "group");
    let mut members: Vec<String> =
        group.body["conversation_members"].as_array().expect("members").iter().map(|v| v.to_string()).collect();
    members.sort();
    assert_eq!(members.len(), 3);
    let same = carol.post(&path, json!({"user_ids": [bob.user_id, ada.user_id, ada.user_id]})).await.expect(200);
    assert_eq!(same.id(), group.id());

    let ten: Vec<Uuid> = (0..9).map(|_| Uuid::now_v7()).collect();
    let r = ada.post(&path, json!({"user_ids": ten})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "user_ids");
    ada.post(&path, json!({"user_ids": [outsider.user_id]})).await.expect_err(404, "user_not_found");

    let dm_id = dm.id();
    bob.say(dm_id, "just between us").await;
    dave.get(&format!("/api/v1/channels/{dm_id}")).await.expect_err(404, "channel_not_found");
    dave.get(&format!("/api/v1/channels/{dm_id}/messages")).await.expect_err(404, "channel_not_found");
    dave.post_empty(&format!("/api/v1/channels/{dm_id}/join")).await.expect_err(404, "channel_not_found");
    dave.post(&format!("/api/v1/channels/{dm_id}/members"), json!({"user_id": dave.user_id}))
        .await
        .expect_err(404, "channel_not_found");
    ada.post(&format!("/api/v1/channels/{dm_id}/members"), json!({"user_id": dave.user_id}))
        .await
        .expect_err(409, "conversation_fixed");
    assert!(listed(&dave, ws, dm_id).await.is_none());
    assert!(browse(&dave, ws, "").await.iter().all(|c| c["id"] != dm_id.to_string()));
    let listed_dm = listed(&ada, ws, dm_id).await.expect("ada lists the DM");
    assert_eq!(listed_dm["membership"]["unread_count"], 1);
}

#[tokio::test]
async fn notification_preferences_are_per_member() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let general = ada.general(ws).await;
    let path = format!("/api/v1/channels/{general}/notifications");

    ada.patch(&path, json!({"muted": true, "notify_level": "mentions"})).await.expect(204);
    let m = ada.get(&format!("/api/v1/channels/{general}")).await.expect(200).body["membership"].clone();
    assert_eq!((m["muted"].as_bool(), m["notify_level"].as_str()), (Some(true), Some("mentions")));
    let b = bob.get(&format!("/api/v1/channels/{general}")).await.expect(200).body["membership"].clone();
    assert_eq!((b["muted"].as_bool(), b["notify_level"].as_str()), (Some(false), Some("default")));

    let r = ada.patch(&path, json!({"muted": false, "notify_level": "loud"})).await.expect_err(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "notify_level");
    let m = ada.get(&format!("/api/v1/channels/{general}")).await.expect(200).body["membership"].clone();
    assert_eq!((m["muted"].as_bool(), m["notify_level"].as_str()), (Some(true), Some("mentions")), "nothing stored");

    ada.patch(&path, json!({"muted": false})).await.expect(204);
    let m = listed(&ada, ws, general).await.expect("general")["membership"].clone();
    assert_eq!((m["muted"].as_bool(), m["notify_level"].as_str()), (Some(false), Some("mentions")));
    let town = ada.channel(ws, "town", false).await;
    bob.patch(&format!("/api/v1/channels/{town}/notifications"), json!({"muted": true}))
        .await
        .expect_err(403, "not_channel_member");
}

#[tokio::test]
async fn a_new_member_starts_reading_at_the_end() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let town = ada.channel(ws, "town", false).await;
    let hush = ada.channel(ws, "hush", true).await;
    let general = ada.general(ws).await;
    for ch in [town, hush, general] {
        for i in 0..3 {
            ada.say(ch, &format!("history {i}")).await;
        }
    }
    let bob = app.join(&ada, ws, "bob", "member").await;
    bob.post_empty(&format!("/api/v1/channels/{town}/join")).await.expect(204);
    ada.post(&format!("/api/v1/channels/{hush}/members"), json!({"user_id": bob.user_id})).await.expect(200);
    for ch in [town, hush, general] {
        let m = listed(&bob, ws, ch).await.expect("member")["membership"].clone();
        assert_eq!((m["unread_count"].as_i64(), m["last_read_seq"].as_i64()), (Some(0), Some(3)), "{ch}: {m}");
        // The history is there to read all the same.
        assert_eq!(bob.history(ch, "").await.len(), 3);
    }
    ada.say(town, "news").await;
    assert_eq!(listed(&bob, ws, town).await.expect("town")["membership"]["unread_count"], 1);
}
