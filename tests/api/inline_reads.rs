//! On SQLite the short reads of every request (a credential's owner, "may this person do
//! this here") run on the caller's thread through a reader of their own. They must read
//! exactly what sea-orm reads through sqlx: every column, every NULL, every type.
use std::fmt::Debug;

use parley::access::{self, Need};
use parley::accounts::model::user;
use parley::channels::model::{channel, member as channel_member};
use parley::db::{Db, FromInline, ReadSource};
use parley::error::AppError;
use parley::files::model::file;
use parley::messages::model::{message, pin, reaction};
use parley::workspaces::model::{member as ws_member, workspace};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use super::files_support;
use super::helpers::TestApp;

async fn same_everywhere<E>(db: &Db) -> usize
where
    E: EntityTrait,
    E::Model: FromInline + PartialEq + Debug + Send,
{
    let pooled = E::find().all(&db.conn).await.expect("pooled read");
    let inline = db.find_all(E::find()).await.expect("inline read");
    assert_eq!(inline, pooled, "{}", E::default().table_name());
    pooled.len()
}

#[tokio::test]
async fn inline_reads_match_sqlx_row_for_row() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    if app.is_postgres() {
        assert!(!db.reads_inline(), "PostgreSQL reads through its pool");
        eprintln!("inline reads are SQLite's: nothing to compare on PostgreSQL");
        return;
    }
    assert!(db.reads_inline());
    let (ada, ws) = app.setup_admin().await;
    let bob = app.join(&ada, ws, "bob", "member").await;
    let carol = app.join(&ada, ws, "carol", "guest").await;
    let general = ada.general(ws).await;
    let root = ada.say(general, "root").await["id"].as_str().expect("id").to_owned();
    bob.post(
        &format!("/api/v1/channels/{general}/messages"),
        json!({"text": "a reply", "thread_root_id": root, "client_msg_id": "c-1"}),
    )
    .await
    .expect(201);
    bob.post(&format!("/api/v1/messages/{root}/reactions"), json!({"emoji": "eyes"})).await.expect(200);
    ada.post_empty(&format!("/api/v1/messages/{root}/pin")).await.expect(204);
    // A picture: the row gets a width, a height and (once settled) a thumbnail.
    let file = files_support::upload(&bob, general, "dot.png", files_support::png(40, 30)).await.expect(201).id();
    files_support::thumbnail_settled(&bob, file).await;
    bob.post(&format!("/api/v1/channels/{general}/messages"), json!({"text": "a file", "file_ids": [file]}))
        .await
        .expect(201);
    let edited = bob.say(general, "before").await["id"].as_str().expect("id").to_owned();
    bob.patch(&format!("/api/v1/messages/{edited}"), json!({"text": "after"})).await.expect(200);
    let gone = bob.say(general, "soon gone").await["id"].as_str().expect("id").to_owned();
    bob.delete(&format!("/api/v1/messages/{gone}")).await.expect(204);
    let secret =
        ada.post(&format!("/api/v1/workspaces/{ws}/channels"), json!({"name": "secret", "private": true})).await;
    let secret = secret.id();
    let old = ada.post(&format!("/api/v1/workspaces/{ws}/channels"), json!({"name": "old"})).await.id();
    ada.post_empty(&format!("/api/v1/channels/{old}/archive")).await.expect(204);
    // Columns no route above fills, filled directly: optional numbers, flags, texts.
    let (b, c) = (bob.user_id.simple().to_string(), carol.user_id.simple().to_string());
    for sql in [
        format!(
            "UPDATE users SET status_text = 'out', status_emoji = ':palm_tree:', status_expires_at = 1900000000000, \
             dnd = 1, away = 1, email_delay_minutes = 17, avatar_url = 'https://example.test/a.png', \
             email_confirmed_at = 5 WHERE id = x'{b}'"
        ),
        format!("UPDATE workspace_members SET deactivated_at = 7 WHERE user_id = x'{c}'"),
        format!("UPDATE channel_members SET muted = 1, notify_level = 'mentions' WHERE user_id = x'{b}'"),
        "UPDATE workspaces SET members_create_hooks = 1".to_owned(),
    ] {
        db.conn.execute_unprepared(&sql).await.expect("fill");
    }

    assert!(same_everywhere::<user::Entity>(db).await >= 3);
    assert!(same_everywhere::<workspace::Entity>(db).await >= 1);
    assert!(same_everywhere::<ws_member::Entity>(db).await >= 3);
    assert!(same_everywhere::<channel::Entity>(db).await >= 3);
    assert!(same_everywhere::<channel_member::Entity>(db).await >= 3);
    assert!(same_everywhere::<message::Entity>(db).await >= 4);
    assert!(same_everywhere::<reaction::Entity>(db).await >= 1);
    assert!(same_everywhere::<pin::Entity>(db).await >= 1);
    assert!(same_everywhere::<file::Entity>(db).await >= 1);
    let bob_row = db.find_one(user::Entity::find_by_id(bob.user_id)).await.expect("read").expect("bob");
    assert_eq!((bob_row.email_delay_minutes, bob_row.dnd, bob_row.away), (Some(17), true, true));

    // The access checks answer the same from either source, misses and refusals included.
    for (who, channel_id, need) in [
        (bob.user_id, general, Need::Post),
        (bob.user_id, secret, Need::Read),
        (ada.user_id, secret, Need::Manage),
        (ada.user_id, old, Need::Post),
        (carol.user_id, general, Need::Read),
    ] {
        let inline = access::channel(db, who, channel_id, need).await;
        let pooled = access::channel(&db.conn, who, channel_id, need).await;
        match (inline, pooled) {
            (Ok(a), Ok(b)) => {
                assert_eq!((a.channel, a.role, a.membership), (b.channel, b.role, b.membership));
            }
            (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
            (a, b) => panic!("inline {:?} against pooled {:?}", a.map(|a| a.channel.id), b.map(|b| b.channel.id)),
        }
    }
    assert!(matches!(access::channel(db, bob.user_id, secret, Need::Read).await, Err(AppError::NotFound(_))));
    let w = access::workspace(db, bob.user_id, ws).await.expect("bob's workspace");
    assert!(w.workspace.members_create_hooks);
}
