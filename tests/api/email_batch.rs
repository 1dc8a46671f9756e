//! Who to mail for a batch of new messages is decided in a handful of queries for the
//! whole batch; it must file exactly what deciding each message alone files.
use std::collections::BTreeSet;

use parley::jobs::JobHandler;
use parley::notify::decide::{self, Decide};
use parley::notify::model::pending;
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use super::helpers::TestApp;
use super::mail_support::settle_kinds;

type Filed = BTreeSet<(Uuid, Uuid, String)>;

async fn filed(app: &TestApp) -> Filed {
    let rows = pending::Entity::find().all(&app.state.db.conn).await.expect("pending");
    rows.into_iter().map(|r| (r.user_id, r.message_id, r.reason)).collect()
}

async fn forget(app: &TestApp) {
    pending::Entity::delete_many().exec(&app.state.db.conn).await.expect("delete pending");
}

fn id(v: &serde_json::Value) -> Uuid {
    v["id"].as_str().expect("id").parse().expect("uuid")
}

#[tokio::test]
async fn a_batch_files_exactly_what_one_by_one_does() {
    // Default delays: nothing is mailed while the test runs, so every filing stays.
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let dave = app.join(&ada, ws, "dave", "member").await;
    let general = ada.general(ws).await;

    let root = id(&bob.say(general, "Plan for the offsite?").await);
    let reply = carol
        .post(
            &format!("/api/v1/channels/{general}/messages"),
            json!({"text": "Lisbon, @dave what do you think?", "thread_root_id": root}),
        )
        .await
        .expect(201)
        .id();
    let dm = ada.post(&format!("/api/v1/workspaces/{ws}/conversations"), json!({"user_ids": [bob.user_id]})).await.id();
    let direct = id(&ada.say(dm, "are you there?").await);
    let everyone = id(&ada.say(general, "@channel release at five").await);
    let gone = id(&ada.say(general, "@carol look at this").await);
    ada.delete(&format!("/api/v1/messages/{gone}")).await.expect(204);
    let plain = id(&ada.say(general, "nothing for anyone").await);
    settle_kinds(&app, &["email.decide"]).await;

    let (b, c, d) = (bob.user_id, carol.user_id, dave.user_id);
    let expected: Filed = [
        (b, reply, "thread"),
        (d, reply, "mention"),
        (b, direct, "dm"),
        (b, everyone, "channel_mention"),
        (c, everyone, "channel_mention"),
        (d, everyone, "channel_mention"),
    ]
    .into_iter()
    .map(|(u, m, r)| (u, m, r.to_owned()))
    .collect();
    assert_eq!(filed(&app).await, expected, "what the worker filed");

    let payloads: Vec<_> =
        [root, reply, direct, everyone, gone, plain].iter().map(|m| json!({ "message_id": m })).collect();
    forget(&app).await;
    Decide.run_many(app.state.clone(), payloads.clone()).await.expect("one batch");
    assert_eq!(filed(&app).await, expected, "one batch of six");

    forget(&app).await;
    for p in payloads.clone() {
        Decide.run(app.state.clone(), p).await.expect("one at a time");
    }
    assert_eq!(filed(&app).await, expected, "one at a time");

    // Run again over what is filed already (a job retried after a crash): no change.
    Decide.run_many(app.state.clone(), payloads).await.expect("again");
    assert_eq!(filed(&app).await, expected, "a second run files nothing twice");
}

#[tokio::test]
async fn deleting_a_message_withdraws_its_waiting_notifications() {
    let app = TestApp::spawn().await;
    let (ada, ws) = app.setup_admin().await;
    let carol = app.join(&ada, ws, "carol", "member").await;
    let general = ada.general(ws).await;
    let kept = id(&ada.say(general, "@carol lunch?").await);
    let gone = id(&ada.say(general, "@carol look at this").await);
    settle_kinds(&app, &["email.decide"]).await;
    let mention = |m| (carol.user_id, m, "mention".to_owned());
    assert_eq!(filed(&app).await, Filed::from([mention(kept), mention(gone)]));

    ada.delete(&format!("/api/v1/messages/{gone}")).await.expect(204);
    assert_eq!(filed(&app).await, Filed::from([mention(kept)]), "the deleted message's notification is withdrawn");

    // Deciding again after the delete (a job retried late) files nothing for it.
    Decide.run_many(app.state.clone(), vec![json!({ "message_id": gone })]).await.expect("decide");
    assert_eq!(filed(&app).await, Filed::from([mention(kept)]));

    // A delete between the job's reads and its write: what it writes is withdrawn too.
    let late = id(&ada.say(general, "@carol one more").await);
    let wanted = decide::wanted(&app.state, vec![late]).await.expect("wanted");
    assert!(!wanted.is_empty());
    ada.delete(&format!("/api/v1/messages/{late}")).await.expect(204);
    decide::file(&app.state, &wanted).await.expect("file");
    assert_eq!(filed(&app).await, Filed::from([mention(kept)]), "nothing filed for a message deleted meanwhile");
}
